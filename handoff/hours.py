"""When the staff of a one-stop centre (Trung tâm Phục vụ hành chính công) answer live chats.

Hours come from handoff/hours.yaml (a default week, per-centre changes) and the days off from
handoff/holidays.yaml; STAFF_HOURS=always|never switches the clock off for tests. Everything is
reckoned in Asia/Ho_Chi_Minh, whatever zone a caller's datetime is in: the centres keep local
time, and a naive datetime is refused because guessing its zone would silently shift the hours.
Plain Python (stdlib + PyYAML): both the app and the Rasa (Python 3.10) environment import it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
HERE = Path(__file__).resolve().parent
DEFAULT_HOURS = HERE / "hours.yaml"
DEFAULT_HOLIDAYS = HERE / "holidays.yaml"

MODES = ("file", "always", "never")
SEARCH_DAYS = 60  # next_opening gives up after this: a longer closure means the files are wrong
DAY_KEYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
MONDAY = 0
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")  # Python 3.11's fromisoformat also takes "20260101"; 3.10 does not
_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")  # en dash too: Vietnamese texts use it


@dataclass(frozen=True)
class Period:
    """One opening period of a day, [start, end): at `end` the centre is already closed."""

    start: time
    end: time

    def __post_init__(self) -> None:
        # No period crosses midnight: the centres are day offices, so end <= start is a typo.
        if self.end <= self.start:
            raise ValueError(f"period {self.start:%H:%M}-{self.end:%H:%M}: the end must be after the start")

    def __contains__(self, moment: time) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class WeekSchedule:
    """Opening periods per weekday (0 = Monday .. 6 = Sunday); a missing day is closed."""

    days: dict[int, tuple[Period, ...]]

    def periods(self, weekday: int) -> tuple[Period, ...]:
        # Sorted here as well as by the loader: a schedule built in code need not be.
        return tuple(sorted(self.days.get(weekday, ()), key=lambda p: p.start))


@dataclass(frozen=True)
class OfficeHours:
    default: WeekSchedule
    centres: dict[str, WeekSchedule]  # centre name -> its own week, when it differs
    holidays: frozenset[date]  # days every centre is closed
    # A Saturday worked to make up for a bridge holiday: default week's Monday periods apply.
    extra_working_days: frozenset[date]
    mode: str = "file"  # "file" | "always" | "never"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"office hours mode {self.mode!r}: expected one of {', '.join(MODES)}")

    def week_of(self, centre: str) -> WeekSchedule:
        """The centre's week. Names are compared after Unicode NFC, case and space folding:
        the same Vietnamese name arrives composed or decomposed depending on the keyboard."""
        wanted = _name_key(centre)
        for name, week in self.centres.items():
            if _name_key(name) == wanted:
                return week
        return self.default

    def periods_on(self, centre: str, day: date) -> tuple[Period, ...]:
        """The periods a centre is open on a (local) calendar day, holidays applied (file mode)."""
        if day in self.holidays:
            return ()
        if day in self.extra_working_days:
            # A make-up day is a full working day, whatever the centre's own weekend is.
            return self.default.periods(MONDAY)
        return self.week_of(centre).periods(day.weekday())

    def is_open(self, centre: str, at: datetime) -> bool:
        local = _local(at)
        if self.mode != "file":
            return self.mode == "always"
        return any(local.time() in p for p in self.periods_on(centre, local.date()))

    def next_opening(self, centre: str, at: datetime) -> datetime | None:
        """`at` itself (in TIMEZONE) if open now, else the start of the next period; None in mode
        "never" or when nothing opens within SEARCH_DAYS."""
        local = _local(at)
        if self.mode != "file":
            return local if self.mode == "always" else None
        today = local.date()
        for offset in range(SEARCH_DAYS + 1):
            day = today + timedelta(days=offset)
            for period in self.periods_on(centre, day):
                if offset == 0 and local.time() in period:
                    return local
                if offset > 0 or period.start > local.time():
                    return datetime.combine(day, period.start, tzinfo=TIMEZONE)
        return None

    def closes_at(self, centre: str, at: datetime) -> datetime | None:
        """End of the current opening if open (touching periods count as one), else None; None
        in mode "always" too, which never closes."""
        local = _local(at)
        if self.mode != "file":
            return None
        end: time | None = None
        for period in self.periods_on(centre, local.date()):
            # "07:30-11:30", "11:30-17:00": no break at 11:30, so the second end is the closing
            if (end is None and local.time() in period) or (end is not None and period.start == end):
                end = period.end
        return None if end is None else datetime.combine(local.date(), end, tzinfo=TIMEZONE)


def load_hours(
    spec: str | None = None, *, hours_file: Path = DEFAULT_HOURS, holidays_file: Path = DEFAULT_HOLIDAYS
) -> OfficeHours:
    """Office hours from STAFF_HOURS's value: None/"" -> the default files; "always" / "never" ->
    open / closed at any time (tests, no file read); anything else -> the path of an hours YAML
    file. Holidays come from `holidays_file` unless the hours file has its own `holidays:` list
    (then its `extra_working_days:` too: the two lists are one calendar)."""
    spec = (spec or "").strip()
    if spec.lower() in ("always", "never"):
        closed = WeekSchedule({})
        return OfficeHours(closed, {}, frozenset(), frozenset(), mode=spec.lower())
    if spec:
        hours_file = Path(spec).expanduser()
        if not hours_file.is_file():
            raise ValueError(f"STAFF_HOURS={spec!r}: no such file (expected 'always', 'never' or an hours YAML file)")
    data = _read_mapping(hours_file, {"timezone", "default", "centres", "holidays", "extra_working_days"})
    zone = data.get("timezone", TIMEZONE.key)
    if zone != TIMEZONE.key:
        raise ValueError(f"{hours_file}: timezone {zone!r}: only {TIMEZONE.key} is supported")
    if "default" not in data:
        raise ValueError(f"{hours_file}: no `default:` week")
    default = _week(hours_file, "default", data["default"], base=None)
    centres: dict[str, WeekSchedule] = {}
    raw_centres = data.get("centres") or {}
    if not isinstance(raw_centres, dict):
        raise ValueError(f"{hours_file}: centres: expected a mapping of centre name -> days")
    seen: dict[str, str] = {}
    for name, days in raw_centres.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{hours_file}: centres: {name!r}: a centre name must be a non-empty string")
        if _name_key(name) in seen:
            raise ValueError(f"{hours_file}: centres: {name!r} is the same centre as {seen[_name_key(name)]!r}")
        seen[_name_key(name)] = name
        centres[name] = _week(hours_file, f"centres.{name}", days, base=default)
    calendar = data if "holidays" in data else _read_mapping(holidays_file, {"holidays", "extra_working_days"})
    calendar_file = hours_file if calendar is data else holidays_file
    holidays = _dates(calendar_file, "holidays", calendar.get("holidays"))
    extra = _dates(calendar_file, "extra_working_days", calendar.get("extra_working_days"))
    for day in sorted(extra):
        if day in holidays:
            raise ValueError(f"{calendar_file}: extra_working_days: {day}: also listed in holidays")
        if day.weekday() < 5:
            raise ValueError(f"{calendar_file}: extra_working_days: {day}: a make-up day is a Saturday or Sunday")
    return OfficeHours(default, centres, holidays, extra)


def hours_from_env(env: Mapping[str, str] | None = None) -> OfficeHours:
    """load_hours from STAFF_HOURS, with STAFF_HOLIDAYS (a path) replacing handoff/holidays.yaml."""
    env = os.environ if env is None else env
    holidays = (env.get("STAFF_HOLIDAYS") or "").strip()
    return load_hours(
        env.get("STAFF_HOURS"), holidays_file=Path(holidays).expanduser() if holidays else DEFAULT_HOLIDAYS
    )


WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")  # fmt: skip


def describe_opening(when: datetime, lang: str, now: datetime) -> str:
    """The next opening in the citizen's words, relative to `now` in Vietnamese local dates:
    vi "13:30 chiều nay", "7:30 sáng mai", "7:30 sáng thứ Hai, 07/12/2026";
    en "today at 13:30", "tomorrow at 7:30", "Monday 7 December 2026 at 7:30".
    Not strftime: its names follow the process locale, and Vietnamese ones are rarely installed."""
    when, now = _local(when), _local(now)
    english = (lang or "").lower().startswith("en")
    if when <= now:
        return "now" if english else "ngay bây giờ"
    clock = f"{when.hour}:{when.minute:02d}"
    days = (when.date() - now.date()).days
    if english:
        if days <= 1:
            return f"{'today' if days == 0 else 'tomorrow'} at {clock}"
        return f"{WEEKDAYS_EN[when.weekday()]} {when.day} {MONTHS_EN[when.month - 1]} {when.year} at {clock}"
    # The part of the day, as people say it with a 24-hour clock: "13:30 chiều", "7:30 sáng".
    part = "sáng" if when.hour < 11 else "trưa" if when.hour < 13 else "chiều" if when.hour < 18 else "tối"
    if days <= 1:
        return f"{clock} {part} {'nay' if days == 0 else 'mai'}"
    return f"{clock} {part} {WEEKDAYS_VI[when.weekday()]}, {when:%d/%m/%Y}"


def _local(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}: give a timezone (the centres keep {TIMEZONE.key})")
    return at.astimezone(TIMEZONE)


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _read_mapping(path: Path, keys: set[str]) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    unknown = sorted(str(key) for key in data if key not in keys)
    if unknown:  # a misspelt key ("centers") would otherwise be ignored without a word
        raise ValueError(f"{path}: unknown key(s) {', '.join(unknown)} (expected {', '.join(sorted(keys))})")
    return data


def _week(path: Path, where: str, raw: Any, *, base: WeekSchedule | None) -> WeekSchedule:
    """A week from {day: [periods]}; with `base`, days not written keep the base's periods."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: {where}: expected a mapping of day (mon..sun) -> periods")
    days = dict(base.days) if base else {}
    for key, periods in raw.items():
        if key not in DAY_KEYS:
            raise ValueError(f"{path}: {where}.{key}: unknown day (expected {', '.join(DAY_KEYS)})")
        days[DAY_KEYS[key]] = _periods(path, f"{where}.{key}", periods)
    return WeekSchedule({day: periods for day, periods in days.items() if periods})


