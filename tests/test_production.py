"""Production mode refuses unsafe defaults (bot/production.py), in the checker and in each real
process's entry point, naming the variable and never its value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.production import problems, refuse_unsafe_start

REPO = Path(__file__).resolve().parents[1]
GOOD = {
    "ASSISTANT_ENV": "production",
    "RASA_TOKEN": "r" * 24,
    "ACTION_TOKEN": "a" * 24,
    "PRIVACY_KEY": "p" * 24,
    "SESSION_SECRET": "s" * 24,
    "HANDOFF_KEY": "h" * 44,
    "DOSSIER_PEPPER": "d" * 24,
    "WEB_SECRET_KEY": "w" * 24,
    "DATABASE_URL": "postgresql://assistant:pw-0123456789@db:5432/assistant",
    "TRACKER_DATABASE_URL": "postgresql://assistant:pw-0123456789@db:5432/assistant",
    "REDIS_HOST": "redis",
    "REDIS_PASSWORD": "q" * 24,
    "RASA_CORS_ORIGINS": "https://tro-ly.bacninh.gov.vn",
    "WEB_PUBLIC_URL": "https://tro-ly.bacninh.gov.vn",
}


@pytest.mark.parametrize("process", ["rasa", "actions", "web"])
def test_a_complete_production_environment_starts(process):
    assert problems(process, GOOD) == []
    refuse_unsafe_start(process, GOOD)  # no exit


@pytest.mark.parametrize(
    "process, change, named",
    [
        ("rasa", {"RASA_TOKEN": ""}, "RASA_TOKEN is not set"),
        ("rasa", {"SESSION_SECRET": "development"}, "SESSION_SECRET is a development default"),
        ("rasa", {"TRACKER_DATABASE_URL": "sqlite:///var/tracker.db"}, "TRACKER_DATABASE_URL is SQLite"),
        ("rasa", {"REDIS_HOST": ""}, "REDIS_HOST is not set"),
        ("actions", {"DOSSIER_PEPPER": "dev-only-pepper-do-not-use-in-production"}, "DOSSIER_PEPPER is a development"),
        ("actions", {"ACTION_TOKEN": "short"}, "ACTION_TOKEN is shorter than 16"),
        ("actions", {"DATABASE_URL": "postgresql://assistant@db/assistant"}, "DATABASE_URL has no database password"),
        ("web", {"WEB_SECRET_KEY": ""}, "WEB_SECRET_KEY is not set"),
        ("web", {"RASA_TOKEN": "test-token"}, "RASA_TOKEN is a development default"),
    ],
)
def test_each_unsafe_value_is_named(process, change, named):
    env = {**GOOD, **change}
    with pytest.raises(SystemExit) as refused:
        refuse_unsafe_start(process, env)
    assert named in str(refused.value)
    for value in change.values():
        if value and len(value) > 12:
            assert value not in str(refused.value)  # names, never values


def test_development_mode_asks_for_nothing():
    refuse_unsafe_start("rasa", {"ASSISTANT_ENV": "development"})
    refuse_unsafe_start("web", {})


def _production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in GOOD}
    return {**env, "ASSISTANT_ENV": "production"}


@pytest.mark.parametrize(
    "command, named",
    [
        (["scripts/run-actions"], "ACTION_TOKEN is not set"),
        (["scripts/run-rasa"], "RASA_TOKEN is not set"),
        ([sys.executable, "-c", "import web.app; web.app.app"], "WEB_SECRET_KEY is not set"),
    ],
)
def test_the_real_processes_refuse_to_start(command, named):
    """scripts/defaults.sh makes no secret in production, so each process stops at once."""
    done = subprocess.run(command, cwd=REPO, env=_production_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert named in done.stderr
    assert "Traceback" not in done.stderr
