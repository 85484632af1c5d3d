"""Throttle against guessing the 6 ID digits: growing delays keyed on what a client
cannot choose freely, instead of a hard lock that anyone could put on an owner.

Keys. A conversation (sender) id and a dossier code are chosen by the client, so limits
on them alone can be dodged (new sender id per guess) or abused (lock a stranger's code).
The binding limit is therefore per *client key*: an opaque string from the caller (an HMAC
of the client's IP address), stored only as a further HMAC. The per-conversation rule has
the same shape; the per-code rule is global but short, so the real owner is not shut out.

Rules (``ThrottleRules`` defaults), over the failures of the last 24 h:

* client key: the first 3 failures are free; then the next check waits 30 s, doubling
  per failure up to 1 h; at most 10 failures per 24 h. A success does not reset it.
* conversation id: the same (3 free, 30 s doubling to 1 h, 10 per 24 h).
* dossier code, all clients together: 5 free, then 10 s doubling up to 5 min. A successful
  check of the code clears its failures (only someone who knows the digits can do that).

While any wait is pending no check runs at all, so a correct guess cannot be confirmed
either: the answer is ``Locked(until)``. A check that fails answers ``NotFound`` even when
it starts a wait (one answer for unknown code and wrong digits). A failure is booked
before the check runs, so parallel requests see each other, and taken back on success or
when the backend is unavailable. Failures are purged after 2 days.

What that buys (``expected_days_to_first_hit``), for an attacker with 100 addresses who
only tries real codes: 100 x 10 failures/day = 1,000 guesses/day; a guess hits with
chance 1 in 10^6, so the first valid (code, digits) pair takes ~10^6 / 1,000 = 1,000 days
(~2.7 years). Enumerating without repeats on as few codes as the per-code delay allows
(3 codes at 288/day + a 4th at 136/day) brings that down to ~786 days (~2.2 years), the
figure the function returns. Focusing on one code is capped by its delay at 288
guesses/day: 10^6 / 288 = 3,472 days (~9.5 years) to try every value, ~4.75 years on
average. The owner of a code under attack waits at most 5 minutes (the code's cap), given
a client key and a conversation of their own, unless attackers take every slot the moment
it opens (for one code that costs 29 addresses' whole daily budget).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.exc import OperationalError

from dossiers.codes import IDENTITY_DIGITS, extract_identity_digits, normalize_code
from dossiers.db import ThrottleFailure, ensure_schema, from_db_time, to_db_time, utcnow
from dossiers.identity import pseudonym
from dossiers.model import BackendUnavailable, Dossier, Locked, LookupResult, NotFound

Scope = Literal["client", "conversation", "code"]
Key = tuple[Scope, str]
Clock = Callable[[], datetime]
DAY = timedelta(days=1)
_MAX_DOUBLINGS = 60  # far beyond any cap; keeps 2**n a finite float
_PG_LOCK_ID = 0x646F7373  # one advisory lock serialises "check, then book" across processes


@dataclass(frozen=True)
class Rule:
    """Over the failures of the last ``window``: the first ``free`` may follow each other
    at once; after n >= free failures the next check waits first_delay * 2**(n - free),
    at most ``max_delay``; and never more than ``max_failures`` (if set) per window."""

    free: int
    first_delay: timedelta
    max_delay: timedelta
    max_failures: int | None = None
    window: timedelta = DAY

    def __post_init__(self) -> None:
        if self.free < 0 or not timedelta(0) < self.first_delay <= self.max_delay:
            raise ValueError("a rule needs free >= 0 and 0 < first_delay <= max_delay")
        if self.window <= timedelta(0) or (self.max_failures is not None and self.max_failures < 1):
            raise ValueError("a rule needs a positive window and max_failures >= 1")


_PER_KEY = Rule(free=3, first_delay=timedelta(seconds=30), max_delay=timedelta(hours=1), max_failures=10)


@dataclass(frozen=True)
class ThrottleRules:
    client: Rule = _PER_KEY
    conversation: Rule = _PER_KEY
    code: Rule = Rule(free=5, first_delay=timedelta(seconds=10), max_delay=timedelta(minutes=5))
    retention: timedelta = timedelta(days=2)  # failures older than this are deleted

    def __post_init__(self) -> None:
        if max(self.client.window, self.conversation.window, self.code.window) > self.retention:
            raise ValueError("retention must cover every rule's window")

    def rule(self, scope: Scope) -> Rule:
        return {"client": self.client, "conversation": self.conversation, "code": self.code}[scope]


def next_check_at(failures: Sequence[datetime], rule: Rule) -> datetime | None:
    """When the next check may run, given the failures inside the rule's window (oldest
    first); None when it may run at once."""
    count = len(failures)
    if count < rule.free:
        return None
    doublings = min(count - rule.free, _MAX_DOUBLINGS)
    wait = min(rule.max_delay.total_seconds(), rule.first_delay.total_seconds() * 2.0**doublings)
    allowed = failures[-1] + timedelta(seconds=wait)
    if rule.max_failures is not None and count >= rule.max_failures:
        # Wait until enough of the oldest failures have left the window.
        allowed = max(allowed, failures[count - rule.max_failures] + rule.window)
    return allowed


# ---------------------------------------------------------------- storage


class FailureLog(Protocol):
    """The store's view inside its exclusive section."""

    def failures(self, key: Key, since: datetime) -> list[datetime]: ...
    def add(self, key: Key, at: datetime) -> int: ...