def _periods(path: Path, where: str, raw: Any) -> tuple[Period, ...]:
    if raw is None:  # `sat:` with nothing after it: closed, like []
        return ()
    if not isinstance(raw, list):
        raw = [raw]
    periods = []
    for text in raw:
        match = _PERIOD.match(text) if isinstance(text, str) else None
        if not match:
            # Unquoted, 7:30 is a number in YAML 1.1 (450): say so, the message alone would puzzle.
            hint = " (quote it: unquoted, YAML reads H:MM as a number)" if isinstance(text, int) else ""
            raise ValueError(f'{path}: {where}: {text!r}: expected a period "HH:MM-HH:MM"{hint}')
        h1, m1, h2, m2 = (int(group) for group in match.groups())
        whole_day_end = (h2, m2) == (24, 0)  # "00:00-24:00": open until midnight (a 24/7 desk, tests)
        if not (h1 < 24 and (h2 < 24 or whole_day_end) and m1 < 60 and m2 < 60):
            raise ValueError(f"{path}: {where}: {text!r}: not a time of day (00:00-24:00)")
        try:
            periods.append(Period(time(h1, m1), time.max if whole_day_end else time(h2, m2)))
        except ValueError as exc:
            raise ValueError(f"{path}: {where}: {text!r}: the end must be after the start") from exc
    periods.sort(key=lambda p: p.start)
    for before, after in zip(periods, periods[1:]):
        if after.start < before.end:
            raise ValueError(
                f"{path}: {where}: {before.start:%H:%M}-{before.end:%H:%M} and "
                f"{after.start:%H:%M}-{after.end:%H:%M} overlap"
            )
    return tuple(periods)


