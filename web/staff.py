"""The staff console of the live handoff: sign-in, presence, the centre's queue, one chat at a time
(transcript, replies, procedure cards, transfer, end) and callback requests. The page is /staff;
its script talks JSON to /staff/api/.

The handoff itself is handoff/ (the store, delivery through Rasa); this module decides who may do
what: staff act on their own centre's chats and callbacks, admins on every centre's. Every read
of a conversation and every action is written to the handoff's audit log. Rasa's token is used
here, server-side, and never reaches a browser or a template.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from answers import compose
from bot.payloads import chosen_code
from handoff import store as tables
from handoff import wording
from handoff.conversation import PROVINCE, Centres, Handoff
from handoff.delivery import Delivery
from handoff.store import CLOSING_CODES, MAX_TEXT, PRESENCE, Chat, ChatEvent, HandoffStore, StateError
from handoff.wording import AFFIRM_PAYLOAD, ASK_HUMAN, DENY_PAYLOAD
from web import accounts
from web.catalog import CODE, Catalog
from web.db import Volunteer
from web.pages import render
from web.ratelimit import FailureLimit, retry_after
from web.security import check_csrf, client_address, csrf_token
from web.volunteer import ADDRESS_WAIT, NAME_WAIT, current_volunteer, durations

logger = logging.getLogger(__name__)

CSRF_HEADER = "X-CSRF-Token"
STAFF_ROLES = ("staff", "admin")
MAX_BODY = 16 * 1024  # bytes of a request body: the longest is a 2,000-character reply
PREVIEW_LIST = 160  # characters of the question shown in the queue
DISPLAY_NAME = 64  # characters of the name the citizen sees (handoff_chat.staff_display)
PROCEDURE_PICKS = 8
TRACKER_TIMEOUT = 3.0  # seconds: a slow Rasa must not hold the console's first read of a chat
PURGE_EVERY = 3600.0  # seconds between two purges of what is past its retention
CALLBACK_STATUSES = ("reached", "not_reached")
PRESENCE_NAMES = {"online": "Trực tuyến", "away": "Tạm vắng", "offline": "Ngoại tuyến"}
CLOSING_NAMES = {
    "answered": "Đã giải đáp",
    "referred": "Hướng dẫn đến nơi khác",
    "filed_online": "Đã hướng dẫn nộp trực tuyến",
    "citizen_left": "Người dân đã rời đi",
    "other": "Khác",
}
# what the console shows for the handoff's own events (the citizen's and staff's words are shown as they are)
EVENT_TEXTS = {
    "offered": "Trợ lý đề nghị chuyển cho cán bộ.",
    "consented": "Người dân đồng ý trao đổi với cán bộ.",
    "queued": "Người dân vào hàng chờ.",
    "assigned": "{display} đã nhận cuộc trò chuyện.",
    "transferred": "Đã chuyển sang {to}.",
    "ended": "Đã kết thúc: {code}.",
    "cancelled": "Người dân đã thôi chờ.",
    "rated": "Người dân chấm {score}/5.",
}
NAMES = {"citizen": "Người dân", "bot": "Trợ lý", "system": "Hệ thống"}
WRONG_PASSWORD = "Tên đăng nhập hoặc mật khẩu không đúng."


def _must_hold(chat: Chat, account: Volunteer) -> None:
    """A chat a colleague has claimed is theirs to transfer or end (an admin may step in)."""
    if chat.status == "assigned" and chat.staff != account.name and account.role != "admin":
        raise ApiError(403, "Cuộc trò chuyện do cán bộ khác phụ trách.")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


Handler = Callable[..., Awaitable[Any]]


# --------------------------------------------------------------------------- plumbing


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _live(request: Request) -> Handoff:
    return request.app.state.handoff


def _store(request: Request) -> HandoffStore:
    return _live(request).store


def api(handler: Handler | None = None, *, signed_in: bool = True) -> Any:
    """A JSON endpoint: a POST carries the session's CSRF token in X-CSRF-Token; with `signed_in`,
    only staff and admins get through (401 without a session, 403 for another role), and the
    handler gets the account. Every error is `{"error": ...}`, never a stack trace."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            try:
                account = await _staff(request) if signed_in else None  # first: an expired session is a 401
                if request.method == "POST":
                    check_csrf(request, request.headers.get(CSRF_HEADER))
                result = await (handler(request, account) if signed_in else handler(request))
            except ApiError as error:
                return _error(error.status, error.message)
            except HTTPException as error:
                return _error(error.status_code, str(error.detail), dict(error.headers or {}))
            except StateError:
                return _error(
                    409, "Cuộc trò chuyện không còn ở trạng thái cho phép việc này (có thể người khác đã nhận)."
                )
            except Exception as error:  # the type only: a message could quote what a citizen wrote
                logger.error("staff API %s failed: %s", request.url.path, type(error).__name__)
                return _error(500, "Có lỗi phía máy chủ. Vui lòng thử lại.")
            return result if isinstance(result, Response) else JSONResponse(result)

        return endpoint

    return wrap(handler) if handler is not None else wrap


