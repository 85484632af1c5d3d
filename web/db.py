"""What the web app stores (SQLAlchemy): volunteer and staff accounts, answer feedback and the
assisted-session log (the live handoff keeps its own tables: handoff/store.py). Nothing meant to identify a resident: no chat text, a hash for the chat
session id. The one free-text field, a 👎 vote's comment, is what a resident typed, so it is masked
(bot.privacy.mask_text) and cut to 300 characters before it is stored; masking is best effort."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from bot import sqlite

OUTCOMES = ("filed_online", "not_yet", "referred")  # of an assisted session
RATINGS = ("up", "down")
ROLES = ("volunteer", "staff", "admin")  # staff answer their centre's live chats; admins every centre's
# Columns added after the first release, with the DDL that adds them to an older table at start-up
# (create_all makes missing tables, never missing columns). Plain SQL both SQLite and PostgreSQL take.
ADDED_COLUMNS = {
    "web_volunteer": {
        "role": "VARCHAR(16) NOT NULL DEFAULT 'volunteer'",
        "centre": "VARCHAR(120) NOT NULL DEFAULT ''",
    },
    "web_feedback": {"conversation": "VARCHAR(32) NOT NULL DEFAULT ''"},
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Volunteer(Base):
    __tablename__ = "web_volunteer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    ward: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Unused since sign-in delays are kept in memory (web/accounts.py); kept so existing tables still match.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)  # bumped on logout: old cookies die
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    role: Mapped[str] = mapped_column(String(16), default="volunteer", server_default="volunteer")
    # a staff account's one-stop centre (a ward's full name, or the province's); "" otherwise
    centre: Mapped[str] = mapped_column(String(120), default="", server_default="")


class Feedback(Base):
    """👍/👎 on one bot answer; one row per (conversation, message), the last vote wins."""

    __tablename__ = "web_feedback"
    __table_args__ = (UniqueConstraint("session_hash", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    session_hash: Mapped[str] = mapped_column(String(64))  # hash of the chat session id, not the id
    # the turn records' keyed hash of the same id (analytics.turns.conversation_hash): joins the vote to its turn
    conversation: Mapped[str] = mapped_column(String(32), default="")
    message_id: Mapped[str] = mapped_column(String(40))
    rating: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(32), default="")
    comment: Mapped[str] = mapped_column(String(300), default="")  # masked: web/api.py parse_feedback
    payload_type: Mapped[str] = mapped_column(String(32), default="")
    procedure_code: Mapped[str] = mapped_column(String(20), default="")
    aspect: Mapped[str] = mapped_column(String(32), default="")
    lang: Mapped[str] = mapped_column(String(2), default="vi")
    assisted: Mapped[bool] = mapped_column(Boolean, default=False)


class AssistedSession(Base):
    __tablename__ = "web_assisted_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("web_volunteer.id"))
    ward: Mapped[str] = mapped_column(String(120))
    procedure_code: Mapped[str] = mapped_column(String(20), default="")
    outcome: Mapped[str] = mapped_column(String(16))


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", sqlite.pragmas)  # web app and CLI share the file
    Base.metadata.create_all(engine)
    add_missing_columns(engine)
    return engine


def add_missing_columns(engine: Engine) -> None:
    """ALTER TABLE ... ADD COLUMN for each of ADDED_COLUMNS an existing table lacks."""
    for table, columns in ADDED_COLUMNS.items():
        for name, ddl in columns.items():
            if name in _columns(engine, table):
                continue
            try:
                with engine.begin() as db:
                    db.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}"))
            except Exception:
                # the CLI and the app starting together: the other one may have just added it
                if name not in _columns(engine, table):
                    raise


def _columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