class ThrottleStore(Protocol):
    def exclusive(self) -> AbstractContextManager[FailureLog]: ...
    def remove(self, ids: Sequence[int]) -> None: ...
    def clear(self, key: Key) -> None: ...
    def purge(self, before: datetime) -> None: ...


class _SqlLog:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def failures(self, key: Key, since: datetime) -> list[datetime]:
        row = ThrottleFailure
        query = (
            select(row.at).where(row.scope == key[0], row.key == key[1], row.at > to_db_time(since)).order_by(row.at)
        )
        return [from_db_time(at) for at in self.conn.scalars(query)]

    def add(self, key: Key, at: datetime) -> int:
        result = self.conn.execute(insert(ThrottleFailure).values(scope=key[0], key=key[1], at=to_db_time(at)))
        inserted = result.inserted_primary_key
        assert inserted is not None  # an INSERT of one row always has its key
        return int(inserted[0])


class SqlThrottleStore:
    """Failures in the same database as the dossiers (or any other; SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        ensure_schema(engine)

    @contextmanager
    def exclusive(self) -> Iterator[FailureLog]:
        """One writer at a time, so two parallel checks cannot both pass the same wait."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # takes the write lock now, not at the insert
            elif conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(_PG_LOCK_ID)))
            yield _SqlLog(conn)
            conn.commit()

    def remove(self, ids: Sequence[int]) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(ThrottleFailure).where(ThrottleFailure.id.in_(list(ids))))

    def clear(self, key: Key) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(ThrottleFailure).where(ThrottleFailure.scope == key[0], ThrottleFailure.key == key[1]))

    def purge(self, before: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(ThrottleFailure).where(ThrottleFailure.at < to_db_time(before)))


# ---------------------------------------------------------------- policy


@dataclass(frozen=True)
class Attempt:
    """A check allowed to run; its failure is already booked under each key."""

    ids: tuple[int, ...]
    code: str | None


class ThrottlePolicy:
    def __init__(self, store: ThrottleStore, rules: ThrottleRules | None = None, clock: Clock = utcnow) -> None:
        self.store = store
        self.rules = rules or ThrottleRules()
        self.clock = clock

    def keys(self, conversation_id: str, client_key: str | None, code: str | None) -> list[Key]:
        keys: list[Key] = [("conversation", pseudonym("conversation", conversation_id))]
        if client_key is not None:
            keys.append(("client", pseudonym("client", client_key)))
        if code:  # a made-up code can be longer than the column; no real one is
            keys.append(("code", code[: ThrottleFailure.key.type.length]))
        return keys

    def begin(self, conversation_id: str, client_key: str | None, code: str | None) -> Attempt | Locked:
        """Locked while any key must wait; else book a failure under every key (a success
        takes it back) so that parallel checks count against each other."""
        now = self.clock()
        keys = self.keys(conversation_id, client_key, code)
        with self.store.exclusive() as log:
            until = self._next_check(log, keys, now)
            if until is not None and until > now:
                return Locked(until)
            ids = tuple(log.add(key, now) for key in keys)
        return Attempt(ids, code)

    def _next_check(self, log: FailureLog, keys: list[Key], now: datetime) -> datetime | None:
        times = []
        for key in keys:
            rule = self.rules.rule(key[0])
            if (at := next_check_at(log.failures(key, now - rule.window), rule)) is not None:
                times.append(at)
        return max(times, default=None)

    def succeeded(self, attempt: Attempt) -> None:
        """The client's and conversation's earlier failures stay; the code's are cleared,
        which only someone who knows the digits can do."""
        self.store.remove(attempt.ids)
        if attempt.code:
            self.store.clear(("code", attempt.code))

    def failed(self, attempt: Attempt) -> None:
        self.store.purge(self.clock() - self.rules.retention)

    def cancel(self, attempt: Attempt) -> None:
        """The check did not happen (backend unavailable): not the citizen's fault."""
        self.store.remove(attempt.ids)


