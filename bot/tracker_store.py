"""Rasa's SQL tracker store, writing every event through bot.privacy's masking, and handing the
events of each save to the turn recorder (analytics/store.py): the save already knows which events
are new, where Rasa's event brokers would read the whole tracker again on every save.

On PostgreSQL (the production profile) a read or a save that loses its connection is retried
for up to DATABASE_RETRY_SECONDS: a database restart delays turns instead of dropping them
(measured: bench/bench_cluster.py, "restart PostgreSQL", 3 turns lost in 289 before this)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Optional, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import Session

from analytics import settings as analytics
from analytics.store import TurnRecorder
from bot import sqlite
from bot.privacy import mask_event
from bot.settings import channel_keys

logger = logging.getLogger(__name__)
_recorder: Optional[TurnRecorder] = None
DATABASE_RETRY_SECONDS = 10.0  # the citizen has had the "busy" reply by then; the turn is still kept
T = TypeVar("T")


async def with_retries(call: Callable[[], Awaitable[T]], budget: float = DATABASE_RETRY_SECONDS) -> T:
    deadline, failures = time.monotonic() + budget, 0
    while True:
        try:
            return await call()
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
            if time.monotonic() >= deadline:
                raise
            failures += 1
            if failures == 1:  # once per call, not every pause: an outage must not flood the log
                logger.warning("tracker store unreachable (%s): retrying for %.0f s", type(error).__name__, budget)
            await asyncio.sleep(0.25)


def recorder() -> Optional[TurnRecorder]:
    """One per process (its writer thread outlives any tracker store object); None when disabled."""
    global _recorder
    if _recorder is None and analytics.enabled():
        _recorder = TurnRecorder(analytics.database_url(), channel_keys().privacy_key)
    return _recorder


class MaskingSQLTrackerStore(SQLTrackerStore):
    engine: Any  # Rasa's, replaced on PostgreSQL

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved: Dict[str, List[Dict[str, Any]]] = {}  # sender -> events of its save under way
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", sqlite.pragmas)  # write-ahead log: one fsync a turn
            self.engine.dispose()  # connections opened while creating tables get the pragmas too
        elif self.engine.dialect.name == "postgresql":
            # Rasa pools without testing: after a database restart every pooled connection is dead
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await with_retries(lambda: super(MaskingSQLTrackerStore, self).save(tracker))
        added = self._saved.pop(tracker.sender_id, [])
        turns = recorder()
        if turns is not None and added:
            turns.observe(tracker.sender_id, added)  # masks what it keeps; never blocks, never raises

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        return await with_retries(lambda: super(MaskingSQLTrackerStore, self).retrieve(sender_id))

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        return await with_retries(lambda: super(MaskingSQLTrackerStore, self).retrieve_full_tracker(conversation_id))

    def _additional_events(self, session: Session, tracker: DialogueStateTracker) -> Iterator[Event]:
        added = self._saved[tracker.sender_id] = []  # a retried save starts again (no await in between)
        for event in super()._additional_events(session, tracker):
            data = event.as_dict()
            added.append(data)
            yield Event.from_parameters(mask_event(data))