async def _staff(request: Request) -> Volunteer:
    account = await run_in_threadpool(current_volunteer, request)
    if account is None:
        raise ApiError(401, "Vui lòng đăng nhập.")
    if account.role not in STAFF_ROLES:
        raise ApiError(403, "Tài khoản này không phải tài khoản cán bộ.")
    return account


async def json_body(request: Request) -> dict[str, Any]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:  # refused before it is read
        raise ApiError(413, "Nội dung gửi lên quá dài.")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ApiError(413, "Nội dung gửi lên quá dài.")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "Nội dung không phải JSON hợp lệ.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Nội dung phải là một đối tượng JSON.")
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise ApiError(400, f"Trường {name} phải là chuỗi.")
    return value


def scope(account: Volunteer) -> str | None:
    """The centre whose chats the account sees; None: every centre (an admin)."""
    return None if account.role == "admin" else account.centre


def may_act(account: Volunteer, centre: str) -> bool:
    return account.role == "admin" or (account.role == "staff" and account.centre == centre)


def audit(request: Request, account: Volunteer, action: str, **where: Any) -> Awaitable[None]:
    """Write who did what to which conversation into the handoff's audit log."""
    return run_in_threadpool(_store(request).audit, account.name, action, **where)


async def _chat(request: Request, account: Volunteer) -> Chat:
    """The chat named in the path, if the account may see it."""
    try:
        chat = await run_in_threadpool(_store(request).chat, str(request.path_params["chat_id"])[:32])
    except KeyError:
        raise ApiError(404, "Không tìm thấy cuộc trò chuyện.") from None
    if not may_act(account, chat.centre):
        raise ApiError(403, "Cuộc trò chuyện này thuộc trung tâm khác.")
    return chat


def _delivery(request: Request) -> Delivery | None:
    return getattr(request.app.state, "delivery", None)  # set by the app's lifespan


async def _deliver(request: Request, event_id: int | None = None) -> bool:
    """Send what is waiting to the citizen now (what Rasa cannot take, the background task retries);
    True if `event_id` has been delivered, by this round or an earlier one."""
    delivery = _delivery(request)
    if delivery is None:
        return False
    try:
        await delivery.flush()
    except Exception as error:
        logger.warning("handoff delivery failed, retried in the background: %s", type(error).__name__)
        return False
    if event_id is None:
        return True
    return (await run_in_threadpool(_store(request).event, event_id)).delivered_at is not None


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def short_sender(sender: str) -> str:
    return sender if len(sender) <= 10 else sender[:8] + "…"


def chat_view(chat: Chat, account: Volunteer, now: datetime | None = None) -> dict[str, Any]:
    since = chat.queued_at or chat.created_at
    return {
        "id": chat.id,
        "sender": short_sender(chat.sender),
        "centre": chat.centre,
        "centre_name": chat.centre_name,
        "status": chat.status,
        "staff": chat.staff,
        "staff_display": chat.staff_display,
        "mine": chat.staff == account.name,
        "lang": chat.lang,
        "waiting_since": _iso(since),
        "waiting_seconds": max(0, int(((now or datetime.now(UTC)) - since).total_seconds())),
        "preview": (chat.preview or "")[:PREVIEW_LIST],
    }


def card_view(custom: Any) -> dict[str, str] | None:
    """What the console shows of a procedure card: its code and title."""
    if isinstance(custom, dict) and custom.get("type") == "procedure" and custom.get("code"):
        return {"code": str(custom["code"]), "title": str(custom.get("title") or "")}
    return None


