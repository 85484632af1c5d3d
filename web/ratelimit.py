"""Moving-window rate limits per key, on the `limits` library (in memory: the web app runs one
process; the library drops expired keys itself, so rotating keys cannot grow memory for long)."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class SlidingWindow:
    """At most `limit` hits per key in any `seconds`-long window."""

    def __init__(self, limit: int, seconds: int) -> None:
        self.item = RateLimitItemPerSecond(limit, seconds)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, key: str) -> float:
        """Record a hit for `key` and return 0, or return the seconds to wait (nothing recorded)."""
        if self.limiter.hit(self.item, key):
            return 0.0
        return self._until_free(key)

    def wait(self, key: str, pending: int = 0) -> float:
        """0 if one more hit for `key` fits beside `pending` not yet recorded, else the seconds to wait.
        Records nothing."""
        if self.limiter.test(self.item, key, cost=pending + 1):
            return 0.0
        if self.limiter.get_window_stats(self.item, key).remaining > 0:
            return 1.0  # only the pending hits fill the window; they are settled within a second
        return self._until_free(key)

    def _until_free(self, key: str) -> float:
        reset = self.limiter.get_window_stats(self.item, key).reset_time
        return max(reset - time.time(), 0.001)


class FailureLimit:
    """At most `limit` failed attempts per key in any `seconds`-long window. An attempt counts against
    the limit from its start, so a burst of parallel attempts cannot overrun it before any has failed."""

    def __init__(self, limit: int, seconds: int) -> None:
        self.failures = SlidingWindow(limit, seconds)
        self.running: Counter[str] = Counter()
        self.lock = threading.Lock()

    def begin(self, key: str) -> float:
        """Start an attempt and return 0, or return the seconds to wait (no attempt started)."""
        with self.lock:
            if wait := self.failures.wait(key, pending=self.running[key]):
                return wait
            self.running[key] += 1
            return 0.0

    def end(self, key: str, failed: bool) -> None:
        with self.lock:
            self.running[key] -= 1
            if self.running[key] <= 0:
                del self.running[key]
            if failed:
                self.failures.hit(key)


def retry_after(seconds: float) -> int:
    """Whole seconds to wait, at least 1 (as the Retry-After header wants them)."""
    return max(1, math.ceil(seconds))
