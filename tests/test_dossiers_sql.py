"""Import, lookup and lockout against SQLite and a real PostgreSQL server.

The PostgreSQL half starts its own throwaway server: initdb + pg_ctl (PostgreSQL 15
preferred, found under /usr/lib/postgresql/*/bin or on PATH) in a temp dir, on a free
localhost port, stopped at the end. initdb refuses to run as root, so as root the server
runs as the existing ``postgres`` system user or, if there is none, a system user
``dossiers-pg`` created with useradd. Without the binaries that half is skipped.
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dossiers.db import Base, DossierRow, FailedAttempt, make_engine
from dossiers.importer import import_file, store_rows
from dossiers.model import Dossier, ImportRow, Locked, NotFound
from dossiers.sql_backend import SqlBackend

START = datetime(2025, 9, 16, 8, 0, tzinfo=UTC)


class FakeClock:
    """The time source the lockout policy is given; tests move it."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


# ---------------------------------------------------------------- PostgreSQL server

def _pg_bindir() -> Path | None:
    candidates = [Path("/usr/lib/postgresql/15/bin")]
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    if found := shutil.which("initdb"):
        candidates.append(Path(found).resolve().parent)
    return next((c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None)


def _server_user() -> dict[str, Any]:
    """subprocess kwargs to run as a non-root user when we are root."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "dossiers-pg"],
            check=True,
        )
        entry = pwd.getpwnam("dossiers-pg")
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql-15")
    as_user = _server_user()
    home = Path(tempfile.mkdtemp(prefix="dossiers-pg-"))
    if as_user:
        os.chown(home, as_user["user"], as_user["group"])
    data, port = home / "data", _free_port()
    run = {"check": True, "cwd": home, "capture_output": True, **as_user}
    subprocess.run([bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--locale=C", "--no-sync"], **run)
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([bindir / "pg_ctl", "-D", data, "-l", home / "server.log", "-w", "-t", "60",
                    "-o", options, "start"], **run)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], **{**run, "check": False})
        shutil.rmtree(home, ignore_errors=True)


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
    first = backend.lookup("000.00.31.H04-250714-0001", "1234", "csv")
    assert isinstance(first, Dossier) and first.status_code == 5 and first.supplement == "Giấy chứng sinh\n(bản chính)"
    third = backend.lookup("000.00.31.H04-250714-0003", "1234", "csv")
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
    result = backend.lookup("000.00.31.H04-250714-0012", "9999", "r")
    assert isinstance(result, Dossier) and result.status_code == 9
    assert backend.lookup("000.00.31.H04-250714-0012", "1234", "r") == NotFound()  # old digits gone


def test_sqlite_file_holds_no_clear_personal_data(tmp_path: Path) -> None:
    db = tmp_path / "scan.sqlite"
    eng = make_engine(f"sqlite:///{db}")
    ids = [f"0270950{n:05d}" for n in range(40)]
    phones = [f"09{n:08d}" for n in range(40)]
    seed(eng, *(record(f"G22.39-250714-{n:04d}", ids[n], applicant_phone=phones[n],
                       applicant_name="Phạm Thị Xuân Quỳnh") for n in range(40)))
    assert isinstance(SqlBackend(eng).lookup("G22.39-250714-0007", ids[7][-4:], "scan"), Dossier)
    eng.dispose()
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("scan.sqlite*"))  # main file + WAL
    assert b"G22.39-250714-0007" in blob  # the scan does see the data
    for secret in ids + phones:
        assert secret.encode() not in blob
        assert secret[-8:].encode() not in blob
    assert "Quỳnh".encode() not in blob and "Phạm".encode() not in blob


# ---------------------------------------------------------------- lookup

def test_lookup_happy_path_returns_masked_dossier(engine: Engine) -> None:
    seed(engine, record(fee_paid=True, status_code=5, supplement="Giấy chứng sinh"))
    result = SqlBackend(engine).lookup("mã 000.00.31.h04 - 250714 - 0012", "1234", "conv-1")
    assert isinstance(result, Dossier)
    assert result.code == "000.00.31.H04-250714-0012"
    assert result.applicant_name == "N***** V** A*"
    assert result.applicant_phone == "09******78"
    assert (result.status_code, result.supplement, result.fee_paid) == (5, "Giấy chứng sinh", True)
    assert result.received_date == date(2025, 7, 14) and result.appointment_date == date(2025, 7, 15)
    assert not hasattr(result, "applicant_id_number")


def test_unknown_code_and_wrong_digits_give_the_same_answer(engine: Engine) -> None:
    seed(engine, record())
    backend = SqlBackend(engine)
    wrong_digits = backend.lookup("000.00.31.H04-250714-0012", "4321", "conv-2")
    unknown_code = backend.lookup("000.00.31.H04-250714-0099", "1234", "conv-3")
    not_a_code = backend.lookup("hello", "1234", "conv-4")
    bad_digits = backend.lookup("000.00.31.H04-250714-0012", "12a4", "conv-5")
    assert wrong_digits == unknown_code == not_a_code == bad_digits == NotFound()
    assert type(wrong_digits) is type(unknown_code)


# ---------------------------------------------------------------- lockout

def test_five_failures_in_a_conversation_pause_it_for_15_minutes(engine: Engine) -> None:
    seed(engine, record(), record("G22.39-250915-0123", "027186005678"))
    clock = FakeClock()
    backend = SqlBackend(engine, clock=clock)
    code = "000.00.31.H04-250714-0012"
    for attempt in range(4):
        assert backend.lookup(code, f"000{attempt}", "chat-A") == NotFound()
        clock.advance(seconds=30)
    fifth = backend.lookup("G22.39-250915-0999", "0000", "chat-A")  # failures on any code count
    assert fifth == Locked(clock.now + timedelta(minutes=15))
    until = fifth.until  # type: ignore[union-attr]
    assert backend.lookup(code, "1234", "chat-A") == Locked(until)  # right digits, still paused
    assert backend.lookup("G22.39-250915-0123", "5678", "chat-A") == Locked(until)
    assert isinstance(backend.lookup(code, "1234", "chat-B"), Dossier)  # other conversations go on
    clock.advance(minutes=14, seconds=59)
    assert backend.lookup(code, "1234", "chat-A") == Locked(until)
    clock.advance(seconds=1)
    assert isinstance(backend.lookup(code, "1234", "chat-A"), Dossier)
    for _ in range(4):  # the count starts again after the pause
        assert backend.lookup(code, "0000", "chat-A") == NotFound()
    assert isinstance(backend.lookup(code, "0000", "chat-A"), Locked)


def test_ten_failures_on_a_code_within_an_hour_pause_that_code(engine: Engine) -> None:
    seed(engine, record(), record("G22.39-250915-0123", "027186005678"))
    clock = FakeClock()
    backend = SqlBackend(engine, clock=clock)
    code = "000.00.31.H04-250714-0012"
    for n in range(9):  # spread over 10 conversations, 5 minutes apart
        assert backend.lookup(code, "0000", f"guesser-{n}") == NotFound()
        clock.advance(minutes=5)
    tenth = backend.lookup(code, "0000", "guesser-9")
    assert tenth == Locked(clock.now + timedelta(minutes=15))
    assert isinstance(backend.lookup(code, "1234", "owner"), Locked)  # the owner waits too
    assert isinstance(backend.lookup("G22.39-250915-0123", "5678", "owner"), Dossier)  # other codes fine
    clock.advance(minutes=15)
    assert isinstance(backend.lookup(code, "1234", "owner"), Dossier)


def test_code_failures_older_than_an_hour_do_not_count(engine: Engine) -> None:
    seed(engine, record())
    clock = FakeClock()
    backend = SqlBackend(engine, clock=clock)
    code = "000.00.31.H04-250714-0012"
    for n in range(9):
        assert backend.lookup(code, "0000", f"g-{n}") == NotFound()
    clock.advance(minutes=61)
    for n in range(9):
        assert backend.lookup(code, "0000", f"h-{n}") == NotFound()
    assert isinstance(backend.lookup(code, "0000", "h-9"), Locked)


def test_conversation_ids_are_stored_pseudonymised(engine: Engine) -> None:
    seed(engine, record())
    SqlBackend(engine).lookup("000.00.31.H04-250714-0012", "0000", "zalo:0912345678")
    with Session(engine) as session:
        keys = list(session.scalars(select(FailedAttempt.conversation_key)))
    assert len(keys) == 1 and "0912345678" not in keys[0] and len(keys[0]) == 32