def guarded_lookup(
    policy: ThrottlePolicy,
    verify: Callable[[str, str], Dossier | None],
    code: str,
    identity_digits: str,
    conversation_id: str,
    client_key: str | None = None,
) -> LookupResult:
    """Shared flow of every backend: throttle, verify, book the outcome.

    ``identity_digits`` may also be the whole ID number: only its last 6 digits are used.
    ``verify(code, digits)`` gets a canonical code and IDENTITY_DIGITS digits and returns
    the dossier only when both match, doing the same work for an unknown code as for
    wrong digits; it may raise BackendUnavailable (then nothing is counted).
    """
    canonical = normalize_code(code)
    digits = extract_identity_digits(identity_digits)
    with _store_errors():
        attempt = policy.begin(conversation_id, client_key, canonical)
    if isinstance(attempt, Locked):
        return attempt
    try:
        found = verify(canonical, digits) if canonical and digits else None
    except Exception:
        with suppress(OperationalError):
            policy.cancel(attempt)
        raise
    with _store_errors():
        if found is None:
            policy.failed(attempt)
        else:
            policy.succeeded(attempt)
    return NotFound() if found is None else found


@contextmanager
def _store_errors() -> Iterator[None]:
    """The throttle's database down or locked: the lookup cannot be guarded, so it fails."""
    try:
        yield
    except OperationalError as error:
        raise BackendUnavailable("throttle store unavailable") from error


# ---------------------------------------------------------------- what the rules allow


def failures_per_day(rule: Rule, windows: int = 10) -> float:
    """Failures one key can make per day under ``rule`` when it retries the moment it is
    allowed: simulated over ``windows`` windows, averaged over all but the first (the
    steady state, without the free start)."""
    start = datetime(2000, 1, 1, tzinfo=UTC)
    end = start + rule.window * windows
    now, times = start, list[datetime]()
    while True:
        recent = times[bisect_right(times, now - rule.window) :]
        now = max(now, next_check_at(recent, rule) or now)
        if now >= end:
            break
        times.append(now)
    steady = len(times) - bisect_left(times, start + rule.window)
    return steady / (windows - 1) * (DAY / rule.window)


def expected_days_to_first_hit(addresses: int, rules: ThrottleRules | None = None) -> float:
    """Expected days until an attacker with ``addresses`` client keys, trying only real
    codes at the allowed rate, confirms one (code, digits) pair.

    Sender ids are free to change, so the client rule sets the daily total; the per-code
    rule caps what one code takes. Best strategy we know: fill as many codes as possible
    at the per-code rate, the remainder on one more, and try each code's values without
    repeats. With ``full`` codes at rate p and one at q <= p, the chance of no hit by day
    t is (1 - pt/N)^full (1 - qt/N), whose integral is N/p (1/(full+1) - (q/p)/((full+1)(full+2))).
    """
    rules = rules or ThrottleRules()
    values = 10**IDENTITY_DIGITS
    total = addresses * failures_per_day(rules.client)
    per_code = failures_per_day(rules.code)
    full = math.floor(total / per_code)
    if full == 0:  # all guesses fit on one code: the hit comes halfway through its values
        return float(values / (2 * total))
    ratio = (total - full * per_code) / per_code
    return float(values / per_code * (1 / (full + 1) - ratio / ((full + 1) * (full + 2))))
