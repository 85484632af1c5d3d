"""The turn records' database stopped in the middle of conversations (a real PostgreSQL server,
stopped as by a crash): every reply still arrives, as fast as before, and once the database is
back the turns are recorded again without a restart."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from analytics import store
from bot.channels.guard import channel_words
from tests import postgres
from tests.integration.stack import Stack

# a message refused before Rasa saw it would be fast for the wrong reason
REFUSALS = {channel_words(situation, "vi") for situation in ("slow_down", "overloaded")}
QUESTIONS = ["làm giấy khai sinh cho con cần gì", "lệ phí bao nhiêu", "đăng ký kết hôn ở đâu", "xin chào"]
ROUND = 12  # turns timed in each phase


@pytest.fixture(scope="module")
def server() -> Iterator[postgres.PostgresServer]:
    binaries = postgres.bindir()
    if binaries is None:
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql-15")
    with postgres.running(binaries) as started:
        yield started


def timed_round(stack: Stack) -> list[float]:
    """ROUND turns in a conversation of their own (the per-conversation rate limit stays far)."""
    sender, took = f"analytics-down-{uuid.uuid4().hex[:8]}", []
    for n in range(ROUND):
        start = time.perf_counter()
        replies = stack.say(sender, QUESTIONS[n % len(QUESTIONS)])
        took.append(time.perf_counter() - start)
        texts = [r.get("text") for r in replies]
        assert replies and not REFUSALS.intersection(texts), replies  # answered by the assistant itself
    return took


def recorded(url: str) -> int:
    engine = store.make_engine(url)
    try:
        store.metadata.create_all(engine)
        with engine.connect() as db:
            return int(db.execute(select(func.count()).select_from(store.turns)).scalar_one())
    finally:
        engine.dispose()


def wait_for_records(url: str, least: int, timeout: float = 20) -> int:
    deadline, count = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        count = recorded(url)
        if count >= least:
            break
        time.sleep(0.3)
    return count


def test_a_stopped_analytics_database_slows_no_reply(server: postgres.PostgresServer, tmp_path: Path) -> None:
    stack = Stack.configure(tmp_path, ANALYTICS_DATABASE_URL=server.url)
    try:
        stack.start("actions")
        stack.start("rasa")
        for question in QUESTIONS:  # warm-up, and the table is made
            stack.say(f"warm-{uuid.uuid4().hex[:8]}", question)
        before = timed_round(stack)
        assert wait_for_records(server.url, len(QUESTIONS) + ROUND) == len(QUESTIONS) + ROUND

        server.stop()
        during = timed_round(stack)
        assert statistics.median(during) <= statistics.median(before) * 1.5 + 0.1, (before, during)
        assert max(during) < 5.0

        server.start()
        time.sleep(2 * store.WRITE_PAUSE_SECONDS)  # a batch gathered in the outage may land now
        back = recorded(server.url)  # the outage's turns are lost (counted), the chat is not
        assert len(QUESTIONS) + ROUND <= back < len(QUESTIONS) + 2 * ROUND
        timed_round(stack)
        # recording resumed without a restart: a new connection (pool_pre_ping)
        assert wait_for_records(server.url, back + ROUND) == back + ROUND
    finally:
        stack.stop_all()
    log = "".join(p.read_text(encoding="utf-8", errors="replace") for p in tmp_path.glob("*.log"))
    assert "analytics.write_failed" in log  # the lost turns are said once per batch, with no trace
    assert "Traceback" not in log
