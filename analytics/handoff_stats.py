"""The live handoff's figures for the dashboard, read from its own tables (handoff/store.py):
how many chats were offered, queued and ended, the wait for a person, closing codes, ratings."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Dict, List, Optional

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine

from analytics.store import day_range
from handoff.store import callbacks, chats


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _percentile(values: List[float], share: float) -> Optional[float]:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 1) if ordered else None


def handoff_stats(engine: Engine, start: date, end: date, centre: Optional[str] = None) -> Dict[str, Any]:
    low, high = day_range(start, end)
    where = [chats.c.created_at >= low, chats.c.created_at < high]
    if centre is not None:
        where.append(chats.c.centre == centre)
    with engine.connect() as db:
        rows = db.execute(
            select(chats.c.status, chats.c.queued_at, chats.c.assigned_at, chats.c.closing_code, chats.c.rating).where(
                and_(*where)
            )
        ).all()
        callback_where = [callbacks.c.created_at >= low, callbacks.c.created_at < high]
        if centre is not None:
            callback_where.append(callbacks.c.centre == centre)
        requested = len(db.execute(select(callbacks.c.id).where(and_(*callback_where))).all())
    waits = [
        (_aware(r.assigned_at) - _aware(r.queued_at)).total_seconds() for r in rows if r.queued_at and r.assigned_at
    ]
    codes: Dict[str, int] = {}
    ratings: Dict[str, int] = {}
    for row in rows:
        if row.closing_code:
            codes[row.closing_code] = codes.get(row.closing_code, 0) + 1
        if row.rating:
            ratings[str(row.rating)] = ratings.get(str(row.rating), 0) + 1
    return {
        "offered": len(rows),
        "queued": sum(1 for r in rows if r.queued_at),
        "talked": sum(1 for r in rows if r.assigned_at),
        "wait_seconds": {"p50": _percentile(waits, 0.5), "p95": _percentile(waits, 0.95)},
        "closing_codes": dict(sorted(codes.items())),
        "ratings": dict(sorted(ratings.items())),
        "callbacks": requested,
    }