def message_view(event: ChatEvent, centres: Centres) -> dict[str, Any]:
    staff = event.staff_name
    who = "staff" if staff else "citizen" if event.actor == tables.CITIZEN else "system"
    message: dict[str, Any] = {
        "id": event.id,
        "at": _iso(event.at),
        "from": who if event.kind == "message" else "system",
        "name": (event.data.get("display") or staff) if staff else NAMES[who],
        "text": event.text or "",
        "kind": event.kind,
    }
    if event.kind != "message":
        message["text"] = _event_text(event, centres)
    if card := card_view(event.data.get("card")):
        message["card"] = card
    return message


def _event_text(event: ChatEvent, centres: Centres) -> str:
    data = event.data
    to = centres.get(data.get("to"))
    values = {
        "display": data.get("display") or event.staff_name or "",
        "to": to.name if to else data.get("to", ""),
        "code": CLOSING_NAMES.get(data.get("code", ""), data.get("code", "")),
        "score": data.get("score", ""),
    }
    return EVENT_TEXTS.get(event.kind, event.kind).format(**values)


# --------------------------------------------------------------------------- the bot's part, from Rasa


async def bot_transcript(request: Request, chat: Chat) -> list[dict[str, Any]] | None:
    """What the citizen and the bot said before the chat was queued, from Rasa's tracker (masked by
    the tracker store); None when Rasa cannot be asked."""
    settings = request.app.state.settings
    delivery: Delivery | None = getattr(request.app.state, "delivery", None)
    if delivery is None:
        return None
    url = f"{settings.rasa_url}/conversations/{quote(chat.sender, safe='')}/tracker"
    try:
        response = await delivery.client.get(url, params={"token": settings.rasa_token}, timeout=TRACKER_TIMEOUT)
        response.raise_for_status()
        events = response.json().get("events")
    except (httpx.HTTPError, ValueError, AttributeError) as error:
        logger.info("no bot transcript from Rasa: %s", type(error).__name__)
        return None
    return tracker_messages(events if isinstance(events, list) else [], chat.queued_at or chat.created_at)


def shown_text(text: str) -> str:
    """A button's payload as the citizen saw it: "/affirm" was "Đồng ý", a pick names its code."""
    if text in (AFFIRM_PAYLOAD, DENY_PAYLOAD):
        return wording.say("vi", "yes_button" if text == AFFIRM_PAYLOAD else "no_button")
    if code := chosen_code(text):
        return f"[chọn thủ tục {code}]"
    if text == ASK_HUMAN:
        return "[Gặp cán bộ]"
    return text


def tracker_messages(events: list[Any], before: datetime) -> list[dict[str, Any]]:
    """The tracker's user and bot events before `before`, as console messages (ids "t0", "t1"...).
    Later ones are the live chat itself, which the handoff's own record holds."""
    messages = []
    for n, event in enumerate(events):
        if not isinstance(event, dict) or event.get("event") not in ("user", "bot"):
            continue
        stamp = event.get("timestamp")
        if not isinstance(stamp, int | float) or datetime.fromtimestamp(stamp, UTC) >= before:
            continue
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        custom = data.get("custom") if isinstance(data.get("custom"), dict) else {}
        agent = custom.get("type") == "agent_message" or "from_agent" in custom  # an earlier handoff's staff
        who = "citizen" if event["event"] == "user" else "staff" if agent else "bot"
        message: dict[str, Any] = {
            "id": f"t{n}",
            "at": datetime.fromtimestamp(stamp, UTC).isoformat(),
            "from": who,
            "name": str(custom.get("name") or (custom.get("from_agent") or {}).get("name") or "") or NAMES.get(who, ""),
            "text": shown_text(str(event.get("text") or ""))[:MAX_TEXT],
            "kind": "transcript",
        }
        if card := card_view(custom):
            message["card"] = card
        if message["text"] or "card" in message:
            messages.append(message)
    return messages


# --------------------------------------------------------------------------- sign-in


