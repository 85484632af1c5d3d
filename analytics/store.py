"""Where turn records go (`analytics_turn`), written off the reply's path, and the queries behind
the summary. SQLAlchemy Core on SQLAlchemy 1.4 (the Rasa process writes) and 2.x (the web app
reads); ANALYTICS_DATABASE_URL, else DATABASE_URL (analytics/settings.py).

The chat never waits on analytics: `TurnRecorder.record` puts the records on a bounded queue and
returns; one thread writes them. A store that is down or slow fills the queue, and what does not
fit is dropped and counted, never waited for.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections import Counter, OrderedDict
from dataclasses import asdict
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Connection, Engine, make_url

from analytics.turns import TurnRecord, turns_from_events
from bot import sqlite

logger = logging.getLogger(__name__)
turn_log = logging.getLogger("assistant.turn")  # one JSON line per turn: the status and latency, no text
LOGGED = ("channel", "language", "intent", "status", "procedure_code", "aspect", "latency_ms", "conversation")
QUEUE_SIZE = 10_000  # turns waiting to be written; beyond, new ones are dropped (and counted)
BATCH = 200
WRITE_PAUSE_SECONDS = 1.0  # the writer gathers what a second brings before it writes
WARDS_KEPT = 50_000  # conversations whose ward is remembered between turns
UNANSWERED = ("no_answer", "clarified")  # the dashboard's "not answered or asked back" turns

metadata = MetaData()
turns = Table(
    "analytics_turn",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("conversation", String(32), nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("language", String(2), nullable=False),
    Column("intent", String(40), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("status", String(24), nullable=False, index=True),
    Column("procedure_code", String(20), nullable=False),
    Column("aspect", String(32), nullable=False),
    Column("latency_ms", Integer, nullable=False),
    Column("ward", String(120), nullable=False),
    Column("text", String(500), nullable=False),  # masked
)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True, future=True)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", sqlite.pragmas)
    return engine


class TurnRecorder:
    """Turns from each tracker save, written in the background."""

    def __init__(self, url: str, key: str, pause: float = WRITE_PAUSE_SECONDS) -> None:
        self.url, self.key, self.pause = url, key, pause
        self.queue: queue.Queue[TurnRecord] = queue.Queue(QUEUE_SIZE)
        self.dropped = 0
        self._wards: OrderedDict[str, str] = OrderedDict()
        self._thread = threading.Thread(target=self._write_forever, name="analytics-writer", daemon=True)
        self._thread.start()

    def observe(self, sender_id: str, events: Iterable[Dict[str, Any]]) -> None:
        """The events a save adds; never raises, never blocks."""
        try:
            for turn in turns_from_events(sender_id, events, self.key):
                self._put(self._with_ward(turn))
                turn_log.info(json.dumps({"turn": {name: getattr(turn, name) for name in LOGGED}}, ensure_ascii=False))
        except Exception as error:  # noqa: BLE001 - analytics must never break a reply
            logger.warning("analytics.turn_skipped: %s", type(error).__name__)

    def _with_ward(self, turn: TurnRecord) -> TurnRecord:
        if turn.ward:
            self._wards[turn.conversation] = turn.ward
            self._wards.move_to_end(turn.conversation)
            while len(self._wards) > WARDS_KEPT:
                self._wards.popitem(last=False)
            return turn
        ward = self._wards.get(turn.conversation, "")
        return TurnRecord(**{**asdict(turn), "ward": ward}) if ward else turn

    def _put(self, turn: TurnRecord) -> None:
        try:
            self.queue.put_nowait(turn)
        except queue.Full:
            self.dropped += 1

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until what is queued is written (tests, shutdown)."""
        self.queue.join() if timeout is None else _join(self.queue, timeout)

    def _write_forever(self) -> None:
        engine: Optional[Engine] = None
        while True:
            batch = [self.queue.get()]
            # Writing holds the interpreter lock for a few ms, and a turn under way waits for it:
            # once a second for many turns instead of once per turn (bench/bench_analytics.py).
            threading.Event().wait(self.pause)
            while len(batch) < BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                if engine is None:
                    engine = make_engine(self.url)
                    metadata.create_all(engine)
                with engine.begin() as db:
                    db.execute(insert(turns), [asdict(t) for t in batch])
            except Exception as error:  # noqa: BLE001 - the store is down: these turns are lost, the chat is not
                self.dropped += len(batch)
                logger.warning("analytics.write_failed: %s (%d turns)", type(error).__name__, len(batch))
            finally:
                for _ in batch:
                    self.queue.task_done()


def _join(pending: queue.Queue[TurnRecord], timeout: float) -> None:
    deadline = datetime.now(timezone.utc) + timedelta(seconds=timeout)
    while pending.unfinished_tasks and datetime.now(timezone.utc) < deadline:
        threading.Event().wait(0.02)


# ---------------------------------------------------------------------------------- reading


