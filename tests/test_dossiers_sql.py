"""Import, lookup and throttle against SQLite and a real PostgreSQL server.

The PostgreSQL half starts its own throwaway server (tests/postgres.py), stopped at the end.
Without the binaries that half is skipped.
"""

from __future__ import annotations

import heapq
import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dossiers.db import Base, DossierRow, ThrottleFailure, make_engine
from dossiers.importer import import_file, store_rows
from dossiers.model import Dossier, ImportRow, Locked, NotFound
from dossiers.sql_backend import SqlBackend
from dossiers.throttle import ThrottleRules, failures_per_day
from tests import postgres

START = datetime(2025, 9, 16, 8, 0, tzinfo=UTC)


class FakeClock:
    """The time source the throttle policy is given; tests move it."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


# ---------------------------------------------------------------- PostgreSQL server


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    binaries = postgres.bindir()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql-15")
    with postgres.running(binaries) as server:
        yield server.url


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dossiers.sqlite'}"
    else:
        url = request.getfixturevalue("pg_url")
    eng = make_engine(url)
    Base.metadata.drop_all(eng)  # the PostgreSQL server is shared by the module's tests
    yield eng
    eng.dispose()


# ---------------------------------------------------------------- data helpers


def record(code: str = "000.00.31.H04-250714-0012", id_number: str = "027095001234", **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "code": code,
        "procedure_code": "1.001193",
        "procedure_title": "Thủ tục đăng ký khai sinh",
        "received_date": "2025-07-14",
        "appointment_date": "2025-07-15",
        "status_code": 4,
        "current_unit": "Công chức Tư pháp - Hộ tịch UBND phường Kinh Bắc",
        "supplement": None,
        "fee_paid": None,
        "pickup_place": "Bộ phận Một cửa UBND phường Kinh Bắc",
        "applicant_name": "Nguyễn Văn An",
        "applicant_phone": "0912345678",
        "applicant_id_number": id_number,
    }
    fields.update(changes)
    return fields


def seed(engine: Engine, *records: dict[str, Any]) -> None:
    store_rows(engine, [ImportRow(**r) for r in records])


# ---------------------------------------------------------------- import


def test_import_jsonl_keeps_good_rows_and_reports_bad_ones(engine: Engine, tmp_path: Path) -> None:
    lines = [
        json.dumps(record("000.00.31.H04-250714-0001")),  # 1 good
        json.dumps(record("000.00.31.H04-250714-0002", status_code=11)),  # 2
        "",  # 3 blank: skipped silently
        "{not json",  # 4
        json.dumps(record("000.00.31.H04-250230-0003")),  # 5 impossible date in the code
        json.dumps(record("000.00.31.H04-250714-0004", id_number=27095001234)),  # 6 number, lost its 0
        json.dumps({k: v for k, v in record("G22.39-250714-0005").items() if k != "procedure_title"}),  # 7
        json.dumps(record("g22.39 - 250714 - 0006", fee_paid=True)),  # 8 good, code normalised
        json.dumps(record("G22.39-250714-0007", colour="red")),  # 9 unknown field
        json.dumps(record("G22.39-250714-0008", appointment_date="2025-07-01")),  # 10 before received
        json.dumps(record("G22.39-250714-0009", received_date="14/07/2025")),  # 11
        json.dumps(record("G22.39-250714-0010", applicant_phone="12345")),  # 12
        "[1, 2]",  # 13
    ]
    path = tmp_path / "dossiers.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = import_file(engine, path)

    assert (report.created, report.updated) == (2, 0)
    reasons = {e.line: e.reason for e in report.errors}
    assert sorted(reasons) == [2, 4, 5, 6, 7, 9, 10, 11, 12, 13]
    assert "status_code" in reasons[2]
    assert "invalid JSON" in reasons[4]
    assert reasons[5].startswith("code:")
    assert "applicant_id_number" in reasons[6] and "leading zeros" in reasons[6]
    assert "procedure_title" in reasons[7]
    assert "colour" in reasons[9]
    assert "appointment_date is before received_date" in reasons[10]
    assert "received_date" in reasons[11]
    assert "applicant_phone" in reasons[12]
    assert "027095001234" not in " ".join(reasons.values())  # reasons never echo values
    with Session(engine) as session:
        codes = set(session.scalars(select(DossierRow.code)))
    assert codes == {"000.00.31.H04-250714-0001", "G22.39-250714-0006"}


def test_import_csv_with_same_columns(engine: Engine, tmp_path: Path) -> None:
    columns = list(record())
    rows = [
        record("000.00.31.H04-250714-0001", supplement="Giấy chứng sinh\n(bản chính)", status_code="5"),
        record("000.00.31.H04-250714-0002", fee_paid="maybe"),
        record("000.00.31.H04-250714-0003", fee_paid="false", appointment_date=""),
        record("000.00.31.H04-250714-0004", applicant_id_number="02709500123"),
    ]

    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text

    body = [",".join(columns)] + [",".join(cell(r[c]) for c in columns) for r in rows]
    path = tmp_path / "dossiers.csv"
    path.write_text("\ufeff" + "\n".join(body) + "\n", encoding="utf-8")  # Excel's BOM

    report = import_file(engine, path)

    assert report.created == 2
    # Row 1 spans lines 2-3 (quoted newline), so the bad rows sit on lines 4 and 6.
    assert [(e.line, e.reason.split(":")[0]) for e in report.errors] == [(4, "fee_paid"), (6, "applicant_id_number")]
    backend = SqlBackend(engine)
    first = backend.lookup("000.00.31.H04-250714-0001", "001234", "csv")
    assert isinstance(first, Dossier) and first.status_code == 5 and first.supplement == "Giấy chứng sinh\n(bản chính)"
    third = backend.lookup("000.00.31.H04-250714-0003", "001234", "csv")
    assert isinstance(third, Dossier) and third.fee_paid is False and third.appointment_date is None


def test_csv_with_wrong_header_is_rejected_at_line_1(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("code,status,procedure_code\nG22.39-250714-0001,4,1.001193\n", encoding="utf-8")
    report = import_file(engine, path)
    assert report.accepted == 0
    assert len(report.errors) == 1 and report.errors[0].line == 1
    assert "unknown columns: status" in report.errors[0].reason and "procedure_title" in report.errors[0].reason


def test_reimport_updates_the_dossier(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(record(status_code=4)) + "\n", encoding="utf-8")
    assert import_file(engine, path).created == 1
    path.write_text(json.dumps(record(status_code=9, id_number="027095009999")) + "\n", encoding="utf-8")
    report = import_file(engine, path)
    assert (report.created, report.updated) == (0, 1)
    backend = SqlBackend(engine)
    result = backend.lookup("000.00.31.H04-250714-0012", "009999", "r")
    assert isinstance(result, Dossier) and result.status_code == 9
    assert backend.lookup("000.00.31.H04-250714-0012", "001234", "r") == NotFound()  # old digits gone


def test_sqlite_file_holds_no_clear_personal_data(tmp_path: Path) -> None:
    db = tmp_path / "scan.sqlite"
    eng = make_engine(f"sqlite:///{db}")
    ids = [f"0270950{n:05d}" for n in range(40)]
    phones = [f"09{n:08d}" for n in range(40)]
    seed(
        eng,
        *(
            record(f"G22.39-250714-{n:04d}", ids[n], applicant_phone=phones[n], applicant_name="Phạm Thị Xuân Quỳnh")
            for n in range(40)
        ),
    )
    assert isinstance(SqlBackend(eng).lookup("G22.39-250714-0007", ids[7][-6:], "scan", "ip-scan"), Dossier)
    SqlBackend(eng).lookup("G22.39-250714-0008", "000000", "zalo:0912345678", "ip-hmac-7f3a")  # a failure row
    eng.dispose()
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("scan.sqlite*"))  # main file + WAL
    assert b"G22.39-250714-0007" in blob  # the scan does see the data
    for secret in ids + phones:
        assert secret.encode() not in blob
        assert secret[-8:].encode() not in blob
    assert b"0912345678" not in blob and b"ip-hmac-7f3a" not in blob  # throttle keys are pseudonyms
    assert "Quỳnh".encode() not in blob and "Phạm".encode() not in blob


# ---------------------------------------------------------------- lookup


def test_lookup_happy_path_returns_masked_dossier(engine: Engine) -> None:
    seed(engine, record(fee_paid=True, status_code=5, supplement="Giấy chứng sinh"))
    result = SqlBackend(engine).lookup("mã 000.00.31.h04 - 250714 - 0012", "001234", "conv-1", "ip-1")
    assert isinstance(result, Dossier)
    assert result.code == "000.00.31.H04-250714-0012"
    assert result.applicant_name == "N***** V** A*"
    assert result.applicant_phone == "09******78"
    assert (result.status_code, result.supplement, result.fee_paid) == (5, "Giấy chứng sinh", True)
    assert result.received_date == date(2025, 7, 14) and result.appointment_date == date(2025, 7, 15)
    assert not hasattr(result, "applicant_id_number")


CODE = "000.00.31.H04-250714-0012"  # seeded by record(), digits 001234
OTHER = "G22.39-250915-0123"


def test_unknown_code_and_wrong_digits_give_the_same_answer(engine: Engine) -> None:
    seed(engine, record())
    backend = SqlBackend(engine)
    wrong_digits = backend.lookup(CODE, "654321", "conv-2", "ip-2")
    unknown_code = backend.lookup("000.00.31.H04-250714-0099", "001234", "conv-3", "ip-3")
    not_a_code = backend.lookup("hello", "001234", "conv-4", "ip-4")
    bad_digits = backend.lookup(CODE, "0012a4", "conv-5", "ip-5")
    last_four = backend.lookup(CODE, "1234", "conv-6", "ip-6")  # 4 digits are no longer enough
    too_long = backend.lookup("A1." * 40 + "A1-250714-0012", "001234", "conv-7", "ip-7")  # longer than any column
    assert wrong_digits == unknown_code == not_a_code == bad_digits == last_four == too_long == NotFound()
    assert type(wrong_digits) is type(unknown_code)


@pytest.mark.parametrize(
    "typed",
    ["567962", "001234567962", "001 234 567 962", "0012.3456.7962", "001-234-567-962", "001 234 567 962."],
)
def test_whole_id_number_in_any_grouping_is_accepted(engine: Engine, typed: str) -> None:
    seed(engine, record(id_number="001234567962"))
    assert isinstance(SqlBackend(engine).lookup(CODE, typed, "conv", "ip"), Dossier)


# ---------------------------------------------------------------- throttle


def guess(backend: SqlBackend, n: int, client: str | None = "ip-A", code: str | None = None) -> object:
    """A wrong guess from a new conversation, on a code of its own unless given one."""
    return backend.lookup(code or f"G22.39-250915-{n:04d}", f"{900000 + n}", f"sender-{n}", client)


def test_client_changing_its_sender_id_is_still_slowed(engine: Engine) -> None:
    seed(engine, record())
    clock = FakeClock()
    backend = SqlBackend(engine, clock=clock)
    assert [guess(backend, n) for n in range(3)] == [NotFound()] * 3  # the first 3 are free
    # New sender id, real code, right digits: no check runs until the wait is over.
    held = backend.lookup(CODE, "001234", "sender-new", "ip-A")
    assert held == Locked(START + timedelta(seconds=30))
    assert held.until.tzinfo is UTC
    assert isinstance(backend.lookup(CODE, "001234", "sender-other", "ip-B"), Dossier)  # other clients go on
    clock.advance(seconds=30)
    assert isinstance(backend.lookup(CODE, "001234", "sender-new", "ip-A"), Dossier)


def test_delays_double_from_30_seconds_and_10_failures_use_up_the_day(engine: Engine) -> None:
    clock = FakeClock()
    backend = SqlBackend(engine, clock=clock)
    waits = []
    for n in range(10):
        result = guess(backend, n)
        if isinstance(result, Locked):
            waits.append((result.until - clock.now).total_seconds())
            clock.now = result.until
            result = guess(backend, n)
        assert result == NotFound()
    assert waits == [30, 60, 120, 240, 480, 960, 1920]
    # The 10th failure: wait until the oldest one (at START) leaves the 24 h window.
    assert guess(backend, 10) == Locked(START + timedelta(hours=24))


def test_one_conversation_has_the_same_shape(engine: Engine) -> None:
    clock = FakeClock()
    backend = SqlBackend(engine, clock=clock)
    for n in range(3):  # no client key (e.g. the CLI): the conversation still counts
        assert backend.lookup(f"G22.39-250915-{n:04d}", "000000", "chat-A") == NotFound()
    assert backend.lookup(OTHER, "000000", "chat-A") == Locked(START + timedelta(seconds=30))
    assert backend.lookup(OTHER, "000000", "chat-B") == NotFound()


def test_one_client_key_gets_at_most_10_failures_in_any_simulated_day(engine: Engine) -> None:
    clock = FakeClock()
    backend = SqlBackend(engine, clock=clock)
    failures: list[datetime] = []
    n = 0
    while clock.now < START + timedelta(days=3):  # retry the moment it is allowed, new sender each time
        result = guess(backend, n)
        n += 1
        if isinstance(result, Locked):
            clock.now = result.until
        else:
            failures.append(clock.now)
    first_day = [at for at in failures if at < START + timedelta(days=1)]
    assert len(first_day) == 10 == failures_per_day(ThrottleRules().client)
    assert max(sum(start <= at < start + timedelta(days=1) for at in failures) for start in failures) <= 10


def test_owner_gets_in_within_5_minutes_while_many_clients_attack_the_code(engine: Engine) -> None:
    seed(engine, record())
    clock = FakeClock()
    backend = SqlBackend(engine, clock=clock)
    queue = [(START, n) for n in range(12)]  # when each attacker (own client key) tries next
    attempts = 0
    while queue[0][0] < START + timedelta(hours=1):
        at, n = heapq.heappop(queue)
        clock.now = max(clock.now, at)
        result = backend.lookup(CODE, f"{900000 + attempts}", f"bot-{n}-{attempts}", f"ip-bot-{n}")
        attempts += 1
        heapq.heappush(queue, (result.until if isinstance(result, Locked) else clock.now, n))
    with Session(engine) as session:
        on_code = session.scalar(select(func.count()).where(ThrottleFailure.scope == "code"))
    assert on_code is not None and 15 <= on_code <= 5 + 5 + 12  # 5 free, 10-160 s, then one per 5 minutes

    first = backend.lookup(CODE, "001234", "owner-chat", "ip-owner")
    if isinstance(first, Locked):  # the owner is asked to come back, at most 5 minutes later
        assert first.until - clock.now <= timedelta(minutes=5)
        clock.now = first.until
        first = backend.lookup(CODE, "001234", "owner-chat", "ip-owner")
    assert isinstance(first, Dossier)
    with Session(engine) as session:  # the success cleared the code's failures
        assert session.scalar(select(func.count()).where(ThrottleFailure.scope == "code")) == 0


def test_success_clears_the_codes_failures_but_not_the_clients(engine: Engine) -> None:
    seed(engine, record())
    clock = FakeClock()
    backend = SqlBackend(engine, clock=clock)
    for n in range(3):  # the owner mistypes on other codes first
        assert guess(backend, n, client="ip-owner") == NotFound()
    for n in range(5):  # strangers fail on the owner's code: 5 are free, then it waits 10 s
        assert guess(backend, 10 + n, client=f"ip-bot-{n}", code=CODE) == NotFound()
    assert guess(backend, 20, client="ip-bot-x", code=CODE) == Locked(START + timedelta(seconds=10))
    clock.advance(seconds=30)  # the owner's client wait (30 s) and the code's are over
    assert isinstance(backend.lookup(CODE, "001234", "owner-chat", "ip-owner"), Dossier)
    for n in range(5):  # the code starts afresh: 5 free failures again
        assert guess(backend, 30 + n, client=f"ip-bot2-{n}", code=CODE) == NotFound()
    assert guess(backend, 36, client="ip-bot2-x", code=CODE) == Locked(clock.now + timedelta(seconds=10))
    # The owner's 3 failures still count: the next one starts a 60 s wait, not none.
    assert guess(backend, 40, client="ip-owner") == NotFound()
    assert guess(backend, 41, client="ip-owner") == Locked(clock.now + timedelta(seconds=60))


def test_parallel_checks_cannot_slip_past_a_wait(engine: Engine) -> None:
    seed(engine, record())
    backend = SqlBackend(engine, clock=FakeClock())  # time stands still
    barrier = threading.Barrier(12)
    results: list[object] = []

    def attack(n: int) -> None:
        barrier.wait()
        results.append(guess(backend, n, code=CODE))

    threads = [threading.Thread(target=attack, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(NotFound()) == 3  # only the free failures ran
    assert sum(isinstance(r, Locked) for r in results) == 9


def test_failures_are_purged_after_two_days(engine: Engine) -> None:
    clock = FakeClock()
    backend = SqlBackend(engine, clock=clock)
    guess(backend, 1)
    clock.advance(days=2, seconds=1)
    guess(backend, 2)
    with Session(engine) as session:
        times = set(session.scalars(select(ThrottleFailure.at)))
    assert times == {clock.now.replace(tzinfo=None)}


def test_throttle_keys_are_stored_pseudonymised(engine: Engine) -> None:
    seed(engine, record())
    SqlBackend(engine).lookup(CODE, "000000", "zalo:0912345678", "hmac-of-203.0.113.7")
    with Session(engine) as session:
        rows = {scope: key for scope, key in session.execute(select(ThrottleFailure.scope, ThrottleFailure.key))}
    assert rows["code"] == CODE
    for scope in ("client", "conversation"):
        assert len(rows[scope]) == 32 and "0912345678" not in rows[scope] and "203.0.113" not in rows[scope]
    assert rows["client"] != rows["conversation"]