def _dates(path: Path, where: str, raw: Any) -> frozenset[date]:
    """Dates from a list of {date: "YYYY-MM-DD", name: "..."}; a date twice is a copy-paste slip."""
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise ValueError(f"{path}: {where}: expected a list of {{date: YYYY-MM-DD, name: ...}}")
    days: set[date] = set()
    for item in raw:
        if not isinstance(item, dict) or "date" not in item or not set(item) <= {"date", "name"}:
            raise ValueError(f"{path}: {where}: {item!r}: expected {{date: YYYY-MM-DD, name: ...}}")
        value = item["date"]
        if isinstance(value, datetime) or not isinstance(value, (date, str)):
            raise ValueError(f"{path}: {where}: {value!r}: expected a date YYYY-MM-DD")
        if isinstance(value, str):  # quoted in the file; unquoted, YAML already made it a date
            bad = ValueError(f"{path}: {where}: {value!r}: expected a date YYYY-MM-DD")
            if not _ISO_DATE.match(value.strip()):
                raise bad
            try:
                value = date.fromisoformat(value.strip())
            except ValueError as exc:  # 2026-02-30
                raise bad from exc
        if value in days:
            raise ValueError(f"{path}: {where}: {value} is listed twice")
        days.add(value)
    return frozenset(days)
