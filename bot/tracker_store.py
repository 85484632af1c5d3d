"""Rasa's SQL tracker store, writing every event through bot.privacy's masking."""

from __future__ import annotations

from typing import Any, Iterator

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import Session

from bot import sqlite
from bot.privacy import mask_event


class MaskingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", sqlite.pragmas)  # write-ahead log: one fsync a turn
            self.engine.dispose()  # connections opened while creating tables get the pragmas too

    def _additional_events(self, session: Session, tracker: DialogueStateTracker) -> Iterator[Event]:
        for event in super()._additional_events(session, tracker):
            yield Event.from_parameters(mask_event(event.as_dict()))
