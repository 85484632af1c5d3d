"""Guards shared by our input channels: bad input never reaches Rasa, and a citizen
always gets a reply in time, even when the action server is down or slow.

What a channel accepts from a client, in one place:
  - a body of at most MAX_BODY_BYTES of UTF-8 JSON (413 / 400 otherwise): no NaN, no lone
    surrogates, no nesting deep enough to exhaust the parser;
  - a message of at most MAX_MESSAGE_CHARS (a polite reply otherwise);
  - metadata: only bot.privacy's allow-list survives (the rest is dropped, never stored);
  - the only payloads a citizen may send are the clarification buttons' `/choose_procedure`
    with a procedure code, `/restart` ("start over") and the handoff's `/affirm`, `/deny`,
    `/ask_human`, all defined in bot/payloads.py; any
    other text starting with "/" is read as ordinary text, so nobody can force an entity, a slot
    or another intent.

Plain Python (no Rasa import): tests/test_guard.py tests it on its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

import yaml

from bot.channels.rate_limits import channel_limits
from bot.payloads import INTENT_PAYLOADS, RESTART, choose_payload, chosen_code
from bot.privacy import clean_metadata
from bot.settings import channel_keys, trusted_proxies
from knowledge.language import detect_language

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000  # a long question is ~300 characters; 1,000 leaves room for a pasted paragraph
MAX_BODY_BYTES = 16 * 1024  # a 1,000-character message escaped as \uXXXX is 6 KB
MAX_METADATA_BYTES = 1024
MAX_JSON_DEPTH = 8
REPLY_TIMEOUT_SECONDS = 4.0  # the citizen hears back within 5 s, whatever the back-end does
# A replica answers about 6 messages a second on a core (bench/bench_cluster.py); more turns at once
# than this only queue on its event loop, until nobody gets an answer within REPLY_TIMEOUT_SECONDS.
MAX_TURNS_IN_FLIGHT = 12
_MESSAGES: Dict[str, Dict[str, str]] = yaml.safe_load(
    (Path(__file__).with_name("messages.yml")).read_text(encoding="utf-8")
)


class BadRequest(ValueError):
    """The HTTP request itself is unusable (answered with 400, or `status`)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class IncomingMessage:
    sender: str
    text: str
    metadata: Dict[str, Any] = field(default_factory=dict)


