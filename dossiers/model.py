"""The dossier record, lookup results and the backend interface every adapter implements."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dossiers.codes import is_strict_code, mask_name, mask_phone, normalize_code

_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID_NUMBER_RE = re.compile(r"\d{12}")


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        if not _ISO_DATE_RE.fullmatch(value.strip()):
            raise ValueError("must be a date written YYYY-MM-DD")
        return date.fromisoformat(value.strip())
    return value


class Dossier(BaseModel):
    """What a lookup returns. Personal data is masked at construction: the applicant's
    name and phone can never sit unmasked in this object, and the ID number is absent."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    code: str  # canonical, e.g. "000.00.31.H04-250714-0012"
    procedure_code: str = Field(min_length=1, max_length=32)  # e.g. "1.001193"
    procedure_title: str = Field(min_length=1)
    received_date: date
    appointment_date: date | None = None  # "ngày hẹn trả kết quả"
    status_code: int = Field(ge=1, le=10)  # national list, see dossiers/status.py
    current_unit: str = ""  # unit holding the dossier now
    supplement: str | None = None  # what must be added (status 5)
    fee_paid: bool | None = None  # None: no fee, or unknown
    pickup_place: str = ""  # where the result is returned
    applicant_name: str = ""  # masked: "N***** V** A*"
    applicant_phone: str | None = None  # masked: "09******78"

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        canonical = normalize_code(value)
        # The whole field must be one code (lower case and spaces around dashes tolerated).
        if canonical is None or not is_strict_code(re.sub(r"\s+", "", value).upper()):
            raise ValueError("not a dossier code {agency id}-{yyMMdd}-{NNNN} with a real date")
        return canonical

    @field_validator("received_date", "appointment_date", mode="before")
    @classmethod
    def _dates(cls, value: Any) -> Any:
        return _iso_date(value)

    @field_validator("status_code", mode="before")
    @classmethod
    def _status(cls, value: Any) -> Any:
        if isinstance(value, bool):  # JSON true is not a status
            raise ValueError("must be an integer 1-10")
        return value

    @field_validator("supplement", mode="after")
    @classmethod
    def _supplement(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("applicant_name", mode="after")
    @classmethod
    def _name(cls, value: str) -> str:
        return mask_name(value)

    @field_validator("applicant_phone", mode="before")
    @classmethod
    def _phone(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        masked = mask_phone(str(value))
        if masked is None:
            raise ValueError("not a Vietnamese phone number (10-11 digits)")
        return masked

    @model_validator(mode="after")
    def _date_order(self) -> Self:
        if self.appointment_date and self.appointment_date < self.received_date:
            raise ValueError("appointment_date is before received_date")
        return self

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Self:
        """Build from a wider record (API payload, DB row), keeping only our fields."""
        return cls(**{k: v for k, v in record.items() if k in cls.model_fields})


class ImportRow(Dossier):
    """One line of the import file: a dossier plus the applicant's full ID number,
    which is hashed on import and never stored."""

    applicant_id_number: str = Field(repr=False)

    @field_validator("applicant_id_number", mode="before")
    @classmethod
    def _id_number(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("must be a string of 12 digits (a JSON number loses leading zeros)")
        digits = re.sub(r"[\s.]", "", value)
        if not _ID_NUMBER_RE.fullmatch(digits):
            raise ValueError("must be exactly 12 digits")
        return digits

    def dossier(self) -> Dossier:
        return Dossier.model_construct(**self.model_dump(exclude={"applicant_id_number"}))


def describe_errors(error: ValidationError) -> str:
    """Field-by-field reasons without echoing input values (they may be personal data)."""
    parts = []
    for item in error.errors(include_input=False, include_url=False):
        field = ".".join(str(p) for p in item["loc"]) or "row"
        msg = item["msg"].removeprefix("Value error, ")
        parts.append(f"{field}: {msg}")
    return "; ".join(parts)


@dataclass(frozen=True)
class NotFound:
    """Unknown code or wrong ID digits: deliberately one answer for both."""


@dataclass(frozen=True)
class Locked:
    """Too many failed checks: no check runs before ``until`` (timezone-aware UTC), the
    moment the next check is allowed."""

    until: datetime


LookupResult = Dossier | NotFound | Locked


class BackendUnavailable(Exception):
    """The dossier source did not answer in time or answered nonsense."""


class DossierBackend(Protocol):
    def lookup(
        self, code: str, identity_digits: str, conversation_id: str, client_key: str | None = None
    ) -> LookupResult:
        """Dossier when code and last 6 ID digits (or the whole ID number) match; NotFound otherwise; Locked while
        this client key, conversation or code must wait (dossiers/throttle.py).
        ``client_key``: opaque id of the network client (the caller's HMAC of its IP
        address). May raise BackendUnavailable."""
        ...
