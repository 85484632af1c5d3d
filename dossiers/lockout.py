"""Lockout against guessing the 4 ID digits.

Rules (defaults): 5 failed checks in one conversation (within 24 h), or 10 failed checks
on one code within an hour, pause lookups for 15 minutes. The check that reaches a limit
already answers ``Locked``; during the pause no check runs at all, so a correct guess
cannot be confirmed either. After a pause the count starts again from zero. A successful
lookup does not clear earlier failures (else one known dossier would reset the counter).

Worst case for a guesser of one code: about 10 guesses per 15-75 minutes, i.e. weeks of
steady trying for the 10,000 possibilities, with every failure on record. The per-code
rule also pauses the real owner for 15 minutes: accepted, it is short.

Failures and pauses live in SQL tables keyed by a hashed conversation id and by code;
time comes from an injected clock so tests can move it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from dossiers.codes import normalize_code
from dossiers.db import FailedAttempt, Lockout, ensure_schema, from_db_time, to_db_time, utcnow
from dossiers.identity import conversation_key
from dossiers.model import Dossier, Locked, LookupResult, NotFound

Scope = Literal["conversation", "code"]
Clock = Callable[[], datetime]
RETENTION = timedelta(days=2)  # failures older than this can no longer count


@dataclass(frozen=True)
class LockoutRules:
    per_conversation: int = 5
    conversation_window: timedelta = timedelta(hours=24)
    per_code: int = 10
    code_window: timedelta = timedelta(hours=1)
    pause: timedelta = timedelta(minutes=15)


class LockoutStore(Protocol):
    def add_failure(self, conversation: str, code: str | None, at: datetime) -> None: ...
    def count_failures(self, scope: Scope, key: str, since: datetime) -> int: ...
    def add_lock(self, scope: Scope, key: str, until: datetime) -> None: ...
    def latest_lock(self, scope: Scope, key: str) -> datetime | None: ...
    def purge(self, before: datetime) -> None: ...


class SqlLockoutStore:
    """Failed attempts and pauses in the same database as the dossiers (or any other)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        ensure_schema(engine)

    def add_failure(self, conversation: str, code: str | None, at: datetime) -> None:
        with Session(self.engine) as session, session.begin():
            session.add(FailedAttempt(conversation_key=conversation, code=code, at=to_db_time(at)))

    def count_failures(self, scope: Scope, key: str, since: datetime) -> int:
        column = FailedAttempt.conversation_key if scope == "conversation" else FailedAttempt.code
        query = select(func.count()).where(column == key, FailedAttempt.at >= to_db_time(since))
        with Session(self.engine) as session:
            return session.scalar(query) or 0

    def add_lock(self, scope: Scope, key: str, until: datetime) -> None:
        with Session(self.engine) as session, session.begin():
            session.add(Lockout(scope=scope, key=key, until=to_db_time(until)))

    def latest_lock(self, scope: Scope, key: str) -> datetime | None:
        query = select(func.max(Lockout.until)).where(Lockout.scope == scope, Lockout.key == key)
        with Session(self.engine) as session:
            until = session.scalar(query)
        return from_db_time(until) if until else None

    def purge(self, before: datetime) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(delete(FailedAttempt).where(FailedAttempt.at < to_db_time(before)))
            session.execute(delete(Lockout).where(Lockout.until < to_db_time(before)))


class LockoutPolicy:
    def __init__(
        self, store: LockoutStore, rules: LockoutRules | None = None, clock: Clock = utcnow
    ) -> None:
        self.store = store
        self.rules = rules or LockoutRules()
        self.clock = clock

    def _keys(self, conversation_id: str, code: str | None) -> list[tuple[Scope, str]]:
        keys: list[tuple[Scope, str]] = [("conversation", conversation_key(conversation_id))]
        if code:
            keys.append(("code", code))
        return keys

    def locked_until(self, conversation_id: str, code: str | None) -> datetime | None:
        now = self.clock()
        ends = [self.store.latest_lock(scope, key) for scope, key in self._keys(conversation_id, code)]
        active = [end for end in ends if end and end > now]
        return max(active) if active else None

    def record_failure(self, conversation_id: str, code: str | None) -> datetime | None:
        """Log one failed check; returns the end of the pause it triggers, if any."""
        now = self.clock()
        keys = self._keys(conversation_id, code)
        self.store.add_failure(keys[0][1], code, now)
        until = None
        for scope, key in keys:
            limit, window = self._limit(scope)
            since = now - window
            last_lock = self.store.latest_lock(scope, key)
            if last_lock and last_lock > since:  # count afresh after each pause
                since = last_lock
            if self.store.count_failures(scope, key, since) >= limit:
                until = now + self.rules.pause
                self.store.add_lock(scope, key, until)
        self.store.purge(now - RETENTION)
        return until

    def _limit(self, scope: Scope) -> tuple[int, timedelta]:
        if scope == "conversation":
            return self.rules.per_conversation, self.rules.conversation_window
        return self.rules.per_code, self.rules.code_window


def guarded_lookup(
    policy: LockoutPolicy,
    code: str,
    identity_digits: str,
    conversation_id: str,
    verify: Callable[[str, str], Dossier | None],
) -> LookupResult:
    """Shared flow of every backend: pause check, verify, count the failure.

    ``verify(code, digits)`` gets a canonical code and 4 digits and returns the dossier
    only when both match; it may raise BackendUnavailable (then nothing is counted).
    """
    canonical = normalize_code(code)
    until = policy.locked_until(conversation_id, canonical)
    if until:
        return Locked(until)
    digits = (identity_digits or "").strip()
    if canonical and len(digits) == 4 and digits.isascii() and digits.isdigit():
        found = verify(canonical, digits)
        if found is not None:
            return found
    until = policy.record_failure(conversation_id, canonical)
    return Locked(until) if until else NotFound()
