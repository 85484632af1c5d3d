"""Channel rate limits (bot/channels/rate_limits.py): per conversation and per client, shared by
every replica through a real Redis, failing open when the store is down."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from bot.channels.rate_limits import ChannelLimits

REPO = Path(__file__).resolve().parents[1]


def test_a_conversation_over_its_limit_is_refused_and_others_are_not():
    limits = ChannelLimits.from_url("memory://", per_conversation=3, per_client=100)
    assert [limits.allow("c1", "k") for _ in range(4)] == [True, True, True, False]
    assert limits.allow("c2", "k")


def test_one_client_cannot_spread_messages_over_many_conversations():
    limits = ChannelLimits.from_url("memory://", per_conversation=100, per_client=5)
    allowed = [limits.allow(f"c{i}", "one-client") for i in range(7)]
    assert allowed == [True] * 5 + [False] * 2
    assert limits.allow("c-other", "another-client")


def test_a_store_that_is_down_lets_citizens_through_quickly():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    limits = ChannelLimits.from_url(f"redis://127.0.0.1:{port}/0", per_conversation=1)
    started = time.monotonic()
    assert limits.allow("c", "k") and limits.allow("c", "k")
    assert time.monotonic() - started < 2


def test_two_replicas_count_the_same_window_on_redis(redis_server):
    redis_url = redis_server.url
    first, second = (ChannelLimits.from_url(redis_url, per_conversation=4) for _ in range(2))
    allowed = [(first if i % 2 else second).allow("shared", None) for i in range(6)]
    assert allowed == [True] * 4 + [False] * 2


def test_the_rasa_venv_runs_it_on_rasas_packaging_pin(redis_server):
    redis_url = redis_server.url
    """limits is installed there with --no-deps (requirements/rasa-nodeps.txt)."""
    code = (
        "from bot.channels.rate_limits import ChannelLimits\n"
        f"l = ChannelLimits.from_url({redis_url!r}, per_conversation=2)\n"
        "print([l.allow('rasa-side', None) for _ in range(3)])"
    )
    done = subprocess.run([str(REPO / ".venv-rasa/bin/python"), "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[True, True, False]", done.stderr[-2000:]
