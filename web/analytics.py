"""What citizens ask and how the assistant answers, from the turn records (analytics/store.py):
`GET /staff/api/analytics/summary?from=YYYY-MM-DD&to=YYYY-MM-DD` (JSON) and `.csv` (the same
figures, one row each). Admins see the province; staff see the turns of their own centre's ward
(the province centre's staff: the turns whose ward is not known). Aggregates and masked texts only.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from analytics import review, similar
from analytics import store as analytics
from analytics.handoff_stats import handoff_stats
from handoff.conversation import PROVINCE
from web.db import Feedback, Volunteer
from web.pages import render
from web.security import csrf_token
from web.staff import STAFF_ROLES, ApiError, api, audit, json_body
from web.volunteer import current_volunteer

logger = logging.getLogger(__name__)
MAX_DAYS = 366
LANGUAGES = ("vi", "en")
CHANNELS = ("socketio", "rest", "zalo")  # the channels' names (bot/channels/*.py `name()`)
WIDGET_CHANNEL = "socketio"  # where the widget's 👍/👎 come from
# what the open-data export keeps of the summary: aggregates, never a question's text
OPEN_DATA = ("from", "to", "turns", "conversations", "contained", "by_status", "by_language", "by_channel",
             "top_procedures", "top_aspects", "latency_ms", "per_day", "feedback", "handoff")  # fmt: skip
# why a question waits for review, as the review page names it
REVIEW_REASONS = {
    "no_answer": "Chưa trả lời được",
    "clarified": "Phải hỏi lại để chọn thủ tục",
    "out_of_scope": "Bị coi là ngoài phạm vi",
    review.FEEDBACK_DOWN: "Người dân bấm 👎",
    review.HANDOFF: "Người dân xin gặp cán bộ sau câu này",
}
DEFAULT_DAYS = 30
REMEMBERED = similar.RememberedVectors()  # one per process, shared by every dashboard load


def period(request: Request) -> tuple[date, date]:
    """The `from`/`to` dates (both included); by default the last 30 days."""
    try:
        end = date.fromisoformat(request.query_params.get("to") or date.today().isoformat())
        start = date.fromisoformat(
            request.query_params.get("from") or (end - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
        )
    except ValueError:
        raise ApiError(400, "Ngày phải có dạng YYYY-MM-DD.") from None
    if start > end or (end - start).days >= MAX_DAYS:
        raise ApiError(400, f"Khoảng ngày từ 1 đến {MAX_DAYS} ngày, `from` trước `to`.")
    return start, end


def centre_of(request: Request, account: Volunteer) -> str | None:
    """The centre whose figures are shown: a staff member's own; for an admin the `centre`
    parameter (a key of /staff/api/centres), or None for the whole province."""
    if account.role != "admin":
        return account.centre
    chosen = request.query_params.get("centre") or None
    if chosen is not None and request.app.state.handoff.centres.get(chosen) is None:
        raise ApiError(400, "Không có trung tâm này.")
    return chosen


def wards_of(request: Request, centre: str | None) -> list[str] | None:
    """The ward names of the centre's turns; None: every turn."""
    if centre is None:
        return None
    if centre == PROVINCE:
        return [""]  # the province centre serves the turns whose ward is not known
    ward = request.app.state.handoff.centres.localities.ward(centre)
    return [ward.name, ward.full_name] if ward else []


def narrowing(request: Request) -> dict[str, str | None]:
    """The language and channel filters (None: all)."""
    chosen = {name: request.query_params.get(name) or None for name in ("language", "channel")}
    if chosen["language"] not in (None, *LANGUAGES) or chosen["channel"] not in (None, *CHANNELS):
        raise ApiError(400, f"Ngôn ngữ là {', '.join(LANGUAGES)}; kênh là {', '.join(CHANNELS)}.")
    return chosen


async def _summary(request: Request, account: Volunteer, group_questions: bool = True) -> dict[str, Any]:
    """The figures; without `group_questions` (open data, which drops the questions) no grouping:
    embedding them would be work thrown away."""
    start, end = period(request)
    engine = request.app.state.analytics
    centre = centre_of(request, account)
    only = narrowing(request)
    figures = await run_in_threadpool(
        functools.partial(analytics.summary, engine, start, end, wards_of(request, centre), **only)
    )
    handoff_engine = request.app.state.handoff.store.engine
    figures["handoff"] = await run_in_threadpool(handoff_stats, handoff_engine, start, end, centre)
    if group_questions:
        asked = [(item["text"], item["count"]) for item in figures["unanswered"]]
        figures["unanswered_groups"] = [g.as_dict() for g in await run_in_threadpool(grouped, request, asked)]
    votes = await run_in_threadpool(feedback_counts, request, start, end, only["language"], only["channel"])
    figures["feedback"] = with_channel_votes(votes, figures["by_status"])
    await audit(request, account, "analytics")
    return figures


