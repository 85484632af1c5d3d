"""Rasa's SQL tracker store, writing every event through bot.privacy's masking, and handing the
events of each save to the turn recorder (analytics/store.py): the save already knows which events
are new, where Rasa's event brokers would read the whole tracker again on every save."""

from __future__ import annotations

from typing import Any, Iterator, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import Session

from analytics import settings as analytics
from analytics.store import TurnRecorder
from bot import sqlite
from bot.privacy import mask_event
from bot.settings import channel_keys

_recorder: Optional[TurnRecorder] = None


def recorder() -> Optional[TurnRecorder]:
    """One per process (its writer thread outlives any tracker store object); None when disabled."""
    global _recorder
    if _recorder is None and analytics.enabled():
        _recorder = TurnRecorder(analytics.database_url(), channel_keys().privacy_key)
    return _recorder


class MaskingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", sqlite.pragmas)  # write-ahead log: one fsync a turn
            self.engine.dispose()  # connections opened while creating tables get the pragmas too

    def _additional_events(self, session: Session, tracker: DialogueStateTracker) -> Iterator[Event]:
        added = []
        for event in super()._additional_events(session, tracker):
            data = event.as_dict()
            added.append(data)
            yield Event.from_parameters(mask_event(data))
        turns = recorder()
        if turns is not None:
            turns.observe(tracker.sender_id, added)  # masks what it keeps; never blocks, never raises
