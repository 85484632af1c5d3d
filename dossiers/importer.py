"""Import dossiers from JSONL or CSV (same columns). Bad rows are reported with their
line number and reason and skipped; good rows are kept; a code already in the database
is updated. The applicant's ID number is reduced to a salted HMAC of its last 6 digits
here and never written anywhere.

Columns: code, procedure_code, procedure_title, received_date, appointment_date
(YYYY-MM-DD), status_code (1-10), current_unit, supplement, fee_paid (true/false/null),
pickup_place, applicant_name, applicant_phone, applicant_id_number (12 digits, as text).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from dossiers.codes import IDENTITY_DIGITS
from dossiers.db import DossierRow, ensure_schema, to_db_time, utcnow
from dossiers.identity import hash_identity, new_salt, pepper
from dossiers.model import ImportRow, describe_errors

FIELDS = tuple(ImportRow.model_fields)
REQUIRED = tuple(name for name, info in ImportRow.model_fields.items() if info.is_required())
BATCH = 1000


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.created + self.updated


def _open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path), encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    return "csv" if suffixes and suffixes[-1] == ".csv" else "jsonl"


def _validate(line: int, record: dict[str, Any]) -> ImportRow | RowError:
    # Empty cells and nulls mean "not given": the field's default applies.
    values = {k: v for k, v in record.items() if v is not None and v != ""}
    try:
        return ImportRow(**values)
    except ValidationError as error:
        return RowError(line, describe_errors(error))


def parse_jsonl(lines: Iterable[str]) -> Iterator[tuple[int, ImportRow | RowError]]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            yield number, RowError(number, f"invalid JSON: {error.msg}")
            continue
        if not isinstance(record, dict):
            yield number, RowError(number, "not a JSON object")
            continue
        yield number, _validate(number, record)


def parse_csv(stream: TextIO) -> Iterator[tuple[int, ImportRow | RowError]]:
    reader = csv.DictReader(stream)
    header = reader.fieldnames or []
    unknown = [name for name in header if name not in FIELDS]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing:
        reason = "; ".join(
            part
            for part in (
                f"unknown columns: {', '.join(unknown)}" if unknown else "",
                f"missing columns: {', '.join(missing)}" if missing else "",
            )
            if part
        )
        yield 1, RowError(1, f"header: {reason}")
        return
    for record in reader:
        line = reader.line_num  # physical line where the record ends (quoted newlines)
        if None in record:
            yield line, RowError(line, "more cells than columns")
            continue
        yield line, _validate(line, record)


def read_file(path: Path, fmt: str | None = None) -> tuple[list[ImportRow], list[RowError]]:
    fmt = fmt or detect_format(path)
    with _open_text(path) as stream:
        parsed = list(parse_csv(stream) if fmt == "csv" else parse_jsonl(stream))
    rows = [item for _, item in parsed if isinstance(item, ImportRow)]
    errors = [item for _, item in parsed if isinstance(item, RowError)]
    return rows, errors


def _db_values(row: ImportRow, key: bytes) -> dict[str, Any]:
    salt = new_salt()
    values = row.model_dump(exclude={"applicant_id_number"})
    values.update(
        id_salt=salt,
        id_hash=hash_identity(row.applicant_id_number[-IDENTITY_DIGITS:], salt, key),
        updated_at=to_db_time(utcnow()),
    )
    return values


def _upsert(conn: Connection, batch: list[dict[str, Any]]) -> None:
    dialect = conn.dialect.name
    if dialect not in ("postgresql", "sqlite"):  # portable but slower: delete then insert
        codes = [values["code"] for values in batch]
        conn.execute(delete(DossierRow).where(DossierRow.code.in_(codes)))
        conn.execute(insert(DossierRow), batch)
        return
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(DossierRow)
    columns = {c.name: statement.excluded[c.name] for c in DossierRow.__table__.columns if c.name != "code"}
    conn.execute(statement.on_conflict_do_update(index_elements=["code"], set_=columns), batch)


def store_rows(engine: Engine, rows: Iterable[ImportRow]) -> tuple[int, int]:
    """Insert or update; returns (created, updated). A code repeated in one file: last wins."""
    ensure_schema(engine)
    latest = {row.code: row for row in rows}
    key = pepper()
    created = updated = 0
    items = list(latest.values())
    with engine.begin() as conn:
        for start in range(0, len(items), BATCH):
            batch = [_db_values(row, key) for row in items[start : start + BATCH]]
            codes = [values["code"] for values in batch]
            existing = set(conn.scalars(select(DossierRow.code).where(DossierRow.code.in_(codes))))
            _upsert(conn, batch)
            updated += len(existing)
            created += len(batch) - len(existing)
    return created, updated


def import_file(engine: Engine, path: Path, fmt: str | None = None) -> ImportReport:
    rows, errors = read_file(path, fmt)
    created, updated = store_rows(engine, rows)
    return ImportReport(created=created, updated=updated, errors=errors)