VIETNAM = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh has no daylight saving


def day_range(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in Vietnam time."""
    return datetime.combine(start, time(0), VIETNAM), datetime.combine(end + timedelta(days=1), time(0), VIETNAM)


def summary(
    engine: Engine,
    start: date,
    end: date,
    wards: Optional[List[str]] = None,
    language: Optional[str] = None,
    channel: Optional[str] = None,
) -> Dict[str, Any]:
    """The figures behind the dashboard, for [start, end] (Vietnam dates); `wards`: one centre's;
    `language`, `channel`: only those turns (None: all)."""
    low, high = day_range(start, end)
    where = [turns.c.at >= low, turns.c.at < high]
    if wards is not None:
        where.append(turns.c.ward.in_(wards))
    if language is not None:
        where.append(turns.c.language == language)
    if channel is not None:
        where.append(turns.c.channel == channel)
    with engine.connect() as db:
        total = db.execute(select(func.count()).select_from(turns).where(*where)).scalar_one()
        conversations = db.execute(select(func.count(func.distinct(turns.c.conversation))).where(*where)).scalar_one()
        by_status: Dict[str, int] = dict(
            db.execute(select(turns.c.status, func.count()).where(*where).group_by(turns.c.status)).all()
        )
        by_language: Dict[str, int] = dict(
            db.execute(select(turns.c.language, func.count()).where(*where).group_by(turns.c.language)).all()
        )
        by_channel: Dict[str, int] = dict(
            db.execute(select(turns.c.channel, func.count()).where(*where).group_by(turns.c.channel)).all()
        )
        top = _most_common(db, turns.c.procedure_code, where, 20)
        aspects = _most_common(db, turns.c.aspect, where, 20)
        unanswered = _most_common(db, turns.c.text, [*where, turns.c.status.in_(UNANSWERED)], 50)
        rows = db.execute(
            select(turns.c.at, turns.c.conversation, turns.c.latency_ms, turns.c.status).where(*where)
        ).all()
        latencies = sorted(r.latency_ms for r in rows)
        handed = db.execute(
            select(func.count(func.distinct(turns.c.conversation))).where(
                *where, turns.c.status.in_(("handoff_queued", "handoff_live"))
            )
        ).scalar_one()
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "turns": int(total),
        "conversations": int(conversations),
        "contained": int(conversations) - int(handed),  # conversations the bot handled without a person
        "by_status": {str(k): int(v) for k, v in sorted(by_status.items())},
        "by_language": {str(k or "?"): int(v) for k, v in sorted(by_language.items())},
        "by_channel": {str(k or "?"): int(v) for k, v in sorted(by_channel.items())},
        "top_procedures": [{"code": code, "count": int(n)} for code, n in top],
        "top_aspects": [{"aspect": aspect, "count": int(n)} for aspect, n in aspects],
        "unanswered": [{"text": text, "count": int(n)} for text, n in unanswered],
        "latency_ms": {"p50": _percentile(latencies, 0.5), "p95": _percentile(latencies, 0.95)},
        "per_day": per_day(rows, start, end),
    }


def _most_common(db: Connection, column: Any, where: Sequence[Any], limit: int) -> List[Any]:
    """(value, count) of the column's most common non-empty values, ties in value order."""
    return list(
        db.execute(
            select(column, func.count().label("n"))
            .where(*where, column != "")
            .group_by(column)
            .order_by(func.count().desc(), column)
            .limit(limit)
        ).all()
    )


def per_day(rows: Sequence[Any], start: date, end: date) -> List[Dict[str, Any]]:
    """Turns, conversations, answered and unanswered turns on each Vietnam day of the range, days
    without any included."""
    counts: Dict[date, Counter[str]] = {}
    talks_on: Dict[date, Set[str]] = {}
    for row in rows:
        day = _aware(row.at).astimezone(VIETNAM).date()
        kind = "answered" if row.status == "answered" else "unanswered" if row.status in UNANSWERED else "other"
        counts.setdefault(day, Counter()).update(("turns", kind))
        talks_on.setdefault(day, set()).add(row.conversation)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [
        {
            "day": d.isoformat(),
            "turns": counts.get(d, Counter())["turns"],
            "conversations": len(talks_on.get(d, ())),
            "answered": counts.get(d, Counter())["answered"],
            "unanswered": counts.get(d, Counter())["unanswered"],
        }
        for d in days
    ]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)  # SQLite gives naive UTC back


def _percentile(ordered: List[int], share: float) -> Optional[int]:
    if not ordered:
        return None
    return int(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))])


def purge(engine: Engine, retention_days: int, now: Optional[datetime] = None) -> int:
    """Delete turn records older than `retention_days`; returns how many."""
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=retention_days)
    metadata.create_all(engine)
    with engine.begin() as db:
        return int(db.execute(delete(turns).where(turns.c.at < cutoff)).rowcount or 0)
