"""When the action server is down or hangs, a citizen still hears back in time, politely.
These tests stop and restart parts of the shared stack, and leave it running."""

from __future__ import annotations

import time

from tests.integration.stack import text_of


def test_action_server_down_still_gets_a_polite_reply_within_5_seconds(stack):
    stack.stop("actions")
    try:
        started = time.monotonic()
        reply = stack.say("r-down", "lệ phí làm hộ chiếu bao nhiêu")
        assert time.monotonic() - started < 5
        assert "thử lại" in text_of(reply)
        english = stack.say("r-down-en", "how much does a passport cost")
        assert "try again" in text_of(english)
    finally:
        stack.start("actions")
    assert stack.say("r-down", "lệ phí làm hộ chiếu bao nhiêu")  # back to normal


def test_action_server_hanging_still_gets_a_polite_reply_within_5_seconds(stack):
    stack.pause("actions")
    try:
        started = time.monotonic()
        reply = stack.say("r-slow", "đăng ký tạm trú cần giấy tờ gì")
        assert time.monotonic() - started < 5
        assert "thử lại" in text_of(reply)
    finally:
        stack.resume("actions")