def _reject_constant(name: str) -> Any:
    raise BadRequest(f"The request body contains {name}, which is not valid JSON.")


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value, stopping early past `limit`."""
    if limit < 0 or not isinstance(value, (dict, list)):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def _has_surrogates(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_surrogates(k) or _has_surrogates(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogates(v) for v in value)
    return False


def load_json(body: bytes) -> Any:
    """Parse a client's JSON body within our limits, or raise BadRequest."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"The request body is larger than {MAX_BODY_BYTES} bytes.", status=413)
    try:
        payload = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise BadRequest("The request body must be UTF-8 encoded JSON.") from None
    except (json.JSONDecodeError, RecursionError):
        raise BadRequest("The request body is not valid JSON.") from None
    if _depth(payload, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise BadRequest("The request body is nested too deeply.")
    if _has_surrogates(payload):
        raise BadRequest("The request body contains text that is not valid Unicode.")
    return payload


def client_metadata(raw: Any) -> Dict[str, Any]:
    """The allow-listed part of what a client sends as metadata, or BadRequest."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BadRequest('"metadata" must be a JSON object.')
    if len(json.dumps(raw, ensure_ascii=False).encode("utf-8")) > MAX_METADATA_BYTES:
        raise BadRequest(f'"metadata" is larger than {MAX_METADATA_BYTES} bytes.', status=413)
    cleaned = clean_metadata(raw)
    cleaned.pop("client_key", None)  # only the channel itself says who the client is
    return cleaned


def parse_body(body: bytes) -> IncomingMessage:
    """Parse a REST body `{"sender": str, "message": str, "metadata"?: dict}` or raise BadRequest."""
    payload = load_json(body)
    if not isinstance(payload, dict):
        raise BadRequest('Expected a JSON object: {"sender": "...", "message": "..."}.')
    sender, text = payload.get("sender"), payload.get("message", "")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > 128:
        raise BadRequest('"sender" must be a non-empty string of at most 128 characters.')
    if not isinstance(text, str):
        raise BadRequest('"message" must be a string.')
    return IncomingMessage(sender=sender.strip(), text=text, metadata=client_metadata(payload.get("metadata")))


def citizen_text(text: str) -> str:
    """What of a citizen's text goes to Rasa: the allowed payloads in canonical form; any other
    leading "/" is dropped, so "/greet{...}" or "/session_start" is read as plain words."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return text
    chosen = chosen_code(stripped)
    if chosen:
        return choose_payload(chosen)
    if stripped.lower() == RESTART:
        return RESTART
    if stripped.lower() in INTENT_PAYLOADS:
        return stripped.lower()
    return stripped.lstrip("/ \t")


def client_address(peer: Optional[str], forwarded_for: Optional[str]) -> Optional[str]:
    """The citizen's network address: the peer's own, or, when the peer is our balancer
    (RASA_TRUSTED_PROXIES), the last address the balancer appended to X-Forwarded-For."""
    if peer and forwarded_for and peer in trusted_proxies():
        return forwarded_for.split(",")[-1].strip() or peer
    return peer


def request_client_key(request: Any) -> Optional[str]:
    """client_key of the citizen behind a Sanic request (None without one)."""
    if request is None:
        return None
    return client_key(client_address(request.ip, request.headers.get("x-forwarded-for")))


def client_key(address: Optional[str]) -> Optional[str]:
    """A keyed hash of the client's network address: enough to rate-limit guesses per client,
    and no address in any store (PRIVACY_KEY, read once by bot.settings)."""
    if not address:
        return None
    secret = channel_keys().privacy_key
    return hmac.new(secret.encode(), b"client:" + address.encode(), hashlib.sha256).hexdigest()[:32]


def channel_text(situation: str, text: str, **values: Any) -> str:
    """What the channel says in `situation`, in the language of `text`."""
    return channel_words(situation, detect_language(text) or "vi", **values)


def channel_words(situation: str, language: Optional[str], **values: Any) -> str:
    return _MESSAGES[situation]["en" if language == "en" else "vi"].format(**values)


def refusal_for(text: str) -> Optional[str]:
    """A polite reply for text that should not go to Rasa at all (empty, far too long)."""
    if not text.strip():
        return channel_text("empty", text)
    if len(text) > MAX_MESSAGE_CHARS:
        return channel_text("too_long", text[:MAX_MESSAGE_CHARS], length=len(text), limit=MAX_MESSAGE_CHARS)
    return None


def slow_down_for(text: str, conversation: str, client: Optional[str]) -> Optional[str]:
    """The polite "wait a minute" reply when this conversation or client sends too fast, else None
    (bot/channels/rate_limits.py: the per-conversation and per-client limits)."""
    if channel_limits().allow(conversation, client):
        return None
    return channel_text("slow_down", text)


class TurnsInFlight:
    """How many turns this process is handling. Past `limit`, a new message is refused at once
    with the "overloaded" reply (send it again shortly) instead of queueing behind the others until
    nobody gets an answer in time (measured: bench/bench_cluster.py at 3x this machine's capacity)."""

    def __init__(self, limit: int = MAX_TURNS_IN_FLIGHT) -> None:
        self.limit, self.count = limit, 0

    def full(self) -> bool:
        return self.count >= self.limit


TURNS = TurnsInFlight()


async def reply_in_time(
    handle: Callable[[], Awaitable[None]],
    collected: Callable[[], List[Dict[str, Any]]],
    text: str,
    recipient: str,
    timeout: float = REPLY_TIMEOUT_SECONDS,
    turns: TurnsInFlight = TURNS,
) -> List[Dict[str, Any]]:
    """Run Rasa's handling; if it fails, stays silent, or is slower than `timeout`,
    answer politely. The handling itself is shielded, so the tracker loses nothing.
    When the process already has too many turns in flight, the message is not taken at all."""
    if turns.full():
        logger.warning("reply.overloaded: %d turns in flight", turns.count)
        return [{"recipient_id": recipient, "text": channel_text("overloaded", text)}]
    turns.count += 1
    task = asyncio.ensure_future(handle())

    def finished(done: asyncio.Future[None]) -> None:
        turns.count -= 1
        if not done.cancelled():
            done.exception()  # retrieved: no "never retrieved" noise

    task.add_done_callback(finished)
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=timeout)
    except asyncio.TimeoutError:  # on Python 3.10 not the builtin TimeoutError
        logger.warning("reply.timeout: handling took longer than %.1f s", timeout)
    except Exception as error:  # the citizen must never see a stack trace
        logger.error("reply.failure: %s", type(error).__name__)
    messages = collected()
    if not task.done() or not messages:
        messages = messages + [{"recipient_id": recipient, "text": channel_text("busy", text)}]
    return messages
