"""Rasa's SQL tracker store, writing every event through bot.privacy's masking."""
from __future__ import annotations

from typing import Any, Iterator

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy import mask_event


def _sqlite_write_ahead_log(connection: Any, _record: Any) -> None:
    """SQLite's default journal fsyncs twice per commit (15-17 ms of every turn here); a
    write-ahead log with synchronous=NORMAL stays consistent and may lose at most the
    last turns on a power cut, never the database."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class MaskingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_write_ahead_log)
            self.engine.dispose()  # connections opened while creating tables get the pragmas too

    def _additional_events(self, session, tracker: DialogueStateTracker) -> Iterator[Event]:
        for event in super()._additional_events(session, tracker):
            yield Event.from_parameters(mask_event(event.as_dict()))