def _slow_down(wait: float, message: str, message_en: str) -> JSONResponse:
    seconds = retry_after(wait)
    vi, en = durations(seconds)
    return JSONResponse(
        {"error": message.format(vi), "error_en": message_en.format(en), "retry_after": seconds},
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


@api(signed_in=False)
async def login(request: Request) -> Response | dict[str, Any]:
    body = await json_body(request)
    name, password = _text(body, "name")[:64], _text(body, "password")[:256]
    address = client_address(request)
    limit: FailureLimit = request.app.state.sign_in_limit  # one budget with the volunteer sign-in
    if wait := limit.begin(address):
        return _slow_down(wait, *ADDRESS_WAIT)

    def check() -> Volunteer | accounts.TooSoon | None:
        try:
            with request.app.state.db() as db:
                return accounts.authenticate(db, name, password, request.app.state.sign_in_delays)
        except accounts.TooSoon as soon:
            return soon

    outcome: Volunteer | accounts.TooSoon | None = None
    try:
        outcome = await run_in_threadpool(check)
    finally:
        limit.end(address, failed=outcome is None)
    if isinstance(outcome, accounts.TooSoon):
        return _slow_down(outcome.wait, *NAME_WAIT)
    if outcome is None:
        return _error(401, WRONG_PASSWORD)
    if outcome.role not in STAFF_ROLES:
        return _error(403, "Tài khoản tình nguyện viên không dùng được bàn trực này; hãy vào trang Tình nguyện viên.")
    request.session.clear()  # a fresh session and CSRF token on every sign-in
    request.session.update(uid=outcome.id, epoch=outcome.session_epoch)
    await audit(request, outcome, "login")
    return {"csrf_token": csrf_token(request), **account_view(request, outcome)}


def account_view(request: Request, account: Volunteer) -> dict[str, str]:
    centre = _live(request).centres.get(account.centre) if account.centre else None
    return {
        "name": account.name,
        "role": account.role,
        "centre": account.centre,
        "centre_name": centre.name if centre else "Tất cả trung tâm",
        "display_name": account.name,
    }


@api(signed_in=False)
async def logout(request: Request) -> dict[str, Any]:
    uid = request.session.get("uid")

    def end_sessions() -> None:
        with request.app.state.db() as db:
            account = db.get(Volunteer, uid) if uid is not None else None
            if account is None:
                return
            account.session_epoch += 1  # a copied cookie stops working too
            db.commit()
            if account.role in STAFF_ROLES:
                _store(request).set_presence(account.name, account.centre or PROVINCE, "offline")
                _store(request).audit(account.name, "logout")

    await run_in_threadpool(end_sessions)
    request.session.clear()
    return {"signed_in": False}


# --------------------------------------------------------------------------- presence and queue


def current_presence(store: HandoffStore, staff: str) -> str | None:
    # Not in the store: HandoffStore has set_presence and online_staff, no read of one's own status.
    with store.engine.connect() as db:
        return db.execute(select(tables.presence.c.status).where(tables.presence.c.staff == staff)).scalar()


@api
async def set_presence(request: Request, account: Volunteer) -> dict[str, Any]:
    status = _text(await json_body(request), "status")
    if status not in PRESENCE:
        raise ApiError(400, f"Trạng thái là một trong: {', '.join(PRESENCE)}.")
    store = _store(request)

    def save() -> None:
        before = current_presence(store, account.name)
        store.set_presence(account.name, account.centre or PROVINCE, status)  # also the 30-second heartbeat
        if before != status:
            store.audit(account.name, "presence")

    await run_in_threadpool(save)
    return {"status": status}


async def _purge_if_due(request: Request) -> None:
    """Retention without a scheduler: the queue is polled all day, so purge from there, hourly."""
    state = request.app.state
    if time.monotonic() - getattr(state, "handoff_purged_at", -PURGE_EVERY) < PURGE_EVERY:
        return
    state.handoff_purged_at = time.monotonic()
    try:
        await run_in_threadpool(_store(request).purge, _live(request).settings.retention_days)
    except Exception as error:
        logger.warning("handoff purge failed: %s", type(error).__name__)


@api
async def queue(request: Request, account: Volunteer) -> list[dict[str, Any]]:
    await _purge_if_due(request)
    chats = await run_in_threadpool(_store(request).waiting, scope(account))
    now = datetime.now(UTC)
    return [chat_view(chat, account, now) for chat in chats]


@api
async def centres(request: Request, account: Volunteer) -> list[dict[str, str]]:
    known = _live(request).centres
    keys = known.keys()  # Centres, not a dict: its keys are the province's and each ward's full name
    return [{"key": key, "name": centre.name} for key in keys if (centre := known.get(key))]


# --------------------------------------------------------------------------- one chat


@api
async def claim(request: Request, account: Volunteer) -> dict[str, Any]:
    display = " ".join(_text(await json_body(request), "display_name").split()) or account.name
    if len(display) > DISPLAY_NAME:
        raise ApiError(400, f"Tên hiển thị tối đa {DISPLAY_NAME} ký tự.")
    chat = await _chat(request, account)
    claimed = await run_in_threadpool(_store(request).claim, chat.id, account.name, display)
    await audit(request, account, "claim", chat_id=chat.id)
    await _deliver(request)  # the citizen is told who joined
    return chat_view(claimed, account)


@api
async def messages(request: Request, account: Volunteer) -> dict[str, Any]:
    try:
        after = max(0, int(request.query_params.get("after", "0")))
    except ValueError:
        raise ApiError(400, "after phải là một số.") from None
    chat = await _chat(request, account)
    events = await run_in_threadpool(_store(request).transcript, chat.id, after)
    centres = _live(request).centres
    answer: dict[str, Any] = {
        "chat": chat_view(chat, account),
        "messages": [message_view(e, centres) for e in events],
        "last_id": events[-1].id if events else after,
    }
    if after == 0:  # the first read of a chat also shows what the bot said before
        bot = await bot_transcript(request, chat)
        answer["bot_transcript"] = "unavailable" if bot is None else "included"
        answer["messages"] = (bot or []) + answer["messages"]
    if after == 0 or events:  # a poll that brings nothing new has read nothing
        await audit(request, account, "read", chat_id=chat.id)
    return answer


@api
async def send(request: Request, account: Volunteer) -> dict[str, Any]:
    body = await json_body(request)
    chat = await _chat(request, account)
    store = _store(request)
    if "procedure_code" in body:
        code = _text(body, "procedure_code").strip()
        catalog: Catalog = request.app.state.catalog
        procedure = await run_in_threadpool(catalog.get, code) if CODE.match(code) else None
        if procedure is None:
            raise ApiError(404, "Không tìm thấy thủ tục có mã này.")
        # the same card the bot sends, with the chat's centre as the place to go
        reply = compose.procedure_answer(procedure, "overview", chat.lang, compose.Place(chat.centre_name))
        text, card, action = reply.text, reply.custom, "card"
    else:
        text, card, action = _text(body, "text"), None, "message"
        if not text.strip() or len(text) > MAX_TEXT:
            raise ApiError(400, f"Tin nhắn dài từ 1 đến {MAX_TEXT} ký tự.")
    delivery = _delivery(request)

    def record() -> ChatEvent:
        event = store.staff_message(chat.id, account.name, text, card)
        if delivery is not None:  # at once, before a round sends it: as typed, the store keeps it masked
            delivery.remember(event.id, text)
        return event

    event = await run_in_threadpool(record)
    delivered = await _deliver(request, event.id)
    await audit(request, account, action, chat_id=chat.id)
    return {"message": message_view(event, _live(request).centres), "delivered": delivered}


@api
async def transfer(request: Request, account: Volunteer) -> dict[str, Any]:
    target = _live(request).centres.get(_text(await json_body(request), "centre"))
    if target is None:
        raise ApiError(400, "Trung tâm không hợp lệ.")
    chat = await _chat(request, account)
    if target.key == chat.centre:
        raise ApiError(400, "Cuộc trò chuyện đã ở trung tâm này.")
    _must_hold(chat, account)
    moved = await run_in_threadpool(_store(request).transfer, chat.id, account.name, target.key, target.name)
    await audit(request, account, "transfer", chat_id=chat.id)
    await _deliver(request)
    return chat_view(moved, account)


@api
async def end(request: Request, account: Volunteer) -> dict[str, Any]:
    code = _text(await json_body(request), "code")
    if code not in CLOSING_CODES:
        raise ApiError(400, f"Mã kết thúc là một trong: {', '.join(CLOSING_CODES)}.")
    chat = await _chat(request, account)
    _must_hold(chat, account)
    ended = await run_in_threadpool(_store(request).end, chat.id, account.name, code)
    await audit(request, account, "end", chat_id=chat.id)
    await _deliver(request)  # the bot resumes and asks for a rating
    return chat_view(ended, account)


@api
async def procedures(request: Request, account: Volunteer) -> list[dict[str, str]]:
    q = request.query_params.get("q", "").strip()
    if not q:
        return []
    catalog: Catalog = request.app.state.catalog
    outcome = await run_in_threadpool(functools.partial(catalog.search, q, limit=PROCEDURE_PICKS))
    return [{"code": f.procedure.code, "title": f.procedure.title} for f in outcome.results]


# --------------------------------------------------------------------------- callbacks


@api
async def callbacks(request: Request, account: Volunteer) -> list[dict[str, Any]]:
    live = _live(request)

    def read() -> list[dict[str, Any]]:
        rows = []
        for c in live.store.callbacks(scope(account)):
            phone = None
            if c.has_phone and may_act(account, c.centre):
                cipher = live.store.callback_cipher(c.id)
                phone = live.phones.open(cipher) if cipher else None
                live.store.audit(account.name, "callback_read", callback_id=c.id)  # each number seen
            rows.append(
                {
                    "id": c.id,
                    "centre": c.centre,
                    "centre_name": c.centre_name,
                    "created_at": _iso(c.created_at),
                    "question": c.question,
                    "phone": phone,
                    "phone_hint": c.phone_hint,
                    "status": c.status,
                    "handled_by": c.handled_by,
                    "lang": c.lang,
                }
            )
        return sorted(rows, key=lambda r: (r["status"] != "open", r["created_at"] or ""))

    return await run_in_threadpool(read)


@api
async def mark_callback(request: Request, account: Volunteer) -> dict[str, Any]:
    status = _text(await json_body(request), "status")
    if status not in CALLBACK_STATUSES:
        raise ApiError(400, "Trạng thái là reached hoặc not_reached.")
    try:
        callback_id = int(request.path_params["callback_id"])
    except ValueError:
        raise ApiError(404, "Không tìm thấy yêu cầu gọi lại.") from None
    store = _store(request)
    centre = await run_in_threadpool(store.callback_centre, callback_id)
    if centre is None:
        raise ApiError(404, "Không tìm thấy yêu cầu gọi lại.")
    if not may_act(account, centre):
        raise ApiError(403, "Yêu cầu gọi lại này thuộc trung tâm khác.")
    await run_in_threadpool(store.mark_callback, callback_id, account.name, status)
    await audit(request, account, "callback_mark", callback_id=callback_id)
    return {"id": callback_id, "status": status}


# --------------------------------------------------------------------------- the page


async def console(request: Request) -> Response:
    account = await run_in_threadpool(current_volunteer, request)
    signed_in = account if account is not None and account.role in STAFF_ROLES else None
    return render(
        request,
        "staff/console.html",
        {
            "account": json.dumps(account_view(request, signed_in), ensure_ascii=False) if signed_in else "",
            "csrf": csrf_token(request),
            "presence": PRESENCE_NAMES,
            "closing": CLOSING_NAMES,
        },
    )


routes = [
    Route("/staff", console),
    Route("/staff/api/login", login, methods=["POST"]),
    Route("/staff/api/logout", logout, methods=["POST"]),
    Route("/staff/api/presence", set_presence, methods=["POST"]),
    Route("/staff/api/queue", queue),
    Route("/staff/api/centres", centres),
    Route("/staff/api/procedures", procedures),
    Route("/staff/api/chats/{chat_id}/claim", claim, methods=["POST"]),
    Route("/staff/api/chats/{chat_id}/messages", messages, methods=["GET"]),
    Route("/staff/api/chats/{chat_id}/messages", send, methods=["POST"]),
    Route("/staff/api/chats/{chat_id}/transfer", transfer, methods=["POST"]),
    Route("/staff/api/chats/{chat_id}/end", end, methods=["POST"]),
    Route("/staff/api/callbacks", callbacks),
    Route("/staff/api/callbacks/{callback_id}", mark_callback, methods=["POST"]),
]
