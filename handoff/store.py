"""The handoff's own record, in our database: an append-only event log per chat (offered,
consented, queued, assigned, message, transferred, ended, cancelled, rated), a `handoff_chat`
row per chat kept in step with its events in the same transaction (the queue and the console
read it), staff presence, callback requests and the staff audit log.

This, not Rasa's paused flag, says whether a conversation is with a person: a tracker reset or
a new Rasa session un-pauses a conversation silently, so the channels ask `live_chat()` before
they let the bot answer.

SQLAlchemy Core only, written to run on SQLAlchemy 1.4 (the Rasa process, which reads and writes
live chats in its channels) and 2.x (action server, web app). Every text is masked
(bot.privacy.mask_text) before it is stored; a callback's phone number is encrypted (Fernet) and
only its last two digits are kept in clear.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from bot import sqlite
from bot.privacy import mask_text

MAX_TEXT = 2000  # characters of one stored message
PREVIEW_CHARS = 1000  # the question that led to the handoff (a callback keeps it whole); lists cut it shorter
PRESENCE_TIMEOUT = timedelta(seconds=90)  # the console says "still here" every 30 s
RATING_WINDOW = timedelta(hours=1)  # a rating typed this long after the end still counts

PRESENCE = ("online", "away", "offline")
CLOSING_CODES = ("answered", "referred", "filed_online", "citizen_left", "other")
OPEN = ("queued", "assigned")  # a chat in these states is with a person: the bot stays silent
STAFF, CITIZEN, SYSTEM = "staff", "citizen", "system"

metadata = MetaData()

chats = Table(
    "handoff_chat",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("sender", String(128), nullable=False, index=True),  # the Rasa conversation id
    Column("channel", String(32), nullable=False),  # the input channel that delivers to the citizen
    Column("lang", String(2), nullable=False, default="vi"),
    Column("centre", String(120), nullable=False, index=True),  # a ward's full name, or PROVINCE
    Column("centre_name", String(200), nullable=False),  # the one-stop centre's name, shown to the citizen
    Column("status", String(16), nullable=False, index=True),  # offered consented queued assigned ended cancelled
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("queued_at", DateTime(timezone=True)),
    Column("assigned_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("staff", String(64)),  # the staff account that claimed it
    Column("staff_display", String(64)),  # the name the citizen sees
    Column("closing_code", String(16)),
    Column("rating", Integer),
    Column("preview", String(PREVIEW_CHARS)),  # masked: the question that led to the handoff
    Column("seen_upto", Integer, nullable=False, default=0),  # last event a client without push was given
)

events = Table(
    "handoff_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", String(32), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("actor", String(80), nullable=False),  # citizen, system, or staff:<name>
    Column("text", Text),  # masked
    Column("data", Text),  # JSON, no personal data
    Column("delivered_at", DateTime(timezone=True)),  # a staff message, once Rasa has taken it
)

presence = Table(
    "handoff_presence",
    metadata,
    Column("staff", String(64), primary_key=True),
    Column("centre", String(120), nullable=False, index=True),
    Column("status", String(8), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

callbacks = Table(
    "handoff_callback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("centre", String(120), nullable=False, index=True),
    Column("centre_name", String(200), nullable=False),
    Column("lang", String(2), nullable=False, default="vi"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delete_after", DateTime(timezone=True), nullable=False),
    Column("question", String(MAX_TEXT), nullable=False),  # masked
    Column("phone_cipher", Text),  # Fernet token, or None when the citizen gave no number
    Column("phone_hint", String(8)),  # "•••• 89": enough to tell two requests apart
    Column("sender", String(128)),  # the conversation, so staff can also answer in the chat
    Column("status", String(16), nullable=False, default="open"),  # open reached not_reached
    Column("handled_by", String(64)),
    Column("handled_at", DateTime(timezone=True)),
)

audit = Table(
    "handoff_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("staff", String(64), nullable=False),
    Column("action", String(32), nullable=False),  # read, claim, message, card, transfer, end, callback...
    Column("chat_id", String(32)),
    Column("callback_id", Integer),
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: Any) -> Any:
    # SQLite gives naive datetimes back; everything here is stored in UTC.
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def clean(text: str, limit: int = MAX_TEXT) -> str:
    return mask_text(text or "")[:limit]


@dataclass(frozen=True)
class Chat:
    id: str
    sender: str
    channel: str
    lang: str
    centre: str
    centre_name: str
    status: str
    created_at: datetime
    queued_at: Optional[datetime]
    assigned_at: Optional[datetime]
    ended_at: Optional[datetime]
    staff: Optional[str]
    staff_display: Optional[str]
    closing_code: Optional[str]
    rating: Optional[int]
    preview: Optional[str]
    seen_upto: int = 0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @classmethod
    def from_row(cls, row: Any) -> Chat:
        values = dict(row._mapping)
        for name in ("created_at", "queued_at", "assigned_at", "ended_at"):
            values[name] = _aware(values[name])
        return cls(**values)


@dataclass(frozen=True)
class ChatEvent:
    id: int
    chat_id: str
    at: datetime
    kind: str
    actor: str
    text: Optional[str]
    data: Dict[str, Any]
    delivered_at: Optional[datetime]

    @property
    def staff_name(self) -> Optional[str]:
        return self.actor.split(":", 1)[1] if self.actor.startswith(STAFF + ":") else None

    @classmethod
    def from_row(cls, row: Any) -> ChatEvent:
        values = dict(row._mapping)
        values["at"], values["delivered_at"] = _aware(values["at"]), _aware(values["delivered_at"])
        values["data"] = json.loads(values["data"] or "{}")
        return cls(**values)


@dataclass(frozen=True)
class Callback:
    id: int
    centre: str
    centre_name: str
    lang: str
    created_at: datetime
    question: str
    phone_hint: Optional[str]
    has_phone: bool
    sender: Optional[str]
    status: str
    handled_by: Optional[str]


@dataclass(frozen=True)
class QueuePlace:
    position: int  # 1: next to be served
    wait_minutes: int


class StateError(Exception):
    """The chat is not in a state that allows this (claimed by someone else, already ended...)."""


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        # Several processes share the file (channels, actions, web app): a connection per use,
        # never a pooled one carried across threads (measured: a test process saw a malformed page).
        engine = create_engine(url, poolclass=NullPool, future=True)
        event.listen(engine, "connect", sqlite.pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, future=True)
    metadata.create_all(engine)
    return engine


class HandoffStore:
    def __init__(
        self, engine: Engine, average_chat_minutes: float = 6.0, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine = engine
        self.average_chat_minutes = average_chat_minutes
        self.clock = clock  # tests set the time of day

    @classmethod
    def from_url(cls, url: str, average_chat_minutes: float = 6.0) -> HandoffStore:
        return cls(make_engine(url), average_chat_minutes)

    # ------------------------------------------------------------------ citizen side

    def offer(self, sender: str, channel: str, lang: str, centre: str, centre_name: str, question: str = "") -> Chat:
        """A handoff was offered: a new chat, unless this conversation already has one open."""
        current = self.live_chat(sender)
        if current is not None:
            return current
        now = self.clock()
        chat_id = uuid.uuid4().hex
        with self.engine.begin() as db:
            db.execute(
                insert(chats).values(
                    id=chat_id,
                    sender=sender,
                    channel=channel,
                    lang=lang,
                    centre=centre,
                    centre_name=centre_name,
                    status="offered",
                    created_at=now,
                    preview=clean(question, PREVIEW_CHARS),
                )
            )
            self._log(db, chat_id, "offered", SYSTEM, now=now)
        return self.chat(chat_id)

    def latest(self, sender: str) -> Optional[Chat]:
        with self.engine.connect() as db:
            row = db.execute(
                select(chats).where(chats.c.sender == sender).order_by(chats.c.created_at.desc()).limit(1)
            ).first()
        return Chat.from_row(row) if row else None

    def live_chat(self, sender: str) -> Optional[Chat]:
        """The chat this conversation has with a person (queued or assigned), if any."""
        with self.engine.connect() as db:
            row = db.execute(
                select(chats).where(and_(chats.c.sender == sender, chats.c.status.in_(OPEN))).limit(1)
            ).first()
        return Chat.from_row(row) if row else None

    def queue(self, chat_id: str, centre: str, centre_name: str, question: str = "") -> Chat:
        """The centre is open and staffed: into its queue."""
        now = self.clock()
        with self.engine.begin() as db:
            values: Dict[str, Any] = dict(status="queued", queued_at=now, centre=centre, centre_name=centre_name)
            if question:
                values["preview"] = clean(question, PREVIEW_CHARS)
            db.execute(update(chats).where(chats.c.id == chat_id).values(**values))
            self._log(db, chat_id, "queued", SYSTEM, data={"centre": centre}, now=now)
        return self.chat(chat_id)

    def note(self, chat_id: str, kind: str, actor: str = SYSTEM) -> None:
        """An event that changes no status (the citizen's consent before the centre is known)."""
        with self.engine.begin() as db:
            self._log(db, chat_id, kind, actor)

    def set_status(self, chat_id: str, status: str, kind: str, actor: str = SYSTEM) -> None:
        with self.engine.begin() as db:
            db.execute(update(chats).where(chats.c.id == chat_id).values(status=status))
            self._log(db, chat_id, kind, actor)

    def set_centre(self, chat_id: str, centre: str, centre_name: str) -> None:
        with self.engine.begin() as db:
            db.execute(update(chats).where(chats.c.id == chat_id).values(centre=centre, centre_name=centre_name))

    def set_preview(self, chat_id: str, text: str) -> None:
        """The citizen's question (masked), shown in the queue and kept with a callback request."""
        with self.engine.begin() as db:
            db.execute(update(chats).where(chats.c.id == chat_id).values(preview=clean(text, PREVIEW_CHARS)))

    def place(self, chat: Chat) -> QueuePlace:
        """Where a queued chat stands in its centre's queue and about how long it will wait."""
        queued_at = chat.queued_at or self.clock()
        with self.engine.connect() as db:
            ahead = db.execute(
                select(func.count())
                .select_from(chats)
                .where(
                    and_(
                        chats.c.centre == chat.centre,
                        chats.c.status == "queued",
                        or_(
                            chats.c.queued_at < queued_at,
                            and_(chats.c.queued_at == queued_at, chats.c.id < chat.id),  # same instant
                        ),
                    )
                )
            ).scalar_one()
        staff = max(1, len(self.online_staff(chat.centre)))
        position = int(ahead) + 1
        return QueuePlace(position=position, wait_minutes=max(1, round(position * self.average_chat_minutes / staff)))

    def citizen_message(self, chat_id: str, text: str) -> ChatEvent:
        with self.engine.begin() as db:
            event_id = self._log(db, chat_id, "message", CITIZEN, text=clean(text))
        return self.event(event_id)

    def cancel(self, chat_id: str) -> None:
        """The citizen no longer waits ("thôi"): back to the bot."""
        now = self.clock()
        with self.engine.begin() as db:
            changed = db.execute(
                update(chats)
                .where(and_(chats.c.id == chat_id, chats.c.status.in_(OPEN)))
                .values(status="cancelled", ended_at=now)
            ).rowcount
            if changed:
                self._log(db, chat_id, "cancelled", CITIZEN, now=now)

    def awaiting_rating(self, sender: str, now: Optional[datetime] = None) -> Optional[Chat]:
        """The conversation's chat that ended recently with a person and is not rated yet."""
        chat = self.latest(sender)
        now = now or self.clock()
        if chat is None or chat.status != "ended" or chat.rating is not None or chat.ended_at is None:
            return None
        return chat if now - chat.ended_at <= RATING_WINDOW else None

    def rate(self, chat_id: str, score: int, comment: str = "") -> None:
        if not 1 <= score <= 5:
            raise ValueError("a rating is 1 to 5")
        with self.engine.begin() as db:
            db.execute(update(chats).where(chats.c.id == chat_id).values(rating=score))
            self._log(db, chat_id, "rated", CITIZEN, text=clean(comment, 500) or None, data={"score": score})

    # ------------------------------------------------------------------ staff side

    def chat(self, chat_id: str) -> Chat:
        with self.engine.connect() as db:
            row = db.execute(select(chats).where(chats.c.id == chat_id)).first()
        if row is None:
            raise KeyError(chat_id)
        return Chat.from_row(row)

    def waiting(self, centre: Optional[str]) -> List[Chat]:
        """Open chats, oldest first: of one centre, or of all centres (centre None: the province's admin)."""
        query = select(chats).where(chats.c.status.in_(OPEN))
        if centre is not None:
            query = query.where(chats.c.centre == centre)
        with self.engine.connect() as db:
            rows = db.execute(query.order_by(chats.c.queued_at)).all()
        return [Chat.from_row(r) for r in rows]

    def claim(self, chat_id: str, staff: str, display: str) -> Chat:
        now = self.clock()
        with self.engine.begin() as db:
            changed = db.execute(
                update(chats)
                .where(and_(chats.c.id == chat_id, chats.c.status == "queued"))
                .values(status="assigned", staff=staff, staff_display=display, assigned_at=now)
            ).rowcount
            if not changed:
                raise StateError("this chat is no longer waiting")
            self._log(db, chat_id, "assigned", f"{STAFF}:{staff}", data={"display": display}, now=now)
        return self.chat(chat_id)

    def staff_message(self, chat_id: str, staff: str, text: str, card: Optional[Dict[str, Any]] = None) -> ChatEvent:
        """A staff member's message (text, or a procedure card), waiting for delivery through Rasa."""
        chat = self.chat(chat_id)
        if chat.status != "assigned" or chat.staff != staff:
            raise StateError("claim the chat before you write in it")
        with self.engine.begin() as db:
            data = {"display": chat.staff_display or staff, **({"card": card} if card else {})}
            event_id = self._log(db, chat_id, "message", f"{STAFF}:{staff}", text=clean(text), data=data)
        return self.event(event_id)

    def transfer(self, chat_id: str, by: str, centre: str, centre_name: str) -> Chat:
        """To another centre's queue (`by`: the staff account moving it; who may is the console's
        rule); it keeps its place in time (queued_at), so it is not sent to the back."""
        chat = self.chat(chat_id)
        if not chat.is_open:
            raise StateError("only an open chat can be transferred")
        with self.engine.begin() as db:
            db.execute(
                update(chats)
                .where(chats.c.id == chat_id)
                .values(status="queued", centre=centre, centre_name=centre_name, staff=None, staff_display=None)
            )
            self._log(db, chat_id, "transferred", f"{STAFF}:{by}", data={"from": chat.centre, "to": centre})
        return self.chat(chat_id)

    def end(self, chat_id: str, staff: str, code: str) -> Chat:
        if code not in CLOSING_CODES:
            raise ValueError(f"closing code must be one of {', '.join(CLOSING_CODES)}")
        now = self.clock()
        with self.engine.begin() as db:
            changed = db.execute(
                update(chats)
                .where(and_(chats.c.id == chat_id, chats.c.status.in_(OPEN)))
                .values(status="ended", closing_code=code, ended_at=now)
            ).rowcount
            if not changed:
                raise StateError("this chat has already ended")
            self._log(db, chat_id, "ended", f"{STAFF}:{staff}", data={"code": code}, now=now)
        return self.chat(chat_id)

    def transcript(self, chat_id: str, after: int = 0) -> List[ChatEvent]:
        with self.engine.connect() as db:
            rows = db.execute(
                select(events).where(and_(events.c.chat_id == chat_id, events.c.id > after)).order_by(events.c.id)
            ).all()
        return [ChatEvent.from_row(r) for r in rows]

    def event(self, event_id: int) -> ChatEvent:
        with self.engine.connect() as db:
            return ChatEvent.from_row(db.execute(select(events).where(events.c.id == event_id)).one())

    def undelivered(self, limit: int = 100) -> List[ChatEvent]:
        """Events the citizen must still be sent (staff messages, joined, ended), oldest first."""
        with self.engine.connect() as db:
            rows = db.execute(
                select(events)
                .where(
                    and_(
                        events.c.delivered_at.is_(None),
                        or_(events.c.actor.like(f"{STAFF}:%"), events.c.kind == "ended"),
                        events.c.kind.in_(("message", "assigned", "ended", "transferred")),
                    )
                )
                .order_by(events.c.id)
                .limit(limit)
            ).all()
        return [ChatEvent.from_row(r) for r in rows]

    def claim_delivery(self, event_id: int) -> bool:
        """Take an event to deliver; False if another process (a web app replica) took it first."""
        with self.engine.begin() as db:
            return bool(
                db.execute(
                    update(events)
                    .where(and_(events.c.id == event_id, events.c.delivered_at.is_(None)))
                    .values(delivered_at=self.clock())
                ).rowcount
            )

    def release_delivery(self, event_id: int) -> None:
        """Delivery failed (Rasa down): back to the undelivered, tried again by the next round."""
        with self.engine.begin() as db:
            db.execute(update(events).where(events.c.id == event_id).values(delivered_at=None))

    def staff_messages_for(self, sender: str, after: int = 0) -> List[ChatEvent]:
        """What staff said to this conversation after event `after`: for clients without push (REST)."""
        with self.engine.connect() as db:
            rows = db.execute(
                select(events)
                .join(chats, chats.c.id == events.c.chat_id)
                .where(
                    and_(
                        chats.c.sender == sender,
                        events.c.id > after,
                        events.c.actor.like(f"{STAFF}:%"),
                        events.c.kind.in_(("message", "assigned", "ended")),
                    )
                )
                .order_by(events.c.id)
            ).all()
        return [ChatEvent.from_row(r) for r in rows]

    def mark_seen(self, chat_id: str, event_id: int) -> None:
        with self.engine.begin() as db:
            db.execute(
                update(chats)
                .where(and_(chats.c.id == chat_id, chats.c.seen_upto < event_id))
                .values(seen_upto=event_id)
            )

    # ------------------------------------------------------------------ presence

    def set_presence(self, staff: str, centre: str, status: str) -> None:
        if status not in PRESENCE:
            raise ValueError(f"presence is one of {', '.join(PRESENCE)}")
        now = self.clock()
        with self.engine.begin() as db:
            changed = db.execute(
                update(presence).where(presence.c.staff == staff).values(centre=centre, status=status, seen_at=now)
            ).rowcount
            if not changed:
                db.execute(insert(presence).values(staff=staff, centre=centre, status=status, seen_at=now))

    def online_staff(self, centre: str, now: Optional[datetime] = None) -> List[str]:
        since = (now or self.clock()) - PRESENCE_TIMEOUT
        with self.engine.connect() as db:
            rows = db.execute(
                select(presence.c.staff, presence.c.seen_at).where(
                    and_(presence.c.centre == centre, presence.c.status == "online")
                )
            ).all()
        return [r.staff for r in rows if _aware(r.seen_at) >= since]

    # ------------------------------------------------------------------ callbacks

    def add_callback(
        self,
        centre: str,
        centre_name: str,
        lang: str,
        question: str,
        phone_cipher: Optional[str],
        phone_hint: Optional[str],
        sender: Optional[str],
        retention_days: int,
    ) -> int:
        now = self.clock()
        with self.engine.begin() as db:
            result = db.execute(
                insert(callbacks).values(
                    centre=centre,
                    centre_name=centre_name,
                    lang=lang,
                    created_at=now,
                    delete_after=now + timedelta(days=retention_days),
                    question=clean(question),
                    phone_cipher=phone_cipher,
                    phone_hint=phone_hint,
                    sender=sender,
                    status="open",
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def callbacks(self, centre: Optional[str]) -> List[Callback]:
        query = select(callbacks)
        if centre is not None:
            query = query.where(callbacks.c.centre == centre)
        with self.engine.connect() as db:
            rows = db.execute(query.order_by(callbacks.c.created_at)).all()
        return [
            Callback(
                id=r.id,
                centre=r.centre,
                centre_name=r.centre_name,
                lang=r.lang,
                created_at=_aware(r.created_at),
                question=r.question,
                phone_hint=r.phone_hint,
                has_phone=r.phone_cipher is not None,
                sender=r.sender,
                status=r.status,
                handled_by=r.handled_by,
            )
            for r in rows
        ]

    def callback_cipher(self, callback_id: int) -> Optional[str]:
        with self.engine.connect() as db:
            return db.execute(select(callbacks.c.phone_cipher).where(callbacks.c.id == callback_id)).scalar()

    def callback_centre(self, callback_id: int) -> Optional[str]:
        with self.engine.connect() as db:
            return db.execute(select(callbacks.c.centre).where(callbacks.c.id == callback_id)).scalar()

    def mark_callback(self, callback_id: int, staff: str, status: str) -> None:
        if status not in ("reached", "not_reached"):
            raise ValueError("a callback is marked reached or not_reached")
        with self.engine.begin() as db:
            db.execute(
                update(callbacks)
                .where(callbacks.c.id == callback_id)
                .values(status=status, handled_by=staff, handled_at=self.clock())
            )

    # ------------------------------------------------------------------ audit and retention

    def audit(self, staff: str, action: str, chat_id: Optional[str] = None, callback_id: Optional[int] = None) -> None:
        with self.engine.begin() as db:
            db.execute(
                insert(audit).values(
                    at=self.clock(), staff=staff, action=action, chat_id=chat_id, callback_id=callback_id
                )
            )

    def audit_log(self, limit: int = 200) -> List[Dict[str, Any]]:
        with self.engine.connect() as db:
            rows = db.execute(select(audit).order_by(audit.c.id.desc()).limit(limit)).all()
        return [dict(r._mapping) for r in rows]

    def purge(self, retention_days: int, now: Optional[datetime] = None) -> None:
        """Delete callbacks past their retention and transcripts of chats ended long ago."""
        now = now or self.clock()
        old = now - timedelta(days=retention_days)
        with self.engine.begin() as db:
            db.execute(delete(callbacks).where(callbacks.c.delete_after < now))
            gone = select(chats.c.id).where(and_(chats.c.status.notin_(OPEN), chats.c.created_at < old))
            db.execute(delete(events).where(events.c.chat_id.in_(gone)))
            db.execute(delete(chats).where(and_(chats.c.status.notin_(OPEN), chats.c.created_at < old)))

    # ------------------------------------------------------------------ internals

    def _log(
        self,
        db: Any,
        chat_id: str,
        kind: str,
        actor: str,
        text: Optional[str] = None,
        data: Optional[Dict[str, Any]] = None,
        now: Optional[datetime] = None,
    ) -> int:
        result = db.execute(
            insert(events).values(
                chat_id=chat_id, at=now or self.clock(), kind=kind, actor=actor, text=text, data=json.dumps(data or {})
            )
        )
        return int(result.inserted_primary_key[0])
