"""bot/rasa_speedups.py and the tracker store's SQLite settings, checked with the real Rasa 3.6."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import rasa_env

REPO = Path(__file__).resolve().parents[1]


def test_prebuilt_validator_keeps_rasas_verdicts_and_sqlite_writes_ahead(tmp_path):
    result = subprocess.run(
        [str(REPO / ".venv-rasa/bin/python"), "tests/rasa_side/check_server_fixes.py", str(tmp_path / "t.db")],
        cwd=REPO,
        env=rasa_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["ours"] == found["rasa"] == [True, False, False, False]
    assert found["installed"] == "bot.rasa_speedups"  # loading our channels installs it
    assert found["each"] == {"bot.channels.rest": "bot.rasa_speedups", "bot.channels.socketio": "bot.rasa_speedups"}
    assert found["package_alone"] is True  # bot.channels itself (guard.py) needs no Rasa
    assert (found["journal"], found["synchronous"]) == ("wal", 1)  # 1 = NORMAL
    assert found["busy_timeout"] == 5000  # bot.sqlite.pragmas: the same settings as the app's databases
