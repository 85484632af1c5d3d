"""bot/sqlite.py is how every SQLite database of the assistant is opened: the dossier mirror
and the web app's here (the Rasa tracker store's in tests/test_rasa_server_fixes.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from dossiers.db import make_engine as dossier_engine
from web.db import make_engine as web_engine


def settings(engine: Engine) -> tuple[str, int, int]:
    with engine.connect() as connection:
        return tuple(
            connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "busy_timeout")
        )


@pytest.mark.parametrize("make", [dossier_engine, web_engine], ids=["dossiers", "web"])
def test_write_ahead_log_normal_sync_and_a_5_s_lock_wait(tmp_path: Path, make) -> None:
    engine = make(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert settings(engine) == ("wal", 1, 5000)  # synchronous 1 = NORMAL
    engine.dispose()
