"""Zalo Official Account protocol, as Zalo documents it, each rule in one place so it can be
corrected when Zalo changes it (https://developers.zalo.me/docs/official-account/webhook,
.../api/gui-tin-nhan, .../bat-dau/xac-thuc-va-uy-quyen-cho-ung-dung-new). Plain Python: no Rasa,
no network; bot/channels/zalo.py does the I/O.

- Events are POSTed to our webhook; a text is `user_send_text`, with `sender.id`, `message.text`,
  `message.msg_id` and `timestamp` (milliseconds, as a string). Ids are kept as strings.
- `X-ZEvent-Signature: mac=<hex>`, hex = SHA-256(app id + raw body + the body's `timestamp` + the OA
  secret key). A wrong signature, or a timestamp far from now, is refused and nothing is processed.
- Replies: `POST {api}/v3.0/oa/message/cs`, header `access_token`, JSON `{"recipient": {"user_id"},
  "message": {"text"}}`; Zalo answers HTTP 200 with `{"error": 0}` or an error code; -216 means the
  access token is no longer valid.
- Tokens: `POST {oauth}/v4/oa/access_token`, header `secret_key` (the app secret), form
  `refresh_token`, `app_id`, `grant_type=refresh_token` → `{"access_token", "refresh_token",
  "expires_in"}`; the refresh token is single-use: the new one replaces it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_SKEW_SECONDS = 300  # an event whose timestamp is further from now is a replay or a forgery
MESSAGE_PATH = "/v3.0/oa/message/cs"
TOKEN_PATH = "/v4/oa/access_token"
TOKEN_EXPIRED = {-216, -124}  # "access token is invalid" / "access token expired"
MAX_TEXT = 2000  # characters of one OA text message
TEXT_EVENT = "user_send_text"
FOLLOW_EVENT = "follow"
# What a citizen may send that we cannot read: we say so, politely, in their language.
UNREADABLE_EVENTS = {
    "user_send_image",
    "user_send_sticker",
    "user_send_gif",
    "user_send_file",
    "user_send_location",
    "user_send_audio",
    "user_send_video",
    "user_send_link",
    "user_send_business_card",
}


@dataclass(frozen=True)
class ZaloEvent:
    name: str
    app_id: str
    user_id: str  # the citizen's id for this OA: personal data, never stored or logged in clear
    timestamp_ms: int
    msg_id: str  # "" for events without a message (follow)
    text: str


class BadEvent(ValueError):
    """Not an event we can take (bad JSON, missing fields); refused before anything is done."""


def signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret_key.encode())
    return digest.hexdigest()


def signed_header(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    return f"mac={signature(app_id, body, timestamp, oa_secret_key)}"


def verify(header: Optional[str], app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> bool:
    if not header or not header.startswith("mac="):
        return False
    return hmac.compare_digest(header[4:].strip().lower(), signature(app_id, body, timestamp, oa_secret_key))


def raw_timestamp(body: bytes) -> str:
    """The body's `timestamp` field as sent (a string or a number): part of what is signed."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BadEvent("the body is not JSON") from error
    if not isinstance(data, dict) or not isinstance(data.get("timestamp"), (str, int)):
        raise BadEvent("no timestamp")
    return str(data["timestamp"])


def parse_event(body: bytes) -> ZaloEvent:
    data = json.loads(body.decode("utf-8"))
    sender = data.get("sender") or {}
    message = data.get("message") or {}
    name, user_id = data.get("event_name"), sender.get("id") if isinstance(sender, dict) else None
    if not isinstance(name, str) or not isinstance(user_id, (str, int)):
        raise BadEvent("no event_name or sender.id")
    text = message.get("text", "") if isinstance(message, dict) else ""
    msg_id = message.get("msg_id", "") if isinstance(message, dict) else ""
    try:
        timestamp = int(str(data.get("timestamp")))
    except ValueError as error:
        raise BadEvent("the timestamp is not a number") from error
    return ZaloEvent(
        name=name,
        app_id=str(data.get("app_id", "")),
        user_id=str(user_id),
        timestamp_ms=timestamp,
        msg_id=str(msg_id),
        text=text if isinstance(text, str) else "",
    )


def fresh(event: ZaloEvent, now_ms: int) -> bool:
    return abs(now_ms - event.timestamp_ms) <= MAX_SKEW_SECONDS * 1000


def text_message(user_id: str, text: str) -> Dict[str, Any]:
    return {"recipient": {"user_id": user_id}, "message": {"text": clip(text)}}


def numbered(text: str, titles: List[str], hint: str) -> str:
    """Choices as numbered lines the citizen answers with "1", "2"...: they work on every Zalo client."""
    lines = [text.rstrip(), ""] + [f"{n}. {title}" for n, title in enumerate(titles, 1)] + ["", hint]
    return "\n".join(lines)


def clip(text: str) -> str:
    """At most MAX_TEXT characters; a cut text ends on a line, with an ellipsis."""
    if len(text) <= MAX_TEXT:
        return text
    cut = text[: MAX_TEXT - 2]
    return cut[: cut.rfind("\n")] if "\n" in cut[MAX_TEXT // 2 :] else cut + " …"


def clip_keeping_tail(text: str, tail: str) -> str:
    """`text` then `tail` (our links), the text shortened so the tail always fits."""
    room = MAX_TEXT - len(tail) - 3
    return (text if len(text) <= room else text[:room].rstrip() + " …") + tail


VOTES = {"👍": "up", "👍🏻": "up", "👎": "down", "👎🏻": "down", "/like": "up", "/dislike": "down"}


def vote_of(text: str) -> Optional[str]:
    """A message that is only a thumbs up or down (Zalo users answer "Gõ 👍 hoặc 👎" that way)."""
    return VOTES.get(text.strip())


def token_form(refresh_token: str, app_id: str) -> Dict[str, str]:
    return {"refresh_token": refresh_token, "app_id": app_id, "grant_type": "refresh_token"}


def error_code(answer: Any) -> int:
    """Zalo's `error` field (0: success); a reply that is not Zalo's shape counts as an error."""
    if isinstance(answer, dict) and isinstance(answer.get("error"), int):
        return int(answer["error"])
    return -1
