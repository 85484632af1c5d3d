"""The volunteer console: sign-in, procedure search, guided chat and the assisted-session log."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web import accounts
from web.catalog import CODE, LEVELS, Catalog
from web.db import OUTCOMES, AssistedSession, Volunteer
from web.pages import render
from web.present import localities
from web.ratelimit import FailureLimit, retry_after
from web.security import CSRF_FIELD, check_csrf, client_address, csrf_token

OUTCOME_NAMES = {
    "filed_online": "Đã nộp trực tuyến",
    "not_yet": "Chưa nộp",
    "referred": "Hướng dẫn đến Trung tâm PVHCC",
}
LOG_PAGE = 50
SIGN_IN_FAILURES, SIGN_IN_WINDOW = 10, 900  # failed sign-ins per client address per 15 minutes
ADDRESS_WAIT = (
    "Đã có quá nhiều lần đăng nhập sai từ địa chỉ mạng này. Vui lòng thử lại sau {}.",
    "Too many failed sign-ins from this network address. Please try again in {}.",
)
NAME_WAIT = (
    "Tên đăng nhập này vừa bị nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau {}.",
    "Too many failed sign-ins for this user name. Please try again in {}.",
)


def _db(request: Request):
    return request.app.state.db()


def current_volunteer(request: Request) -> Volunteer | None:
    uid, epoch = request.session.get("uid"), request.session.get("epoch")
    if uid is None:
        return None
    with _db(request) as db:
        volunteer = db.get(Volunteer, uid)
    if volunteer is None or not volunteer.active or volunteer.session_epoch != epoch:
        request.session.pop("uid", None)
        return None
    return volunteer


async def _require(request: Request) -> Volunteer:
    volunteer = await run_in_threadpool(current_volunteer, request)
    if volunteer is None:
        raise HTTPException(303, headers={"Location": "/volunteer"})
    return volunteer


def _page(request: Request, template: str, volunteer: Volunteer | None, **context: Any) -> Response:
    status = context.pop("status", 200)
    return render(
        request,
        template,
        {"volunteer": volunteer, "csrf": csrf_token(request), "csrf_field": CSRF_FIELD, **context},
        status,
    )


def wards() -> list[str]:
    return [w.full_name for w in localities().wards]


async def console(request: Request) -> Response:
    volunteer = await run_in_threadpool(current_volunteer, request)
    if volunteer is None:
        return _page(request, "volunteer/login.html", None)
    q = request.query_params.get("q", "")
    field = request.query_params.get("field", "")
    level = request.query_params.get("level", "")
    level = level if level in LEVELS else ""
    catalog: Catalog = request.app.state.catalog
    outcome = await run_in_threadpool(catalog.search, q, field, level) if (q or field or level) else None
    fields = await run_in_threadpool(catalog.fields)
    return _page(
        request,
        "volunteer/search.html",
        volunteer,
        q=q,
        field=field,
        level=level,
        outcome=outcome,
        fields=fields,
        levels=LEVELS,
    )


def durations(seconds: int) -> tuple[str, str]:
    """`seconds` in words, Vietnamese and English: whole minutes (rounded up) from a minute on."""
    if seconds < 60:
        return f"{seconds} giây", f"{seconds} second{'s' if seconds > 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} phút", f"{minutes} minute{'s' if minutes > 1 else ''}"


def _slow_down(request: Request, name: str, wait: float, message: str, message_en: str) -> Response:
    seconds = retry_after(wait)
    vi, en = durations(seconds)
    response = _page(
        request,
        "volunteer/login.html",
        None,
        name=name,
        status=429,
        slow_down=message.format(vi),
        slow_down_en=message_en.format(en),
    )
    response.headers["Retry-After"] = str(seconds)
    return response


async def login(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    name, password = str(form.get("name", ""))[:64], str(form.get("password", ""))[:256]
    address = client_address(request)
    limit: FailureLimit = request.app.state.sign_in_limit
    if wait := limit.begin(address):
        return _slow_down(request, name, wait, *ADDRESS_WAIT)

    def check() -> Volunteer | accounts.TooSoon | None:
        try:
            with _db(request) as db:
                return accounts.authenticate(db, name, password, request.app.state.sign_in_delays)
        except accounts.TooSoon as soon:
            return soon

    outcome: Volunteer | accounts.TooSoon | None = None
    try:
        outcome = await run_in_threadpool(check)
    finally:
        limit.end(address, failed=outcome is None)  # a try refused by its name's delay tested nothing
    if isinstance(outcome, accounts.TooSoon):
        return _slow_down(request, name, outcome.wait, *NAME_WAIT)
    if outcome is None:
        return _page(request, "volunteer/login.html", None, error=True, name=name, status=401)
    request.session.clear()  # a fresh session (and CSRF token) on every sign-in
    request.session.update(uid=outcome.id, epoch=outcome.session_epoch)
    return RedirectResponse("/volunteer", status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    uid = request.session.get("uid")

    def end_sessions() -> None:
        with _db(request) as db:
            volunteer = db.get(Volunteer, uid) if uid is not None else None
            if volunteer is not None:
                volunteer.session_epoch += 1  # a copied cookie stops working too
                db.commit()

    await run_in_threadpool(end_sessions)
    request.session.clear()
    return RedirectResponse("/volunteer", status_code=303)


async def guided_chat(request: Request) -> Response:
    volunteer = await _require(request)
    code = request.query_params.get("thu_tuc", "")
    catalog: Catalog = request.app.state.catalog
    found = await run_in_threadpool(catalog.get, code) if CODE.match(code) else None
    return _page(request, "volunteer/chat.html", volunteer, procedure=found, wards=wards(), outcomes=OUTCOME_NAMES)


async def record(request: Request) -> Response:
    volunteer = await _require(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    ward, code, outcome = str(form.get("ward", "")), str(form.get("procedure_code", "")).strip(), form.get("outcome")
    if ward not in wards() or outcome not in OUTCOMES or (code and not CODE.match(code)):
        raise HTTPException(400, "Vui lòng chọn phường/xã và kết quả hợp lệ.")

    def insert() -> None:
        with _db(request) as db:
            db.add(AssistedSession(volunteer_id=volunteer.id, ward=ward, procedure_code=code, outcome=outcome))
            db.commit()

    await run_in_threadpool(insert)
    return RedirectResponse("/volunteer/log?da_ghi=1", status_code=303)


def _sessions(request: Request, limit: int | None = None) -> list[AssistedSession]:
    with _db(request) as db:
        query = select(AssistedSession).order_by(AssistedSession.created_at.desc(), AssistedSession.id.desc())
        return list(db.scalars(query.limit(limit) if limit else query))


def ward_counts(sessions: list[AssistedSession]) -> list[tuple[str, dict[str, int], int]]:
    """(ward, count per outcome, total), most sessions first."""
    counts: dict[str, Counter[str]] = {}
    for s in sessions:
        counts.setdefault(s.ward, Counter())[s.outcome] += 1
    rows = [(ward, {o: c[o] for o in OUTCOMES}, sum(c.values())) for ward, c in counts.items()]
    return sorted(rows, key=lambda r: (-r[2], r[0]))


async def log_page(request: Request) -> Response:
    volunteer = await _require(request)
    sessions = await run_in_threadpool(_sessions, request)
    return _page(
        request,
        "volunteer/log.html",
        volunteer,
        recent=sessions[:LOG_PAGE],
        counts=ward_counts(sessions),
        outcomes=OUTCOME_NAMES,
        saved=request.query_params.get("da_ghi") == "1",
    )


async def log_csv(request: Request) -> Response:
    await _require(request)
    sessions = await run_in_threadpool(_sessions, request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ngay", "phuong_xa", "ma_thu_tuc", "ket_qua"])
    for s in sessions:
        writer.writerow([s.created_at.date().isoformat(), s.ward, s.procedure_code, s.outcome])
    # A BOM so spreadsheet programs read the Vietnamese names as UTF-8.
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="phien-ho-tro.csv"'},
    )


routes = [
    Route("/volunteer", console),
    Route("/volunteer/login", login, methods=["POST"]),
    Route("/volunteer/logout", logout, methods=["POST"]),
    Route("/volunteer/chat", guided_chat),
    Route("/volunteer/log", record, methods=["POST"]),
    Route("/volunteer/log", log_page, methods=["GET"]),
    Route("/volunteer/log.csv", log_csv),
]
