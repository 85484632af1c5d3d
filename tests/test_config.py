"""Every URL a process uses is derived from the ports in one place (scripts/defaults.sh), so
`RASA_PORT=6005 ACTIONS_PORT=6055 make run` talks only to its own stack."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import REPO


def config(**env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith(("_URL", "_PORT", "_ORIGINS"))}
    out = subprocess.run(
        ["make", "-s", "config"], cwd=REPO, env={**clean, **env}, capture_output=True, text=True, check=True, timeout=60
    )
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)


def test_urls_follow_the_ports_given_to_make():
    values = config(RASA_PORT="6005", ACTIONS_PORT="6055", WEB_PORT="6080")
    assert values["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:6055/webhook"
    assert values["RASA_URL"] == "http://127.0.0.1:6005"
    assert values["WEB_PUBLIC_URL"] == "http://127.0.0.1:6080"
    assert "http://127.0.0.1:6080" in values["RASA_CORS_ORIGINS"].split(",")


def test_defaults_listen_on_loopback():
    values = config()
    assert values["RASA_HOST"] == "127.0.0.1"
    assert values["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:5055/webhook"
