"""Moving-window rate limits per key, on the `limits` library (in memory: the web app runs one
process; the library drops expired keys itself, so rotating keys cannot grow memory for long)."""
from __future__ import annotations

import math
import time

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
        reset = self.limiter.get_window_stats(self.item, key).reset_time
        return max(reset - time.time(), 0.001)


def retry_after(seconds: float) -> int:
    """Whole seconds to wait, at least 1 (as the Retry-After header wants them)."""
    return max(1, math.ceil(seconds))
