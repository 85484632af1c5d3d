"""Per-conversation and per-client rate limits of the chat channels (REST, socket.io, Zalo), on the
`limits` library: in memory for `make run`, on Redis in the production profile (REDIS_HOST), so
every replica counts the same window. Plain Python (no Rasa import)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Optional

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from bot.settings import redis_url

logger = logging.getLogger(__name__)

# A citizen types a message every 10-20 s at most; 20 a minute leaves room for taps on buttons.
PER_CONVERSATION_PER_MINUTE = 20
# One address can be a whole ward office, or thousands of phones behind a carrier's NAT.
PER_CLIENT_PER_MINUTE = 600


@dataclass
class ChannelLimits:
    limiter: FixedWindowRateLimiter
    per_conversation: RateLimitItemPerMinute
    per_client: RateLimitItemPerMinute

    @classmethod
    def from_url(
        cls, url: str, per_conversation: int = PER_CONVERSATION_PER_MINUTE, per_client: int = PER_CLIENT_PER_MINUTE
    ) -> ChannelLimits:
        options = {"socket_timeout": 0.2, "socket_connect_timeout": 0.2} if url.startswith("redis") else {}
        limiter = FixedWindowRateLimiter(storage_from_string(url, **options))
        return cls(limiter, RateLimitItemPerMinute(per_conversation), RateLimitItemPerMinute(per_client))

    def allow(self, conversation: str, client: Optional[str]) -> bool:
        """Count one message; False when the conversation or its client is over its limit.
        A store that cannot answer (Redis restarting) lets the message through: a citizen is
        never refused because our counter is down."""
        try:
            if not self.limiter.hit(self.per_conversation, "conversation", conversation):
                return False
            return client is None or self.limiter.hit(self.per_client, "client", client)
        except Exception as error:  # noqa: BLE001 - any storage failure: fail open, say so once per call
            logger.warning("rate limits unavailable: %s", type(error).__name__)
            return True


@cache
def channel_limits() -> ChannelLimits:
    """One per process, on Redis when the profile has it."""
    return ChannelLimits.from_url(redis_url() or "memory://")
