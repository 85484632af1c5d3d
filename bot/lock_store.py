"""Rasa's Redis lock store, riding out a Redis restart (deploy/endpoints.production.yml).

Rasa 3.6's RedisLockStore raises on the first connection error, and the citizen's message is
dropped with it (measured: bench/bench_cluster.py, "restart Redis"). Here each Redis call is
retried for up to RETRY_SECONDS, so a restart of a second or two only delays the turn. The lock
itself is Rasa's (not safe for one conversation on two replicas at once: the balancer prevents that)."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Optional, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import ConnectionError, TimeoutError

logger = logging.getLogger(__name__)
RETRY_SECONDS = 5.0
PAUSE_SECONDS = 0.1
T = TypeVar("T")


def with_retries(call: Callable[[], T], budget: float = RETRY_SECONDS) -> T:
    deadline, failures = time.monotonic() + budget, 0
    while True:
        try:
            return call()
        except (ConnectionError, TimeoutError) as error:
            if time.monotonic() >= deadline:
                raise
            failures += 1
            if failures == 1:
                logger.warning("lock store unreachable (%s): retrying for %.0f s", type(error).__name__, budget)
            time.sleep(PAUSE_SECONDS)  # Rasa calls the lock store synchronously


class RetryingRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig, **_: Any) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return with_retries(lambda: super(RetryingRedisLockStore, self).get_lock(conversation_id))

    def delete_lock(self, conversation_id: str) -> None:
        with_retries(lambda: super(RetryingRedisLockStore, self).delete_lock(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        with_retries(lambda: super(RetryingRedisLockStore, self).save_lock(lock))
