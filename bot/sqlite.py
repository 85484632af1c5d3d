"""How every SQLite database of the assistant is opened: the Rasa tracker store
(bot/tracker_store.py), the dossier mirror and throttle (dossiers/db.py) and the web app's
(web/db.py). Plain Python, no Rasa import: both environments use it.

- journal_mode=WAL: readers (the action server, the web app) never wait for a writer (an
  import, a turn being stored), and a commit needs one fsync instead of the default journal's
  two (15-17 ms of every turn for the tracker store);
- synchronous=NORMAL: with a write-ahead log this stays consistent; a power cut may lose the
  last commits, never the database;
- busy_timeout=5000: several processes share a file (web app and CLI, action server and
  `dossiers import`): a writer waits up to 5 s for a lock instead of failing at once.
"""

from __future__ import annotations

from typing import Any

BUSY_TIMEOUT_MS = 5000


def pragmas(dbapi_connection: Any, _connection_record: Any = None) -> None:
    """SQLAlchemy "connect" listener: `event.listen(engine, "connect", pragmas)`."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
