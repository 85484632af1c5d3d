"""Database: engine from ``DATABASE_URL`` (SQLite under var/ by default) and the tables.

Tables carry a ``dossier_`` prefix because DATABASE_URL may be shared with other parts
of the assistant. They are created on first use (``create_all``).
"""

from __future__ import annotations

import weakref
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Engine,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot import sqlite
from dossiers.settings import get_settings


class Base(DeclarativeBase):
    pass


class DossierRow(Base):
    __tablename__ = "dossier_records"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(32))
    procedure_title: Mapped[str] = mapped_column(Text)
    received_date: Mapped[date] = mapped_column(Date)
    appointment_date: Mapped[date | None] = mapped_column(Date)
    status_code: Mapped[int] = mapped_column(SmallInteger)
    current_unit: Mapped[str] = mapped_column(Text, default="")
    supplement: Mapped[str | None] = mapped_column(Text)
    fee_paid: Mapped[bool | None] = mapped_column(Boolean)
    pickup_place: Mapped[str] = mapped_column(Text, default="")
    applicant_name: Mapped[str] = mapped_column(Text, default="")  # masked only
    applicant_phone: Mapped[str | None] = mapped_column(String(16))  # masked only
    id_salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32))  # HMAC of the last 6 ID digits
    updated_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC


class ThrottleFailure(Base):
    """One failed identity check, booked once per throttle key it counts against."""

    __tablename__ = "dossier_check_failures"  # replaces dossier_failed_attempts/dossier_lockouts

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(16))  # "client" | "conversation" | "code"
    key: Mapped[str] = mapped_column(String(64))  # HMAC pseudonym, or the canonical code
    at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC

    __table_args__ = (
        Index("ix_dossier_check_failures_key", "scope", "key", "at"),
        Index("ix_dossier_check_failures_at", "at"),
    )


def database_url(url: str | None = None) -> str:
    """Explicit URL, else DATABASE_URL (dossiers.settings: the SQLite file under var/ by default).

    ``postgres://`` and ``postgresql://`` are pointed at psycopg 3, the driver we pin.
    """
    url = url or get_settings().database_url
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str | None = None) -> Engine:
    resolved = database_url(url)
    if resolved.startswith("sqlite:///") and not resolved.startswith("sqlite:///:memory:"):
        Path(resolved.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(resolved, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", sqlite.pragmas)  # the action server reads while an import writes
    return engine


_ready: weakref.WeakSet[Engine] = weakref.WeakSet()


def ensure_schema(engine: Engine) -> None:
    """Create the tables once per engine (idempotent, cheap after the first call)."""
    if engine not in _ready:
        Base.metadata.create_all(engine)
        _ready.add(engine)


def to_db_time(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db_time(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
