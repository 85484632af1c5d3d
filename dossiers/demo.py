"""Made-up Bắc Ninh dossiers for developers (``dossiers demo``). Deterministic per seed.

The first 10 dossiers cover the 10 statuses in order; the rest follow a plausible mix.
Some in-progress dossiers are past their appointment date (overdue).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from dossiers.codes import IDENTITY_DIGITS
from dossiers.model import ImportRow

DEMO_FILE = Path(__file__).with_name("demo_data.yaml")
# Relative weights of statuses 1..10 after the first ten.
_STATUS_WEIGHTS = (5, 8, 3, 25, 8, 6, 2, 2, 12, 29)


@dataclass(frozen=True)
class DemoDossier:
    row: ImportRow
    identity_digits: str  # demo only: printed so a developer can try a lookup


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    return data


def add_working_days(start: date, days: int) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _weekday_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


class DemoGenerator:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.serials: dict[tuple[str, date], int] = {}

    def person(self) -> tuple[str, str, str | None]:
        d, rng = _data(), self.rng
        female = rng.random() < 0.5
        middle = d["middle_female" if female else "middle_male"]
        given = d["given_female" if female else "given_male"]
        name = f"{rng.choice(d['surnames'])} {rng.choice(middle)} {rng.choice(given)}"
        born = rng.randint(1950, 2006)
        century_sex = (0 if born < 2000 else 2) + (1 if female else 0)
        id_number = f"{d['id_prefix']}{century_sex}{born % 100:02d}{rng.randrange(10**6):06d}"
        phone = None if rng.random() < 0.1 else rng.choice(d["phone_prefixes"]) + f"{rng.randrange(10**7):07d}"
        return name, id_number, phone

    def dates(self, status: int, days: int) -> tuple[date, date]:
        rng = self.rng
        if status in (1, 2):
            back = rng.randint(0, 3)
        elif status == 4 and rng.random() < 0.3:  # overdue: received long enough ago
            back = days + rng.randint(3, 20)
        elif status in (9, 10):
            back = days + rng.randint(0, 30)
        else:
            back = rng.randint(0, days + 10)
        received = _weekday_on_or_before(self.today - timedelta(days=back))
        appointment = add_working_days(received, days)
        if status in (9, 10) and appointment > self.today:
            appointment = self.today
        if status == 4 and back <= days and appointment < self.today:
            appointment = add_working_days(self.today, 1)  # keep "on time" ones on time
        return received, appointment

    def code(self, agency: str, received: date) -> str:
        key = (agency, received)
        self.serials[key] = self.serials.get(key, self.rng.randint(1, 40)) + 1
        return f"{agency}-{received:%y%m%d}-{self.serials[key]:04d}"

    def one(self, status: int) -> DemoDossier:
        d, rng = _data(), self.rng
        # A payment request only makes sense for procedures with a fee or tax.
        procedures = [p for p in d["procedures"] if p["fee"] or status != 6]
        proc = rng.choice(procedures)
        ward = rng.choice(d["wards"])
        agency, desk = {
            "ward": (ward["agency"], f"UBND {ward['name']}"),
            "province": (d["province"]["agency"], d["province"]["desk"]),
            "land": (d["land"]["agency"], d["land"]["office"]),
        }[proc["level"]]
        handler = proc["handler"].format(ward=ward["name"])
        desk_unit = f"Bộ phận Một cửa {desk}" if proc["level"] == "ward" else desk
        received, appointment = self.dates(status, proc["days"])
        name, id_number, phone = self.person()
        record = {
            "code": self.code(agency, received),
            "procedure_code": proc["code"],
            "procedure_title": proc["title"],
            "received_date": received.isoformat(),
            "appointment_date": appointment.isoformat() if status != 3 else None,
            "status_code": status,
            "current_unit": handler if status in (4, 5, 6, 8) else desk_unit,
            "supplement": rng.choice(proc["supplements"]) if status == 5 else None,
            "fee_paid": self._fee_paid(proc["fee"], status),
            "pickup_place": d["postal_pickup"] if rng.random() < 0.15 else desk_unit,
            "applicant_name": name,
            "applicant_phone": phone,
            "applicant_id_number": id_number,
        }
        row = ImportRow(**{k: v for k, v in record.items() if v is not None})
        return DemoDossier(row, id_number[-IDENTITY_DIGITS:])

    def _fee_paid(self, has_fee: bool, status: int) -> bool | None:
        if not has_fee:
            return None
        if status == 6:
            return False
        return True if status in (4, 5, 9, 10) else self.rng.choice([True, None])

    def many(self, count: int) -> list[DemoDossier]:
        statuses = list(range(1, 11))[:count]
        statuses += self.rng.choices(range(1, 11), weights=_STATUS_WEIGHTS, k=max(count - 10, 0))
        return [self.one(status) for status in statuses]


def generate(count: int, seed: int, today: date | None = None) -> list[DemoDossier]:
    return DemoGenerator(seed, today or date.today()).many(count)
