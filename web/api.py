"""JSON endpoints the widget calls, possibly from another site's page (CORS, no cookies):
its configuration and answer feedback."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from analytics.turns import conversation_hash
from bot.privacy import mask_text
from bot.settings import channel_keys
from web.db import RATINGS, Feedback, utcnow
from web.ratelimit import SlidingWindow, retry_after
from web.security import client_address

MAX_BODY = 4096
REASONS = ("", "wrong", "outdated", "unclear", "not_asked", "other")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SHORT = re.compile(r"^[a-z_]{0,32}$")
PROCEDURE = re.compile(r"^(\d\.\d{6})?$")
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
    "Access-Control-Expose-Headers": "Retry-After",
}
FEEDBACK_WINDOW = 600  # seconds
VOTES_PER_SESSION = 30  # per window: far above what one person rates, far below a flood
VOTES_PER_CLIENT = 300  # per window and client address: a ward office or kiosk shares one address
TOO_MANY = {
    "message": "Bạn đã gửi quá nhiều góp ý, vui lòng thử lại sau ít phút.",
    "message_en": "Too many feedback votes, please try again in a few minutes.",
}


class Invalid(ValueError):
    pass


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=CORS)


async def widget_config(request: Request) -> Response:
    return _json({"socket_url": request.app.state.settings.rasa_public_url, "socket_path": "/socket.io/"})


def parse_feedback(raw: bytes) -> dict[str, Any]:
    """The validated fields of a feedback body; raises Invalid. Personal digits in the comment are masked."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise Invalid("body is not JSON") from error
    if not isinstance(body, dict):
        raise Invalid("expected a JSON object")

    def text(name: str, pattern: re.Pattern[str], default: str = "") -> str:
        value = body.get(name, default)
        if not isinstance(value, str) or not pattern.match(value):
            raise Invalid(f"bad {name}")
        return value

    rating = body.get("rating")
    if rating not in RATINGS:
        raise Invalid("rating must be 'up' or 'down'")
    reason, comment = body.get("reason", ""), body.get("comment", "")
    if reason not in REASONS or not isinstance(comment, str):
        raise Invalid("bad reason or comment")
    lang = body.get("lang", "vi")
    return {
        "session_hash": hashlib.sha256(text("session_id", TOKEN).encode()).hexdigest(),
        "conversation": conversation_hash(text("session_id", TOKEN), channel_keys().privacy_key),
        "message_id": text("message_id", TOKEN)[:40],
        "rating": rating,
        "reason": reason if rating == "down" else "",
        "comment": mask_text(" ".join(comment.split()))[:300] if rating == "down" else "",
        "payload_type": text("payload_type", SHORT),
        "procedure_code": text("procedure_code", PROCEDURE),
        "aspect": text("aspect", SHORT),
        "lang": lang if lang in ("vi", "en") else "vi",
        "assisted": body.get("assisted") is True,
    }


def store_feedback(db: Session, fields: dict[str, Any]) -> None:
    row = db.scalar(
        select(Feedback).where(
            Feedback.session_hash == fields["session_hash"], Feedback.message_id == fields["message_id"]
        )
    )
    if row is None:
        db.add(Feedback(**fields))
    else:  # a changed vote replaces the earlier one
        for key, value in fields.items():
            setattr(row, key, value)
        row.created_at = utcnow()
    db.commit()


class FeedbackLimits:
    """Votes accepted per session and per client address (see web/ratelimit.py)."""

    def __init__(
        self, window: float = FEEDBACK_WINDOW, per_session: int = VOTES_PER_SESSION, per_client: int = VOTES_PER_CLIENT
    ) -> None:
        self.sessions = SlidingWindow(per_session, window)
        self.clients = SlidingWindow(per_client, window)


def _too_many(wait: float) -> JSONResponse:
    seconds = retry_after(wait)
    response = _json({"error": "too_many_requests", **TOO_MANY, "retry_after": seconds}, 429)
    response.headers["Retry-After"] = str(seconds)
    return response


async def feedback(request: Request) -> Response:
    if request.method == "OPTIONS":
        return Response(status_code=204, headers=CORS)
    limits: FeedbackLimits = request.app.state.feedback_limits
    if wait := limits.clients.hit(client_address(request)):
        return _too_many(wait)
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return _json({"error": "too large"}, 413)
    try:
        fields = parse_feedback(raw)
    except Invalid as error:
        return _json({"error": str(error)}, 400)
    if wait := limits.sessions.hit(fields["session_hash"]):
        return _too_many(wait)

    def save() -> None:
        try:
            with request.app.state.db() as db:
                store_feedback(db, fields)
        except IntegrityError:  # the same vote sent twice at once: the other request stored it
            with request.app.state.db() as db:
                store_feedback(db, fields)

    await run_in_threadpool(save)
    return _json({"status": "stored"}, 201)


routes = [
    Route("/widget/config.json", widget_config),
    Route("/api/feedback", feedback, methods=["POST", "OPTIONS"]),
]