def grouped(request: Request, asked: list[tuple[str, int]]) -> list[similar.Group]:
    """The unanswered questions grouped by meaning; one group each while the index is not loaded."""
    knowledge = request.app.state.catalog.knowledge()
    embed = None
    if knowledge is not None:
        embed = REMEMBERED.embed(str(knowledge.manifest.get("build_id")), knowledge.question_vectors)
    try:
        return similar.group_similar(asked, embed)
    except Exception as error:  # noqa: BLE001 - the figures matter more than their grouping
        logger.warning("analytics.grouping_failed: %s", type(error).__name__)
        return similar.group_similar(asked, None)


def feedback_counts(
    request: Request, start: date, end: date, language: str | None = None, channel: str | None = None
) -> dict[str, Any]:
    """👍/👎 on answers in the period, and the reasons given with 👎 (the widget's, province-wide:
    a vote knows its language, and that it came from the widget, not its ward)."""
    low, high = analytics.day_range(start, end)
    where = [Feedback.created_at >= low, Feedback.created_at < high]
    if language is not None:
        where.append(Feedback.lang == language)
    if channel not in (None, WIDGET_CHANNEL):
        return {"up": 0, "down": 0, "reasons": {}}
    with request.app.state.db() as db:
        rows = db.execute(select(Feedback.rating, Feedback.reason).where(*where)).all()
    reasons: dict[str, int] = {}
    for rating, reason in rows:
        if rating == "down" and reason:
            reasons[reason] = reasons.get(reason, 0) + 1
    return {
        "up": sum(1 for r in rows if r.rating == "up"),
        "down": sum(1 for r in rows if r.rating == "down"),
        "reasons": dict(sorted(reasons.items())),
    }


def with_channel_votes(feedback: dict[str, Any], by_status: dict[str, int]) -> dict[str, Any]:
    """The widget's votes plus those typed on Zalo (turns whose status is a vote)."""
    up, down = feedback["up"] + by_status.get("feedback_up", 0), feedback["down"] + by_status.get("feedback_down", 0)
    answered = by_status.get("answered", 0)
    # votes per answer given: how often citizens say whether an answer helped
    return {**feedback, "up": up, "down": down, "rate": round((up + down) / answered, 3) if answered else None}


@api
async def summary(request: Request, account: Volunteer) -> dict[str, Any]:
    return await _summary(request, account)


@api
async def summary_csv(request: Request, account: Volunteer) -> Response:
    figures = await _summary(request, account)
    return csv_download(figures, f"tro-ly-thu-tuc-{figures['from']}-{figures['to']}.csv")


@api
async def open_data_json(request: Request, account: Volunteer) -> dict[str, Any]:
    _admin(account)
    return open_data(await _summary(request, account, group_questions=False))


@api
async def open_data_csv(request: Request, account: Volunteer) -> Response:
    _admin(account)
    figures = open_data(await _summary(request, account, group_questions=False))
    return csv_download(figures, f"du-lieu-mo-tro-ly-thu-tuc-{figures['from']}-{figures['to']}.csv")


def open_data(figures: dict[str, Any]) -> dict[str, Any]:
    """The province's figures fit to publish: counts and timings only, no question text at all
    (not even masked), no 👎 comment."""
    return {key: figures[key] for key in OPEN_DATA if key in figures}


