"""The review queue: real questions the assistant could not answer (or had to ask back about) become
labelled questions that measure the engine, and alias suggestions for a curator.

Admins label a (masked) question with the right procedure, as out of scope, or as a new alias of a
procedure; a label can be undone. `knowledge review export` writes the labelled questions in the
evaluation set's format (knowledge/evaluate.py: id, query, variant, codes), so `knowledge eval
--questions` measures every change on real traffic too, and the alias labels to a separate file a
curator reads before anything enters knowledge/procedures/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, and_, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from analytics.store import turns
from knowledge.language import detect_language, has_diacritics

LABELS = ("procedure", "out_of_scope", "alias")
TO_REVIEW = ("no_answer", "clarified", "out_of_scope")  # statuses whose questions are worth a look

metadata = MetaData()
labels = Table(
    "analytics_label",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", String(500), nullable=False, index=True),  # the masked question, as recorded
    Column("label", String(16), nullable=False),
    Column("code", String(20), nullable=False, default=""),
    Column("by", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("undone", Boolean, nullable=False, default=False),
)


HANDED_OVER = ("handoff_offered", "handoff_queued", "handoff_unavailable")
NOT_A_QUESTION = (
    *HANDED_OVER,
    "handoff_live",
    "handoff_callback",
    "handoff_rated",
    "asked",
    "feedback_up",
    "feedback_down",
)
FEEDBACK_DOWN, HANDOFF = "feedback_down", "handoff"  # why a question is in the queue, besides its status


@dataclass(frozen=True)
class Pending:
    text: str
    count: int
    status: str  # why it is here: the commonest status it got, FEEDBACK_DOWN or HANDOFF


@dataclass(frozen=True)
class Vote:
    """A 👎 from the web app's feedback, joined to its turn by the conversation's keyed hash."""

    conversation: str
    at: datetime
    procedure_code: str


def pending(
    engine: Engine, limit: int = 50, down_votes: Sequence[Vote] = (), reason: Optional[str] = None
) -> List[Pending]:
    """Questions to review, most frequent first, without a label that stands: those the assistant
    could not answer or asked back about, those answered with a 👎, and those after which the
    citizen asked for a person; `reason`: only those here for it (a status, FEEDBACK_DOWN, HANDOFF)."""
    metadata.create_all(engine)
    labelled = select(labels.c.text).where(labels.c.undone.is_(False))
    with engine.connect() as db:
        rows = db.execute(
            select(turns.c.text, turns.c.status, func.count().label("n"))
            .where(and_(turns.c.status.in_(TO_REVIEW), turns.c.text != "", turns.c.text.notin_(labelled)))
            .group_by(turns.c.text, turns.c.status)
            .order_by(func.count().desc(), turns.c.text)
        ).all()
        found = [(text, status, int(count)) for text, status, count in rows]
        done = set(db.execute(labelled).scalars())
        found += [(text, FEEDBACK_DOWN, 1) for text in voted_down(db, down_votes) if text not in done]
        found += [(text, HANDOFF, 1) for text in handed_over(db) if text not in done]
    merged: Dict[str, Pending] = {}
    for text, status, count in found:
        seen = merged.get(text)
        merged[text] = Pending(text, (seen.count if seen else 0) + count, seen.status if seen else status)
    kept = [p for p in merged.values() if reason is None or p.status == reason]
    return sorted(kept, key=lambda p: (-p.count, p.text))[:limit]


def voted_down(db: Connection, votes: Sequence[Vote]) -> List[str]:
    """The question each 👎 answered: the conversation's last question before the vote, the one
    answered with the voted procedure when the vote names one."""
    questions = []
    for vote in votes:
        recent = db.execute(
            select(turns.c.text, turns.c.procedure_code)
            .where(turns.c.conversation == vote.conversation, turns.c.at <= vote.at, turns.c.text != "")
            .where(turns.c.status.notin_(NOT_A_QUESTION))
            .order_by(turns.c.at.desc())
            .limit(10)
        ).all()
        match = (
            next((r for r in recent if r.procedure_code == vote.procedure_code), None) if vote.procedure_code else None
        )
        chosen = match or (recent[0] if recent else None)
        if chosen is not None:
            questions.append(str(chosen.text))
    return questions


def handed_over(db: Connection, limit: int = 500) -> List[str]:
    """The last question before each conversation's request for a person (the most recent `limit`)."""
    asks = db.execute(
        select(turns.c.conversation, func.min(turns.c.at).label("at"))
        .where(turns.c.status.in_(HANDED_OVER))
        .group_by(turns.c.conversation)
        .order_by(func.min(turns.c.at).desc())
        .limit(limit)
    ).all()
    questions = []
    for conversation, at in asks:
        before = db.execute(
            select(turns.c.text)
            .where(turns.c.conversation == conversation, turns.c.at < at, turns.c.text != "")
            .where(turns.c.status.notin_(NOT_A_QUESTION))
            .order_by(turns.c.at.desc())
            .limit(1)
        ).scalar()
        if before:
            questions.append(str(before))
    return questions


def label(engine: Engine, text: str, kind: str, code: str, by: str) -> int:
    if kind not in LABELS:
        raise ValueError(f"a label is one of {', '.join(LABELS)}")
    if kind != "out_of_scope" and not code:
        raise ValueError("this label needs the procedure's code")
    metadata.create_all(engine)
    with engine.begin() as db:
        result = db.execute(
            insert(labels).values(
                text=text[:500], label=kind, code="" if kind == "out_of_scope" else code, by=by,
                at=datetime.now(timezone.utc), undone=False,
            )
        )  # fmt: skip
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def undo(engine: Engine, label_id: int) -> bool:
    with engine.begin() as db:
        return bool(db.execute(update(labels).where(labels.c.id == label_id).values(undone=True)).rowcount)


def standing(engine: Engine) -> List[Dict[str, Any]]:
    """The labels in force, oldest first; a question labelled twice keeps its latest label."""
    metadata.create_all(engine)
    with engine.connect() as db:
        rows = db.execute(select(labels).where(labels.c.undone.is_(False)).order_by(labels.c.id)).all()
    latest: Dict[str, Dict[str, Any]] = {}
    for row in rows:
        latest[row.text] = dict(row._mapping)
    return list(latest.values())


def variant_of(text: str) -> str:
    if detect_language(text) == "en":
        return "en"
    return "vi" if has_diacritics(text) else "vi_nodiac"


def export(engine: Engine, questions: Path, aliases: Optional[Path] = None) -> tuple[int, int]:
    """Write the labelled questions (evaluation format) and the alias suggestions; returns their counts."""
    rows = standing(engine)
    questions.parent.mkdir(parents=True, exist_ok=True)
    with questions.open("w", encoding="utf-8") as out:
        for n, row in enumerate(rows, 1):
            item = {"id": f"r{n:04d}", "query": row["text"], "variant": variant_of(row["text"]),
                    "codes": [row["code"]] if row["code"] else [], "source": "review"}  # fmt: skip
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    suggested = [r for r in rows if r["label"] == "alias"]
    if aliases is not None:
        aliases.parent.mkdir(parents=True, exist_ok=True)
        with aliases.open("w", encoding="utf-8") as out:
            for row in suggested:
                out.write(
                    json.dumps({"code": row["code"], "alias": row["text"], "by": row["by"]}, ensure_ascii=False) + "\n"
                )
    return len(rows), len(suggested)
