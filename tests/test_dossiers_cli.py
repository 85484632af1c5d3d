"""The ``dossiers`` command: demo data and file import, on a temp SQLite database."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from dossiers.cli import main
from dossiers.db import make_engine
from dossiers.demo import generate
from dossiers.model import Dossier
from dossiers.sql_backend import SqlBackend
from dossiers.status import is_overdue

TODAY = date(2025, 9, 17)


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_demo_fills_the_db_and_prints_codes_that_work(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--count", "60", "--seed", "7", "--today", TODAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "stored 60" in out and "DEMO DATA ONLY" in out
    assert "last 6 ID digits" in out
    printed = re.findall(r"^\s+(\S+-\d{6}-\d{4})\s+(\d{6})\s+(\d+) ", out, flags=re.M)
    assert sorted(int(status) for _, _, status in printed) == list(range(1, 11))
    backend = SqlBackend(make_engine(db_url))
    for code, digits, status in printed:
        result = backend.lookup(code, digits, f"dev-{code}")
        assert isinstance(result, Dossier) and result.status_code == int(status)
        assert re.fullmatch(r"(\w\**)( \w\**)+", result.applicant_name)  # masked


def test_demo_is_deterministic_and_realistic() -> None:
    first, again = generate(300, seed=5, today=TODAY), generate(300, seed=5, today=TODAY)
    assert [d.row.code for d in first] == [d.row.code for d in again]
    assert len({d.row.code for d in first}) == 300  # codes are unique
    dossiers = [d.row.dossier() for d in first]
    assert {d.status_code for d in dossiers} == set(range(1, 11))
    assert sum(is_overdue(d, TODAY) for d in dossiers) >= 3
    assert all(d.supplement for d in dossiers if d.status_code == 5)
    assert all(d.fee_paid is False for d in dossiers if d.status_code == 6)
    assert all(d.received_date <= TODAY for d in dossiers)
    assert all(d.row.applicant_id_number.startswith("027") for d in first)


def test_import_command_reports_bad_lines_and_keeps_good_rows(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = generate(3, seed=1, today=TODAY)
    lines = [item.row.model_dump_json() for item in good]
    bad = json.loads(lines[1]) | {"status_code": 0}
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join([lines[0], json.dumps(bad), lines[2]]) + "\n", encoding="utf-8")

    assert main(["import", str(path)]) == 1
    captured = capsys.readouterr()
    assert "imported 2 dossiers (2 new, 0 updated), rejected 1 rows" in captured.out
    assert "batch.jsonl:2: status_code" in captured.err
    assert good[1].row.applicant_id_number not in captured.err + captured.out

    assert main(["import", str(tmp_path / "missing.jsonl")]) == 2
    ok = tmp_path / "ok.jsonl"
    ok.write_text(lines[0] + "\n", encoding="utf-8")
    assert main(["import", str(ok)]) == 0
    assert "(0 new, 1 updated)" in capsys.readouterr().out


def test_lookup_command_takes_the_last_6_digits_or_the_whole_id_number(
    db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOSSIER_API_URL", raising=False)
    item = generate(1, seed=3, today=TODAY)[0]
    assert main(["demo", "--count", "1", "--seed", "3", "--today", TODAY.isoformat()]) == 0
    code, id_number = item.row.code, item.row.applicant_id_number
    assert item.identity_digits == id_number[-6:]
    grouped = " ".join(id_number[i : i + 3] for i in range(0, 12, 3))  # "027 195 ..."
    for typed in (item.identity_digits, grouped):
        capsys.readouterr()
        assert main(["lookup", code, typed, "--conversation", f"cli-{typed}"]) == 0
        assert code in capsys.readouterr().out
    assert main(["lookup", code, "000000" if item.identity_digits != "000000" else "111111"]) == 1
    assert "not found" in capsys.readouterr().out
