"""Settings of the turn records, read by the Rasa process (which records) and the web app (which
reads). Plain Python, like handoff/settings.py: Rasa 3.6 pins pydantic 1."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Optional

REPO = Path(__file__).resolve().parents[1]

# name -> default ("" means: see the comment)
VARIABLES = {
    "ANALYTICS_DATABASE_URL": "",  # empty: DATABASE_URL (one database for all in production)
    "ANALYTICS_ENABLED": "1",  # 0: no turn records at all
    "RETENTION_DAYS": "90",  # `analytics purge` deletes turn records and conversations older than this
}


def read(name: str, env: Optional[Mapping[str, str]] = None) -> str:
    env = os.environ if env is None else env
    return env.get(name) or VARIABLES[name]


def database_url(env: Optional[Mapping[str, str]] = None) -> str:
    env = os.environ if env is None else env
    url = (
        read("ANALYTICS_DATABASE_URL", env)
        or env.get("DATABASE_URL")
        or f"sqlite:///{REPO / 'var' / 'dossiers.sqlite'}"
    )
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):  # relative: to the repository root
        url = prefix + str(REPO / url[len(prefix) :])
    return url


def enabled(env: Optional[Mapping[str, str]] = None) -> bool:
    return read("ANALYTICS_ENABLED", env).strip().lower() not in ("0", "false", "no", "off")


def retention_days(env: Optional[Mapping[str, str]] = None) -> int:
    return int(read("RETENTION_DAYS", env))
