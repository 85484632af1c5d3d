"""The throttle's rules and arithmetic (dossiers/throttle.py), without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dossiers.throttle import Rule, ThrottleRules, expected_days_to_first_hit, failures_per_day, next_check_at

T0 = datetime(2025, 9, 16, 8, 0, tzinfo=UTC)
RULES = ThrottleRules()


def at(*seconds: float) -> list[datetime]:
    return [T0 + timedelta(seconds=s) for s in seconds]


def test_default_rules() -> None:
    per_key = Rule(free=3, first_delay=timedelta(seconds=30), max_delay=timedelta(hours=1), max_failures=10)
    assert RULES.client == RULES.conversation == per_key
    assert RULES.code == Rule(free=5, first_delay=timedelta(seconds=10), max_delay=timedelta(minutes=5))
    assert per_key.window == RULES.code.window == timedelta(hours=24)
    assert RULES.retention == timedelta(days=2)


def test_free_failures_then_a_doubling_delay_up_to_the_cap() -> None:
    rule = RULES.client
    assert next_check_at(at(0, 0), rule) is None
    assert next_check_at(at(0, 0, 0), rule) == T0 + timedelta(seconds=30)
    assert next_check_at(at(0, 0, 0, 30), rule) == T0 + timedelta(seconds=30 + 60)
    assert next_check_at(at(0, 0, 0, 30, 90), rule) == T0 + timedelta(seconds=90 + 120)
    no_count_cap = Rule(free=3, first_delay=timedelta(seconds=30), max_delay=timedelta(hours=1))
    assert next_check_at(at(*range(40)), no_count_cap) == T0 + timedelta(seconds=39 + 3600)
    assert next_check_at(at(*range(5000)), RULES.code) == T0 + timedelta(seconds=4999 + 300)  # no overflow


def test_the_daily_count_cap_waits_for_the_oldest_failure_to_leave_the_window() -> None:
    ten = at(0, 10, 20, 30, 40, 50, 60, 70, 80, 90)
    assert next_check_at(ten, RULES.client) == T0 + timedelta(hours=24)
    eleven = at(0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)  # e.g. from parallel checks
    assert next_check_at(eleven, RULES.client) == T0 + timedelta(hours=24, seconds=10)


def test_allowed_rates_per_day() -> None:
    assert failures_per_day(RULES.client) == failures_per_day(RULES.conversation) == 10
    assert failures_per_day(RULES.code) == 288  # one every 5 minutes once the delay is capped


def test_100_addresses_need_more_than_a_year_for_one_hit() -> None:
    days = expected_days_to_first_hit(100)
    assert days >= 365
    assert days == pytest.approx(786.07, abs=0.01)  # 3 codes at 288/day + 1 at 136/day, no repeats
    assert days <= 10**6 / (100 * 10)  # no better for the defender than naive random guessing
    assert expected_days_to_first_hit(100, RULES) == days
    assert expected_days_to_first_hit(1) == pytest.approx(10**6 / 2 / 10)  # one code, values in turn


def test_more_addresses_or_looser_rules_mean_less_time() -> None:
    assert expected_days_to_first_hit(1000) < expected_days_to_first_hit(100) < expected_days_to_first_hit(10)
    looser = ThrottleRules(
        client=Rule(free=3, first_delay=timedelta(seconds=30), max_delay=timedelta(hours=1), max_failures=20)
    )
    assert expected_days_to_first_hit(100, looser) < expected_days_to_first_hit(100)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Rule(free=-1, first_delay=timedelta(seconds=1), max_delay=timedelta(seconds=1)),
        lambda: Rule(free=1, first_delay=timedelta(0), max_delay=timedelta(seconds=1)),
        lambda: Rule(free=1, first_delay=timedelta(seconds=2), max_delay=timedelta(seconds=1)),
        lambda: Rule(free=1, first_delay=timedelta(seconds=1), max_delay=timedelta(seconds=1), max_failures=0),
        lambda: ThrottleRules(retention=timedelta(hours=12)),
    ],
)
def test_nonsense_rules_are_refused(make) -> None:
    with pytest.raises(ValueError):
        make()
