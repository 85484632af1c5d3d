"""A small in-memory sliding-window rate limit (one process; uvicorn runs one worker).

Each key keeps the times of its accepted hits inside the window. The number of keys is capped,
so rotating keys (e.g. a fresh session id per request) cannot grow memory without bound."""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    def __init__(self, limit: int, seconds: float, max_keys: int = 50_000,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.limit, self.seconds, self.max_keys, self.clock = limit, seconds, max_keys, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Record a hit for `key` and return 0, or return the seconds to wait (nothing recorded)."""
        now = self.clock()
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            self._hits[key] = hits  # re-inserted: the dict stays ordered from least to most recent
            if len(hits) >= self.limit:
                return max(hits[0] + self.seconds - now, 0.001)
            hits.append(now)
            if len(self._hits) > self.max_keys:
                self._evict(now)
            return 0.0

    def _evict(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.seconds]:
            del self._hits[key]
        target = self.max_keys * 9 // 10  # some room, so the scan above stays rare
        while len(self._hits) > target:  # still full: forget the least recently seen
            del self._hits[next(iter(self._hits))]


def retry_after(seconds: float) -> int:
    """Whole seconds to wait, at least 1 (as the Retry-After header wants them)."""
    return max(1, math.ceil(seconds))
