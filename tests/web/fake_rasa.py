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

The live handoff's calls to Rasa's HTTP API are stood in for too: `POST /conversations/{id}/tracker/events`
(recorded) and `GET /conversations/{id}/tracker` (a short conversation with the bot).

Run: python -m tests.web.fake_rasa --port 5999. GET /_log lists what it received.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import re
import time
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


def reply_for(text: str) -> compose.Reply | str | list[compose.Reply]:
    """What the bot answers; a plain string is a text-only reply, a list several messages."""
    if code := chosen_code(text):
        return compose.procedure_answer(PROCEDURES[code], "overview", "vi", PLACE)
    if (handoff := handoff_reply(text)) is not None:
        return handoff
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


HANDOFF_CENTRE = "Trung tâm Phục vụ hành chính công phường Kinh Bắc"
STAFF = {"name": "Nguyễn Lan", "centre": HANDOFF_CENTRE}
YES_NO = [{"title": "Đồng ý", "payload": "/affirm"}, {"title": "Không, cảm ơn", "payload": "/deny"}]
RATING = re.compile(r"([1-5])(?:\s+.*)?", re.DOTALL)
STAFF_HELLO = "Chào bạn, mình là Lan. Bạn cần hỏi gì về giấy khai sinh?"


def handoff_reply(text: str) -> compose.Reply | list[compose.Reply] | None:
    """The live handoff's messages, shaped as the server sends them (handoff/conversation.py for the
    bot's turns, handoff/messages.py for what staff do; the words as handoff/wording.yaml), or None.
    Triggers: "/ask_human" or "gặp cán bộ" (the offer), "/affirm" (queued), "/deny" (declined),
    "thôi" (cancelled), "no staff" (unavailable, callback offered), "agent please" (a staff member
    joins and writes, id h1 and h2), "agent again" (h2 once more, as a replay, then a card h3),
    "end chat" (ended h4, rating request h4r), "1".."5" with an optional comment (rated)."""
    said = text.strip().lower()
    if said in ("/ask_human", "gặp cán bộ"):
        return compose.Reply(
            f"Chuyển cuộc trò chuyện cho cán bộ của {HANDOFF_CENTRE}? "
            "Cán bộ sẽ đọc được nội dung trò chuyện (số giấy tờ đã được che).",
            {"type": "handoff_offer", "centre": HANDOFF_CENTRE},
            YES_NO,
        )
    if said == "/affirm":
        return compose.Reply(
            f"Đã chuyển cho cán bộ của {HANDOFF_CENTRE}. Bạn đang ở vị trí số 1, thời gian chờ khoảng 6 phút. "
            "Bạn cứ viết câu hỏi, cán bộ sẽ đọc khi tiếp nhận. Gõ “thôi” nếu không muốn chờ nữa.",
            {"type": "handoff_queued", "position": 1, "wait_minutes": 6, "centre": HANDOFF_CENTRE},
        )
    if said == "/deny":
        return compose.Reply("Vâng, bạn cứ tiếp tục hỏi trợ lý nhé.", {"type": "handoff_declined"})
    if said == "thôi":
        return compose.Reply(
            "Đã huỷ yêu cầu gặp cán bộ. Bạn cứ tiếp tục hỏi trợ lý nhé.", {"type": "handoff_cancelled"}
        )
    if said == "no staff":
        return compose.Reply(
            f"{HANDOFF_CENTRE} hiện ngoài giờ làm việc; cán bộ làm việc trở lại lúc 07:30 thứ Hai. "
            "Bạn có muốn để lại câu hỏi để cán bộ liên hệ lại không?",
            {
                "type": "handoff_unavailable",
                "centre": HANDOFF_CENTRE,
                "next_open": "2026-03-02T07:30:00+07:00",
                "callback": True,
            },
            YES_NO,
        )
    hello = compose.Reply(STAFF_HELLO, {"type": "agent_message", **STAFF, "text": STAFF_HELLO, "id": "h2"})
    if said == "agent please":
        joined = f"{STAFF['name']}, cán bộ của {HANDOFF_CENTRE}, đã tham gia cuộc trò chuyện."
        return [compose.Reply(joined, {"type": "agent_joined", **STAFF, "id": "h1"}), hello]
    if said == "agent again":
        card = compose.procedure_answer(PROCEDURES["1.004884"], "overview", "vi", PLACE).custom
        words = "Bạn xem thủ tục này nhé."
        return [hello, compose.Reply(words, {**card, "from_agent": dict(STAFF), "id": "h3"})]
    if said == "end chat":
        return [
            compose.Reply(
                "Cán bộ đã kết thúc cuộc trò chuyện. Trợ lý tiếp tục hỗ trợ bạn.",
                {"type": "handoff_ended", "code": "answered", "id": "h4"},
            ),
            compose.Reply(
                "Bạn chấm điểm cuộc trò chuyện với cán bộ từ 1 đến 5 nhé (có thể viết thêm góp ý sau số).",
                {"type": "rating_request", "id": "h4r"},
                [{"title": str(n), "payload": str(n)} for n in range(1, 6)],
            ),
        ]
    if match := RATING.fullmatch(said):
        return compose.Reply("Cảm ơn bạn đã đánh giá!", {"type": "handoff_rated", "score": int(match.group(1))})
    return None


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


def events(reply: compose.Reply | str | list[compose.Reply]) -> list[dict[str, Any]]:
    """The bot_uttered events our socket.io channel sends for one response (the action sends
    `utter_message(text=, buttons=, json_message=custom)`; see the module docstring)."""
    if isinstance(reply, list):  # several messages in one turn, each sent as above
        return [event for one in reply for event in events(one)]
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


async def tracker_events(request: Request) -> JSONResponse:
    """Rasa's HTTP API as the live handoff's delivery calls it (handoff/delivery.py): recorded."""
    received.append(
        {
            "event": "tracker_events",
            "sender": request.path_params["sender"],
            "params": dict(request.query_params),
            "body": await request.json(),
        }
    )
    return JSONResponse({})


async def tracker(request: Request) -> JSONResponse:
    """A conversation's tracker: one question and one answer a minute ago, before any handoff.
    A sender starting with "unreachable" gets a 503, as from a Rasa that is down."""
    sender = request.path_params["sender"]
    received.append({"event": "tracker", "sender": sender, "params": dict(request.query_params)})
    if sender.startswith("unreachable"):
        return JSONResponse({"error": "down"}, status_code=503)
    now = time.time()
    return JSONResponse(
        {
            "sender_id": sender,
            "events": [
                {"event": "action", "name": "action_listen", "timestamp": now - 70},
                {"event": "user", "text": "làm giấy khai sinh cần gì", "timestamp": now - 60},
                {
                    "event": "bot",
                    "text": "Thủ tục đăng ký khai sinh cần tờ khai và giấy chứng sinh.",
                    "data": {"custom": {"type": "procedure", "code": "1.001193", "title": "Thủ tục đăng ký khai sinh"}},
                    "timestamp": now - 59,
                },
            ],
        }
    )


app = socketio.ASGIApp(
    sio,
    other_asgi_app=Starlette(
        routes=[
            Route("/_log", log),
            Route("/conversations/{sender}/tracker/events", tracker_events, methods=["POST"]),
            Route("/conversations/{sender}/tracker", tracker),
        ]
    ),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