def csv_download(figures: dict[str, Any], name: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "key", "value"])
    for row in csv_rows(figures):
        writer.writerow(row)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def csv_rows(figures: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """The summary's figures as (metric, key, value), the same numbers as the JSON."""
    rows: list[tuple[str, str, Any]] = [(name, "", figures[name]) for name in ("turns", "conversations", "contained")]
    for name in ("by_status", "by_language", "by_channel"):
        rows += [(name, key, value) for key, value in figures[name].items()]
    rows += [("top_procedures", item["code"], item["count"]) for item in figures["top_procedures"]]
    rows += [("top_aspects", item["aspect"], item["count"]) for item in figures.get("top_aspects", [])]
    rows += [("unanswered", item["text"], item["count"]) for item in figures.get("unanswered", [])]
    rows += [("unanswered_group", group["text"], group["count"]) for group in figures.get("unanswered_groups", [])]
    rows += [("latency_ms", key, value) for key, value in figures["latency_ms"].items()]
    rows += [("per_day", day["day"], day["turns"]) for day in figures.get("per_day", [])]
    rows += [("feedback", key, value) for key, value in figures.get("feedback", {}).items() if key != "reasons"]
    rows += [("feedback_reason", key, value) for key, value in figures.get("feedback", {}).get("reasons", {}).items()]
    handoff = figures.get("handoff", {})
    rows += [("handoff", key, handoff[key]) for key in ("offered", "queued", "talked", "callbacks") if key in handoff]
    rows += [("handoff_wait_seconds", key, value) for key, value in handoff.get("wait_seconds", {}).items()]
    rows += [("handoff_closing_code", key, value) for key, value in handoff.get("closing_codes", {}).items()]
    rows += [("handoff_rating", key, value) for key, value in handoff.get("ratings", {}).items()]
    return rows


# --------------------------------------------------------------------------- review queue (admins)


def _admin(account: Volunteer) -> None:
    if account.role != "admin":
        raise ApiError(403, "Chỉ quản trị viên tỉnh duyệt câu hỏi.")


@api
async def review_queue(request: Request, account: Volunteer) -> list[dict[str, Any]]:
    _admin(account)
    reason = request.query_params.get("reason") or None
    if reason is not None and reason not in REVIEW_REASONS:
        raise ApiError(400, f"Lý do là một trong: {', '.join(REVIEW_REASONS)}.")
    votes = await run_in_threadpool(down_votes, request)
    queue = await run_in_threadpool(review.pending, request.app.state.analytics, 50, votes, reason)
    return [{"text": p.text, "count": p.count, "status": p.status} for p in queue]


def down_votes(request: Request, limit: int = 500) -> list[review.Vote]:
    """The latest 👎 of the widget that can be joined to a turn."""
    with request.app.state.db() as db:
        rows = db.execute(
            select(Feedback.conversation, Feedback.created_at, Feedback.procedure_code)
            .where(Feedback.rating == "down", Feedback.conversation != "")
            .order_by(Feedback.created_at.desc())
            .limit(limit)
        ).all()
    return [review.Vote(conversation, at, code) for conversation, at, code in rows]


@api
async def review_label(request: Request, account: Volunteer) -> dict[str, Any]:
    _admin(account)
    body = await json_body(request)
    text, kind, code = str(body.get("text", ""))[:500], str(body.get("label", "")), str(body.get("code", "")).strip()
    if kind not in review.LABELS or not text:
        raise ApiError(400, f"Cần câu hỏi và nhãn ({', '.join(review.LABELS)}).")
    if kind != "out_of_scope" and await run_in_threadpool(request.app.state.catalog.get, code) is None:
        raise ApiError(404, "Không tìm thấy thủ tục có mã này.")
    label_id = await run_in_threadpool(review.label, request.app.state.analytics, text, kind, code, account.name)
    await audit(request, account, "review_label")
    return {"id": label_id}


@api
async def review_undo(request: Request, account: Volunteer) -> dict[str, Any]:
    _admin(account)
    try:
        label_id = int(request.path_params["label_id"])
    except ValueError:
        raise ApiError(404, "Không có nhãn này.") from None
    if not await run_in_threadpool(review.undo, request.app.state.analytics, label_id):
        raise ApiError(404, "Không có nhãn này.")
    await audit(request, account, "review_undo")
    return {"id": label_id, "undone": True}


async def page(request: Request) -> Response:
    """The dashboard; its script reads the summary endpoint. Staff sign in at /staff first."""
    account = await run_in_threadpool(current_volunteer, request)
    if account is None or account.role not in STAFF_ROLES:
        return RedirectResponse("/staff", status_code=303)
    end = date.today()
    scope = "Toàn tỉnh" if account.role == "admin" else account.centre
    context = {
        "start": (end - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        "end": end.isoformat(),
        "scope": scope,
        "admin": account.role == "admin",
    }
    return render(request, "staff/analytics.html", context)


async def review_page(request: Request) -> Response:
    """The review queue, for the province's admins (staff are sent to their console)."""
    account = await run_in_threadpool(current_volunteer, request)
    if account is None or account.role != "admin":
        return RedirectResponse("/staff", status_code=303)
    context = {"csrf": csrf_token(request), "reasons": json.dumps(REVIEW_REASONS, ensure_ascii=False)}
    return render(request, "staff/review.html", context)


routes = [
    Route("/staff/analytics", page),
    Route("/staff/review", review_page),
    Route("/staff/api/analytics/summary", summary),
    Route("/staff/api/analytics/summary.csv", summary_csv),
    Route("/staff/api/analytics/open-data.json", open_data_json),
    Route("/staff/api/analytics/open-data.csv", open_data_csv),
    Route("/staff/api/review", review_queue),
    Route("/staff/api/review", review_label, methods=["POST"]),
    Route("/staff/api/review/{label_id}/undo", review_undo, methods=["POST"]),
]
