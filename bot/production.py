"""Production mode (ASSISTANT_ENV=production): each process refuses to start with a development
default or a missing secret, and says which one. Plain Python, read by the Rasa server
(bot/serve.py), the action server (actions/server.py) and the web app (web/app.py)."""

from __future__ import annotations

import os
from typing import Dict, List, Mapping, Optional, Tuple

from bot.settings import DEVELOPMENT_TOKEN, read

# what each process cannot run without in production
REQUIRED: Dict[str, Tuple[str, ...]] = {
    "rasa": (
        "RASA_TOKEN",
        "ACTION_TOKEN",
        "PRIVACY_KEY",
        "SESSION_SECRET",
        "HANDOFF_KEY",
        "TRACKER_DATABASE_URL",
        "DATABASE_URL",
        "REDIS_HOST",
        "REDIS_PASSWORD",
        "RASA_CORS_ORIGINS",
    ),
    "actions": ("ACTION_TOKEN", "DOSSIER_PEPPER", "HANDOFF_KEY", "DATABASE_URL"),
    "web": ("WEB_SECRET_KEY", "RASA_TOKEN", "PRIVACY_KEY", "HANDOFF_KEY", "DATABASE_URL", "WEB_PUBLIC_URL"),
}
DATABASE_VARIABLES = (
    "DATABASE_URL",
    "TRACKER_DATABASE_URL",
    "HANDOFF_DATABASE_URL",
    "ANALYTICS_DATABASE_URL",
    "WEB_DATABASE_URL",
)
MIN_SECRET_CHARS = 16
# values that ship in this repository or its tests, never a production secret
KNOWN_VALUES = {DEVELOPMENT_TOKEN, "dev-only-pepper-do-not-use-in-production", "test-token", "change-me"}


def is_production(env: Optional[Mapping[str, str]] = None) -> bool:
    env = os.environ if env is None else env
    return read(env, "ASSISTANT_ENV").strip().lower() == "production"


def problems(process: str, env: Mapping[str, str]) -> List[str]:
    """What stops `process` from starting in production; names only, never a value."""
    found = []
    for name in REQUIRED[process]:
        value = (env.get(name) or "").strip()
        if not value:
            found.append(f"{name} is not set")
        elif value in KNOWN_VALUES:
            found.append(f"{name} is a development default")
        elif name.endswith(("TOKEN", "KEY", "SECRET", "PEPPER", "PASSWORD")) and len(value) < MIN_SECRET_CHARS:
            found.append(f"{name} is shorter than {MIN_SECRET_CHARS} characters")
    for name in DATABASE_VARIABLES:
        url = (env.get(name) or "").strip()
        if url.startswith("sqlite"):
            found.append(f"{name} is SQLite (one file cannot be shared by replicas): use PostgreSQL")
        elif url and "@" in url and ":" not in url.split("://", 1)[-1].split("@", 1)[0]:
            found.append(f"{name} has no database password")
    return found


def refuse_unsafe_start(process: str, env: Optional[Mapping[str, str]] = None) -> None:
    """Exit with every problem named when in production mode; do nothing otherwise."""
    env = os.environ if env is None else env
    if not is_production(env):
        return
    found = problems(process, env)
    if found:
        raise SystemExit(f"ASSISTANT_ENV=production: the {process} process will not start: " + "; ".join(found))
