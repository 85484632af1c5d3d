"""A stand-in for the Rasa server's socket.io channel, for widget tests that must not wait for
a trained model: same events (`session_request` → `session_confirm`, `user_uttered` →
`bot_uttered`), same message shapes as Rasa's output channel (text split into paragraphs,
buttons as `quick_replies` on the last one, then the `custom` payload as its own event),
and replies built by our real answer composer from the curated procedures.

Run: python -m tests.web.fake_rasa --port 5999. GET /_log lists what it received.
"""
from __future__ import annotations

import argparse
import asyncio
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
from answers.aspects import detect_aspect
from dossiers import Dossier
from knowledge.curated import load_curated

PROCEDURES = {p.code: p for p in load_curated()}
PLACE = compose.Place("Trung tâm Phục vụ hành chính công tỉnh Bắc Ninh")
CHOOSE = re.compile(r'^/choose_procedure\{"procedure_code": "(\d\.\d{6})"\}$')
DOSSIER = re.compile(r"tra cứu hồ sơ (\S+)", re.IGNORECASE)

sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")
received: list[dict[str, Any]] = []


def reply_for(text: str) -> compose.Reply | str:
    """What the bot answers; a plain string is a text-only reply."""
    if match := CHOOSE.match(text):
        return compose.procedure_answer(PROCEDURES[match.group(1)], "overview", "vi", PLACE)
    if match := DOSSIER.search(text):
        return compose.Reply("Bạn vui lòng nhập 6 số cuối số căn cước của người nộp hồ sơ.",
                             {"type": "ask", "slot": "identity_digits"}, [])  # as bot/domain/dossier.yml
    if re.fullmatch(r"\d{4}", text):
        return compose.dossier_status(demo_dossier("000.00.31.H04-250714-0012"), "vi", date.today())
    if text.startswith("echo "):
        return text[5:]
    if text == "choices":
        return compose.choices([("1.001193", PROCEDURES["1.001193"].title),
                                ("1.004884", PROCEDURES["1.004884"].title)], "vi")  # fmt: skip
    if text == "slow":
        return "slow reply"
    code = "1.001193"  # any other question: the birth registration, aspect from the words
    return compose.procedure_answer(PROCEDURES[code], detect_aspect(text) or "documents", "vi", PLACE)


def demo_dossier(code: str) -> Dossier:
    today = date.today()
    return Dossier(code=code, procedure_code="1.001193", procedure_title=PROCEDURES["1.001193"].title,
                   received_date=today - timedelta(days=10), appointment_date=today - timedelta(days=2),
                   status_code=2, applicant_name="Nguyễn Văn An")  # fmt: skip


def events(reply: compose.Reply | str) -> list[dict[str, Any]]:
    """The bot_uttered events Rasa's output channel sends for one response."""
    if isinstance(reply, str):
        return [{"text": part} for part in reply.strip().split("\n\n")]
    parts = [{"text": part} for part in reply.text.strip().split("\n\n")]
    if reply.buttons:
        parts[-1]["quick_replies"] = [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in reply.buttons
        ]
    return [*parts, {"custom": reply.custom}]


@sio.on("session_request")
async def session_request(sid: str, data: dict[str, Any] | None) -> None:
    session_id = (data or {}).get("session_id") or uuid.uuid4().hex
    received.append({"event": "session_request", "session_id": (data or {}).get("session_id")})
    await sio.enter_room(sid, session_id)
    await sio.emit("session_confirm", session_id, room=sid)


@sio.on("user_uttered")
async def user_uttered(sid: str, data: dict[str, Any]) -> None:
    received.append({"event": "user_uttered", **data})
    text = str(data.get("message", ""))
    await asyncio.sleep(2.0 if text == "slow" else 0.2)
    for message in events(reply_for(text)):
        await sio.emit("bot_uttered", message, room=data["session_id"])


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
