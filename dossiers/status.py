"""The 10 statuses of the national list: names, plain explanations and next steps
(vi/en) from ``status.yaml``, filled with the dossier's own details; overdue check."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

from dossiers.model import Dossier

Lang = Literal["vi", "en"]
STATUS_FILE = Path(__file__).with_name("status.yaml")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July",
              "August", "September", "October", "November", "December")


@dataclass(frozen=True)
class StatusInfo:
    code: int
    name_vi: str
    name_en: str
    explain_vi: str
    explain_en: str
    next_vi: str
    next_en: str
    counts_overdue: bool

    def name(self, lang: Lang = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en


@cache
def _load() -> tuple[dict[int, StatusInfo], dict[str, dict[str, str]]]:
    data = yaml.safe_load(STATUS_FILE.read_text(encoding="utf-8"))
    statuses = {int(code): StatusInfo(code=int(code), **fields) for code, fields in data["statuses"].items()}
    return statuses, data["fallbacks"]


def all_statuses() -> list[StatusInfo]:
    return [info for _, info in sorted(_load()[0].items())]


def status_info(code: int) -> StatusInfo:
    try:
        return _load()[0][code]
    except KeyError:
        raise ValueError(f"unknown status code {code}") from None


def format_date(day: date, lang: Lang = "vi") -> str:
    return day.strftime("%d/%m/%Y") if lang == "vi" else f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def _fill(template: str, dossier: Dossier, lang: Lang) -> str:
    fallbacks = _load()[1][lang]
    values = {
        "appointment_date": format_date(dossier.appointment_date, lang) if dossier.appointment_date else "",
        "current_unit": dossier.current_unit,
        "supplement": dossier.supplement or "",
        "pickup_place": dossier.pickup_place,
    }
    return template.format_map({k: v or fallbacks[k] for k, v in values.items()})


def explain(dossier: Dossier, lang: Lang = "vi") -> str:
    info = status_info(dossier.status_code)
    return _fill(info.explain_vi if lang == "vi" else info.explain_en, dossier, lang)


def next_step(dossier: Dossier, lang: Lang = "vi") -> str:
    info = status_info(dossier.status_code)
    return _fill(info.next_vi if lang == "vi" else info.next_en, dossier, lang)


def is_overdue(dossier: Dossier, today: date) -> bool:
    """Past its appointment date while still waiting on the administration (1, 2, 4)."""
    if dossier.appointment_date is None:
        return False
    return status_info(dossier.status_code).counts_overdue and dossier.appointment_date < today
