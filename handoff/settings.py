"""Settings of the live handoff, read by the Rasa process (its channels), the action server and
the web app. Plain dataclass, no pydantic: Rasa 3.6 pins pydantic 1 (see bot/settings.py).
Defaults: scripts/defaults.sh."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional

REPO = Path(__file__).resolve().parents[1]

# name -> default ("" means: set by scripts/defaults.sh, or none)
VARIABLES = {
    "HANDOFF_DATABASE_URL": "",  # empty: DATABASE_URL, the dossier database (one database for all in production)
    "HANDOFF_KEY": "",  # Fernet key for callback phone numbers; scripts/defaults.sh keeps one in var/handoff-key
    "STAFF_HOURS": "",  # empty: handoff/hours.yaml; "always" / "never" for tests; else an hours file
    "STAFF_HOLIDAYS": "",  # empty: handoff/holidays.yaml (read by handoff.hours.hours_from_env)
    "CALLBACK_RETENTION_DAYS": "30",  # a callback request (and its phone number) is deleted after this
    "HANDOFF_RETENTION_DAYS": "90",  # chat transcripts of ended handoffs are deleted after this
    "AVERAGE_CHAT_MINUTES": "6",  # for the estimated wait: one chat ahead costs this, per staff member online
}


@dataclass(frozen=True)
class HandoffSettings:
    database_url: str
    key: str
    staff_hours: str
    callback_retention_days: int
    retention_days: int
    average_chat_minutes: float

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> HandoffSettings:
        env = os.environ if env is None else env

        def read(name: str) -> str:
            return env.get(name) or VARIABLES[name]

        url = read("HANDOFF_DATABASE_URL") or env.get("DATABASE_URL") or f"sqlite:///{REPO / 'var' / 'dossiers.sqlite'}"
        return cls(
            database_url=_absolute_sqlite(url),
            key=read("HANDOFF_KEY"),
            staff_hours=read("STAFF_HOURS"),
            callback_retention_days=int(read("CALLBACK_RETENTION_DAYS")),
            retention_days=int(read("HANDOFF_RETENTION_DAYS")),
            average_chat_minutes=float(read("AVERAGE_CHAT_MINUTES")),
        )


def _absolute_sqlite(url: str) -> str:
    """A relative SQLite path is relative to the repository root, as in the other settings."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        return prefix + str(REPO / url[len(prefix) :])
    return url


@lru_cache(maxsize=1)
def handoff_settings() -> HandoffSettings:
    return HandoffSettings.from_env()
