"""A stand-in for the Rasa server's socket.io channel, for widget tests that must not wait for
a trained model: same events (`session_request` → `session_confirm`, `user_uttered` →
`bot_uttered`) and the same message shapes as our channel, bot/channels/socketio.py (on Rasa's
SocketIOOutput), sends:
  - `session_confirm`: `{"session_id", "session_token"}`; a `session_request` rejoins a session
    only with its token, and replies go to the session bound to the socket;
  - a text with its custom payload and no buttons: one event `{"text", "custom"}`;
  - a text with buttons: Rasa's `send_text_with_buttons`, one `{"text", "quick_replies"}` per
    paragraph, the buttons (`{"content_type": "text", "title", "payload"}`) on the last one, then
    the custom payload alone, `{"custom": {...}}`;
  - a text alone: one `{"text"}` per paragraph; a custom payload alone: `{"custom": {...}}`.
Replies are built by our real answer composer from the curated procedures.

Run: python -m tests.web.fake_rasa --port 5999. GET /_log lists what it received.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import re
import uuid
from datetime import date, timedelta
from typing import Any

import socketio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from answers import compose
from bot.payloads import chosen_code
from dossiers import Dossier
from knowledge.aspects import detect_aspect
from knowledge.curated import load_curated

PROCEDURES = {p.code: p for p in load_curated()}
PLACE = compose.Place("Trung tâm Phục vụ hành chính công tỉnh Bắc Ninh")
DOSSIER = re.compile(r"tra cứu hồ sơ (\S+)", re.IGNORECASE)

SESSION_SECRET = b"fake-rasa"  # fixed, like a deployment's: a restarted server still knows its sessions
sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")
received: list[dict[str, Any]] = []
sessions: dict[str, str] = {}  # socket id -> the session it opened or rejoined


def reply_for(text: str) -> compose.Reply | str:
    """What the bot answers; a plain string is a text-only reply."""
    if code := chosen_code(text):
        return compose.procedure_answer(PROCEDURES[code], "overview", "vi", PLACE)
    if DOSSIER.search(text):
        return compose.Reply(
            "Bạn vui lòng nhập 6 số cuối số căn cước của người nộp hồ sơ.",
            {"type": "ask", "slot": "identity_digits"},
            [],
        )  # as bot/domain/dossier.yml
    if re.fullmatch(r"\d{4}", text):
        return compose.dossier_status(demo_dossier("000.00.31.H04-250714-0012"), "vi", date.today())
    if text.startswith("echo "):
        return text[5:]
    if text == "choices":
        return compose.choices(
            [("1.001193", PROCEDURES["1.001193"].title), ("1.004884", PROCEDURES["1.004884"].title)], "vi"
        )
    if text == "slow":
        return "slow reply"
    code = "1.001193"  # any other question: the birth registration, aspect from the words
    return compose.procedure_answer(PROCEDURES[code], detect_aspect(text) or "documents", "vi", PLACE)


def demo_dossier(code: str) -> Dossier:
    today = date.today()
    return Dossier(
        code=code,
        procedure_code="1.001193",
        procedure_title=PROCEDURES["1.001193"].title,
        received_date=today - timedelta(days=10),
        appointment_date=today - timedelta(days=2),
        status_code=2,
        applicant_name="Nguyễn Văn An",
    )


def events(reply: compose.Reply | str) -> list[dict[str, Any]]:
    """The bot_uttered events our socket.io channel sends for one response (the action sends
    `utter_message(text=, buttons=, json_message=custom)`; see the module docstring)."""
    text, buttons, custom = (reply, [], None) if isinstance(reply, str) else (reply.text, reply.buttons, reply.custom)
    if text and custom and not buttons:  # CitizenSocketIOOutput.send_response
        return [{"text": text, "custom": custom}]
    out: list[dict[str, Any]] = []
    if buttons:  # SocketIOOutput.send_text_with_buttons
        out = [{"text": part, "quick_replies": []} for part in text.strip().split("\n\n") or [text]]
        out[-1]["quick_replies"] = [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in buttons
        ]
    elif text:  # SocketIOOutput.send_text_message
        out = [{"text": part} for part in text.strip().split("\n\n")]
    if custom:  # CitizenSocketIOOutput.send_custom_json
        out.append({"custom": custom})
    return out


def session_token(session_id: str) -> str:
    return hmac.new(SESSION_SECRET, b"session:" + session_id.encode(), hashlib.sha256).hexdigest()


def resumed_session(data: Any) -> str | None:
    """As bot/channels/socketio.py: a session id is rejoined only with its own token."""
    if not isinstance(data, dict) or not isinstance(data.get("session_id"), str):
        return None
    token = data.get("session_token")
    ok = isinstance(token, str) and hmac.compare_digest(session_token(data["session_id"]), token)
    return data["session_id"] if ok else None


@sio.on("session_request")
async def session_request(sid: str, data: dict[str, Any] | None) -> None:
    session_id = resumed_session(data) or uuid.uuid4().hex
    received.append({"event": "session_request", "session_id": (data or {}).get("session_id")})
    sessions[sid] = session_id
    await sio.enter_room(sid, session_id)
    await sio.emit("session_confirm", {"session_id": session_id, "session_token": session_token(session_id)}, room=sid)


@sio.on("user_uttered")
async def user_uttered(sid: str, data: dict[str, Any]) -> None:
    received.append({"event": "user_uttered", **data})
    session_id = sessions.get(sid)
    if not session_id:
        return  # the widget always asks for a session first
    text = str(data.get("message", ""))
    await asyncio.sleep(2.0 if text == "slow" else 0.2)
    for message in events(reply_for(text)):
        await sio.emit("bot_uttered", message, room=session_id)


async def log(_: Request) -> JSONResponse:
    return JSONResponse(received)


app = socketio.ASGIApp(sio, other_asgi_app=Starlette(routes=[Route("/_log", log)]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
