"""Guards shared by our input channels: bad input never reaches Rasa, and a citizen
always gets a reply in time, even when the action server is down or slow."""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

import yaml

from bot.language import detect_language

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
REPLY_TIMEOUT_SECONDS = 4.0  # the citizen hears back within 5 s, whatever the back-end does
_MESSAGES: Dict[str, Dict[str, str]] = yaml.safe_load(
    (Path(__file__).with_name("messages.yml")).read_text(encoding="utf-8")
)


class BadRequest(ValueError):
    """The HTTP request itself is unusable (answered with 400)."""


@dataclass
class IncomingMessage:
    sender: str
    text: str
    metadata: Dict[str, Any] = field(default_factory=dict)


def parse_body(body: bytes) -> IncomingMessage:
    """Parse a REST body `{"sender": str, "message": str, "metadata"?: dict}` or raise BadRequest."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("The request body must be UTF-8 encoded JSON.")
    except json.JSONDecodeError:
        raise BadRequest("The request body is not valid JSON.")
    if not isinstance(payload, dict):
        raise BadRequest('Expected a JSON object: {"sender": "...", "message": "..."}.')
    sender, text = payload.get("sender"), payload.get("message", "")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > 128:
        raise BadRequest('"sender" must be a non-empty string of at most 128 characters.')
    if not isinstance(text, str):
        raise BadRequest('"message" must be a string.')
    metadata = payload.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise BadRequest('"metadata" must be a JSON object.')
    return IncomingMessage(sender=sender.strip(), text=text, metadata=metadata)


def channel_text(situation: str, text: str, **values: Any) -> str:
    language = detect_language(text) or "vi"
    return _MESSAGES[situation][language].format(**values)


def refusal_for(text: str) -> Optional[str]:
    """A polite reply for text that should not go to Rasa at all (empty, far too long)."""
    if not text.strip():
        return channel_text("empty", text)
    if len(text) > MAX_MESSAGE_CHARS:
        return channel_text("too_long", text, length=len(text), limit=MAX_MESSAGE_CHARS)
    return None


async def reply_in_time(
    handle: Callable[[], Awaitable[None]],
    collected: Callable[[], List[Dict[str, Any]]],
    text: str,
    recipient: str,
    timeout: float = REPLY_TIMEOUT_SECONDS,
) -> List[Dict[str, Any]]:
    """Run Rasa's handling; if it fails, stays silent, or is slower than `timeout`,
    answer politely. The handling itself is shielded, so the tracker loses nothing."""
    task = asyncio.ensure_future(handle())
    task.add_done_callback(lambda done: done.cancelled() or done.exception())  # no "never retrieved" noise
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=timeout)
    except asyncio.TimeoutError:
        logger.warning("reply.timeout: handling took longer than %.1f s", timeout)
    except Exception as error:  # the citizen must never see a stack trace
        logger.error("reply.failure: %s", type(error).__name__)
    messages = collected()
    if not task.done() or not messages:
        messages = messages + [{"recipient_id": recipient, "text": channel_text("busy", text)}]
    return messages
