"""Office hours of the one-stop centres (handoff/hours.py): the shipped week and calendar, the
modes for tests, per-centre files and their validation, and the wording of the next opening."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from handoff.hours import (
    DEFAULT_HOLIDAYS,
    TIMEZONE,
    OfficeHours,
    Period,
    WeekSchedule,
    describe_opening,
    hours_from_env,
    load_hours,
)

UTC = timezone.utc  # noqa: UP017 (datetime.UTC is 3.11+; handoff/ also runs on the Rasa side's 3.10)
CENTRE = "Trung tâm Phục vụ hành chính công phường Kinh Bắc"
PROVINCE = "Trung tâm Phục vụ hành chính công tỉnh Bắc Ninh"
WEEK = """\
timezone: Asia/Ho_Chi_Minh
default:
  mon: ["07:30-11:30", "13:30-17:00"]
  tue: ["07:30-11:30", "13:30-17:00"]
  wed: ["07:30-11:30", "13:30-17:00"]
  thu: ["07:30-11:30", "13:30-17:00"]
  fri: ["07:30-11:30", "13:30-17:00"]
"""


def hanoi(*args: int) -> datetime:
    return datetime(*args, tzinfo=TIMEZONE)


@pytest.fixture(scope="module")
def shipped() -> OfficeHours:
    return load_hours()


def write(tmp_path: Path, text: str, name: str = "hours.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the shipped week: Tuesday 8 December 2026 is an ordinary working day ---


@pytest.mark.parametrize(
    ("hour", "minute", "open_"),
    [(7, 29, False), (7, 30, True), (11, 29, True), (11, 30, False), (12, 45, False),
     (13, 29, False), (13, 30, True), (16, 59, True), (17, 0, False)],
)  # fmt: skip
def test_weekday_periods_include_the_start_and_exclude_the_end(shipped, hour, minute, open_):
    assert shipped.is_open(CENTRE, hanoi(2026, 12, 8, hour, minute)) is open_


def test_weekend_is_closed(shipped):
    assert not shipped.is_open(CENTRE, hanoi(2026, 12, 5, 9, 0))  # Saturday
    assert not shipped.is_open(CENTRE, hanoi(2026, 12, 6, 14, 0))  # Sunday


def test_holidays_are_closed_and_a_make_up_saturday_is_open(shipped):
    assert not shipped.is_open(CENTRE, hanoi(2026, 9, 2, 9, 0))  # Quốc khánh, a Wednesday
    assert not shipped.is_open(CENTRE, hanoi(2026, 2, 18, 9, 0))  # Tết
    assert not shipped.is_open(CENTRE, hanoi(2026, 1, 2, 9, 0))  # Friday swapped for Saturday 10/01
    assert shipped.is_open(CENTRE, hanoi(2026, 1, 10, 9, 0))
    assert not shipped.is_open(CENTRE, hanoi(2026, 1, 10, 12, 0))  # the Monday lunch break too


def test_shipped_calendar_covers_2025_to_2027(shipped):
    for year in (2025, 2026, 2027):
        for month, day in ((1, 1), (4, 30), (5, 1), (9, 2)):
            assert date(year, month, day) in shipped.holidays
    # Tết: the first weekday after each block, and a weekend holiday's nghỉ bù
    assert shipped.next_opening(CENTRE, hanoi(2027, 2, 3, 18, 0)) == hanoi(2027, 2, 11, 7, 30)
    assert date(2027, 5, 3) in shipped.holidays  # 1/5/2027 is a Saturday


def test_next_opening_after_friday_closing_is_monday_morning(shipped):
    assert shipped.next_opening(CENTRE, hanoi(2026, 12, 4, 17, 5)) == hanoi(2026, 12, 7, 7, 30)


def test_next_opening_at_lunch_is_the_afternoon(shipped):
    assert shipped.next_opening(CENTRE, hanoi(2026, 12, 4, 11, 45)) == hanoi(2026, 12, 4, 13, 30)


def test_next_opening_when_open_is_now(shipped):
    at = hanoi(2026, 12, 4, 9, 15)
    assert shipped.next_opening(CENTRE, at) == at


def test_next_opening_skips_holidays(shipped):
    # 30/4 and 1/5/2026 are Thursday and Friday: Wednesday evening -> Monday 4 May
    assert shipped.next_opening(CENTRE, hanoi(2026, 4, 29, 18, 0)) == hanoi(2026, 5, 4, 7, 30)
    # Giỗ Tổ on Sunday 26/4/2026, nghỉ bù on Monday 27/4 -> Tuesday
    assert shipped.next_opening(CENTRE, hanoi(2026, 4, 24, 17, 30)) == hanoi(2026, 4, 28, 7, 30)


def test_next_opening_during_tet_is_after_the_block(shipped):
    assert shipped.next_opening(CENTRE, hanoi(2026, 2, 18, 10, 0)) == hanoi(2026, 2, 23, 7, 30)


def test_next_opening_from_utc_is_in_hanoi_time(shipped):
    at = datetime(2026, 12, 4, 10, 5, tzinfo=UTC)  # 17:05 on Friday in Hanoi
    opening = shipped.next_opening(CENTRE, at)
    assert opening == hanoi(2026, 12, 7, 7, 30)
    assert opening.tzinfo == TIMEZONE and opening.utcoffset() == timedelta(hours=7)
    assert (opening.hour, opening.minute) == (7, 30)
    # 23:30 UTC on Sunday is 6:30 on Monday in Hanoi: opens the same (Hanoi) morning
    assert shipped.next_opening(CENTRE, datetime(2026, 12, 6, 23, 30, tzinfo=UTC)) == hanoi(2026, 12, 7, 7, 30)


def test_closes_at(shipped):
    assert shipped.closes_at(CENTRE, hanoi(2026, 12, 4, 9, 0)) == hanoi(2026, 12, 4, 11, 30)
    assert shipped.closes_at(CENTRE, hanoi(2026, 12, 4, 16, 0)) == hanoi(2026, 12, 4, 17, 0)
    assert shipped.closes_at(CENTRE, hanoi(2026, 12, 4, 12, 0)) is None


def test_naive_datetimes_are_refused(shipped):
    naive = datetime(2026, 12, 4, 9, 0)
    for call in (shipped.is_open, shipped.next_opening, shipped.closes_at):
        with pytest.raises(ValueError, match="naive"):
            call(CENTRE, naive)
    with pytest.raises(ValueError, match="naive"):
        describe_opening(naive, "vi", hanoi(2026, 12, 4, 8, 0))


# --- modes for tests ---


def test_mode_always_and_never():
    sunday_night = hanoi(2026, 12, 6, 3, 0)
    always, never = load_hours("always"), load_hours(" never ")
    assert always.mode == "always" and always.is_open(CENTRE, sunday_night)
    assert always.next_opening(CENTRE, sunday_night) == sunday_night
    assert never.mode == "never" and not never.is_open(CENTRE, hanoi(2026, 12, 8, 9, 0))
    assert never.next_opening(CENTRE, hanoi(2026, 12, 8, 9, 0)) is None
    assert never.closes_at(CENTRE, hanoi(2026, 12, 8, 9, 0)) is None


def test_hours_from_env():
    assert hours_from_env({"STAFF_HOURS": "always"}).mode == "always"
    assert hours_from_env({"STAFF_HOURS": ""}) == load_hours()
    assert hours_from_env({}).holidays == load_hours(holidays_file=DEFAULT_HOLIDAYS).holidays


def test_unknown_mode_or_missing_file_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        OfficeHours(WeekSchedule({}), {}, frozenset(), frozenset(), mode="sometimes")
    with pytest.raises(ValueError, match="no such file"):
        load_hours(str(tmp_path / "missing.yaml"))


# --- files of one's own ---


def test_centre_override_replaces_only_the_days_written(tmp_path):
    path = write(tmp_path, WEEK + f'centres:\n  "{PROVINCE}":\n    sat: ["07:30-11:30"]\n    fri: []\nholidays: []\n')
    hours = load_hours(str(path))
    saturday = hanoi(2026, 12, 5, 9, 0)
    assert hours.is_open(PROVINCE, saturday)
    assert not hours.is_open(CENTRE, saturday)
    assert not hours.is_open(PROVINCE, hanoi(2026, 12, 4, 9, 0))  # its Friday closed
    assert hours.is_open(PROVINCE, hanoi(2026, 12, 3, 9, 0))  # Thursday from the default
    assert hours.next_opening(PROVINCE, hanoi(2026, 12, 3, 17, 0)) == saturday.replace(hour=7, minute=30)
    assert hours.next_opening(CENTRE, saturday) == hanoi(2026, 12, 7, 7, 30)
    # the same name typed decomposed, in capitals and with extra spaces
    typed = unicodedata.normalize("NFD", "  " + PROVINCE.upper().replace(" ", "  "))
    assert hours.week_of(typed) is hours.centres[PROVINCE]


def test_hours_file_without_holidays_uses_the_holidays_file(tmp_path):
    holidays = write(tmp_path, 'holidays:\n  - {date: "2026-12-08", name: "test"}\n', "holidays.yaml")
    hours = hours_from_env({"STAFF_HOURS": str(write(tmp_path, WEEK)), "STAFF_HOLIDAYS": str(holidays)})
    assert hours.holidays == {date(2026, 12, 8)}
    assert not hours.is_open(CENTRE, hanoi(2026, 12, 8, 9, 0))
    assert hours.next_opening(CENTRE, hanoi(2026, 12, 7, 17, 0)) == hanoi(2026, 12, 9, 7, 30)


def test_extra_working_day_uses_the_default_monday(tmp_path):
    path = write(
        tmp_path,
        WEEK.replace('mon: ["07:30-11:30", "13:30-17:00"]', 'mon: ["08:00-11:00"]')
        + "holidays: []\nextra_working_days:\n  - {date: 2026-12-05, name: làm bù}\n",
    )
    hours = load_hours(str(path))
    assert not hours.is_open(CENTRE, hanoi(2026, 12, 5, 7, 45))
    assert hours.is_open(CENTRE, hanoi(2026, 12, 5, 8, 0))
    assert hours.closes_at(CENTRE, hanoi(2026, 12, 5, 9, 0)) == hanoi(2026, 12, 5, 11, 0)


def test_touching_periods_close_at_the_end_of_the_last(tmp_path):
    hours = load_hours(str(write(tmp_path, 'default:\n  mon: ["07:30-11:30", "11:30-17:00"]\nholidays: []\n')))
    assert hours.is_open(CENTRE, hanoi(2026, 12, 7, 11, 30))
    assert hours.closes_at(CENTRE, hanoi(2026, 12, 7, 9, 0)) == hanoi(2026, 12, 7, 17, 0)


def test_never_open_within_sixty_days_is_none(tmp_path):
    hours = load_hours(str(write(tmp_path, "default: {}\nholidays: []\n")))
    assert hours.next_opening(CENTRE, hanoi(2026, 12, 7, 9, 0)) is None


def test_schedule_built_in_code():
    from datetime import time

    week = WeekSchedule({0: (Period(time(13, 30), time(17, 0)), Period(time(7, 30), time(11, 30)))})
    hours = OfficeHours(week, {}, frozenset(), frozenset())
    assert hours.next_opening(CENTRE, hanoi(2026, 12, 7, 6, 0)) == hanoi(2026, 12, 7, 7, 30)
    with pytest.raises(ValueError, match="after the start"):
        Period(time(11, 30), time(7, 30))


@pytest.mark.parametrize(
    ("yaml_text", "named"),
    [
        ('default:\n  mon: ["7h30-11:30"]\n', ["default.mon", "7h30-11:30"]),
        ('default:\n  mon: ["07:30-24:30"]\n', ["default.mon", "07:30-24:30"]),
        ('default:\n  mon: ["24:00-24:00"]\n', ["default.mon", "24:00-24:00"]),
        ('default:\n  mon: ["07:30-07:70"]\n', ["default.mon", "07:30-07:70"]),
        ("default:\n  mon: [7:30]\n", ["default.mon", "450", "quote it"]),  # unquoted: YAML 1.1 made it a number
        ('default:\n  tue: ["11:30-07:30"]\n', ["default.tue", "11:30-07:30", "after the start"]),
        ('default:\n  wed: ["07:30-07:30"]\n', ["default.wed", "after the start"]),
        ('default:\n  thu: ["07:30-11:30", "11:00-12:00"]\n', ["default.thu", "07:30-11:30", "11:00-12:00", "overlap"]),
        ('default:\n  monday: ["07:30-11:30"]\n', ["default.monday", "unknown day"]),
        (
            f'default: {{}}\ncentres:\n  "{PROVINCE}":\n    saturday: ["07:30-11:30"]\n',
            [f"centres.{PROVINCE}.saturday"],
        ),
        (
            f'default: {{}}\ncentres:\n  "{PROVINCE}":\n    sat: ["08:00-07:00"]\n',
            [f"centres.{PROVINCE}.sat", "08:00-07:00"],
        ),
        ("default: {}\ncenters: {}\n", ["centers", "unknown key"]),
        ("timezone: Asia/Bangkok\ndefault: {}\n", ["Asia/Bangkok"]),
        ("centres: {}\n", ["default"]),
        ('default: {}\nholidays:\n  - {date: "2026-02-30", name: x}\n', ["holidays", "2026-02-30"]),
        ('default: {}\nholidays:\n  - {date: "20260101", name: x}\n', ["holidays", "20260101"]),
        ('default: {}\nholidays:\n  - {day: "2026-01-01"}\n', ["holidays", "day"]),
        ("default: {}\nholidays:\n  - {date: 2026-01-01}\n  - {date: 2026-01-01}\n", ["2026-01-01", "twice"]),
        (
            'default: {}\nholidays: []\nextra_working_days:\n  - {date: "2026-01-09"}\n',
            ["extra_working_days", "2026-01-09", "Saturday"],
        ),
        (
            "default: {}\nholidays:\n  - {date: 2026-01-10}\nextra_working_days:\n  - {date: 2026-01-10}\n",
            ["2026-01-10", "also listed"],
        ),
        ("default: [\n", ["cannot read"]),
    ],
)
def test_invalid_files_name_the_file_and_the_entry(tmp_path, yaml_text, named):
    path = write(tmp_path, yaml_text)
    with pytest.raises(ValueError) as error:
        load_hours(str(path))
    message = str(error.value)
    assert str(path) in message
    for part in named:
        assert part in message


def test_invalid_holidays_file_is_named(tmp_path):
    holidays = write(tmp_path, 'holidays:\n  - {date: "2026-13-01"}\n', "holidays.yaml")
    with pytest.raises(ValueError, match="holidays.yaml: holidays: '2026-13-01'"):
        load_hours(str(write(tmp_path, WEEK)), holidays_file=holidays)


# --- wording ---


@pytest.mark.parametrize(
    ("when", "now", "vi", "en"),
    [
        (hanoi(2026, 12, 4, 13, 30), hanoi(2026, 12, 4, 11, 45), "13:30 chiều nay", "today at 13:30"),
        (hanoi(2026, 12, 8, 7, 30), hanoi(2026, 12, 7, 18, 0), "7:30 sáng mai", "tomorrow at 7:30"),
        (
            hanoi(2026, 12, 7, 7, 30),
            hanoi(2026, 12, 4, 17, 5),
            "7:30 sáng thứ Hai, 07/12/2026",
            "Monday 7 December 2026 at 7:30",
        ),
        (
            hanoi(2026, 12, 13, 7, 30),
            hanoi(2026, 12, 4, 17, 5),
            "7:30 sáng Chủ nhật, 13/12/2026",
            "Sunday 13 December 2026 at 7:30",
        ),
        (
            hanoi(2026, 2, 23, 13, 30),
            hanoi(2026, 2, 18, 10, 0),
            "13:30 chiều thứ Hai, 23/02/2026",
            "Monday 23 February 2026 at 13:30",
        ),
        # "today" is the Hanoi date: 23:30 UTC on Sunday is already Monday morning there
        (hanoi(2026, 12, 7, 7, 30), datetime(2026, 12, 6, 23, 30, tzinfo=UTC), "7:30 sáng nay", "today at 7:30"),
        (hanoi(2026, 12, 4, 9, 0), hanoi(2026, 12, 4, 9, 0), "ngay bây giờ", "now"),
    ],
)
def test_describe_opening(when, now, vi, en):
    assert describe_opening(when, "vi", now) == vi
    assert describe_opening(when, "en", now) == en


def test_a_whole_day_period_is_open_until_midnight(tmp_path: Path) -> None:
    path = tmp_path / "hours.yaml"
    path.write_text('default:\n  sun: ["00:00-24:00"]\n', encoding="utf-8")
    hours = load_hours(str(path))
    sunday_late = datetime(2026, 12, 6, 23, 59, tzinfo=TIMEZONE)
    assert hours.is_open("Trung tâm X", sunday_late)
    assert not hours.is_open("Trung tâm X", sunday_late + timedelta(minutes=1))  # Monday: closed
