"""Start the real action server and the real Rasa server (the same scripts `make run` uses)
on free ports, and talk to them over REST like a channel would."""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from handoff.store import HandoffStore

# Process handling lives in processes.py (shared with bench/); these names stay importable from here.
from tests.integration.processes import (  # noqa: F401
    free_port,
    signal_group,
    start_group,
    stop_process_group,
    wait_until_up,
)

REPO = Path(__file__).resolve().parents[2]
TEST_HANDOFF_KEY = "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="  # a Fernet key for tests only
# The stack's centres' hours (STAFF_HOURS): open at any time, no holidays; a test may rewrite the file
# (Stack.set_hours), the servers read it at each handoff.
ALWAYS_OPEN = "default:\n" + "".join(
    f'  {d}: ["00:00-24:00"]\n' for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
)
ALWAYS_OPEN += "holidays: []\nextra_working_days: []\n"


ZALO_APP = {
    "ZALO_APP_ID": "4318000000000000001",
    "ZALO_OA_SECRET_KEY": "test-oa-secret",
    "ZALO_APP_SECRET": "test-app-secret",
}


def zalo_env(port: int) -> dict[str, str]:
    """The Zalo channel of the stack, talking to tests/integration/fake_zalo.py on `port`."""
    url = f"http://127.0.0.1:{port}"
    tokens = {"ZALO_ACCESS_TOKEN": "access-1", "ZALO_REFRESH_TOKEN": "refresh-1"}
    return {**ZALO_APP, **tokens, "ZALO_API_URL": url, "ZALO_OAUTH_URL": url, "ZALO_FAKE_PORT": str(port)}


def closed_for_holidays(days: list[str]) -> str:
    """Hours open at any time except these public holidays ("YYYY-MM-DD")."""
    listed = "".join(f'  - {{date: "{d}", name: "test holiday"}}\n' for d in days)
    return ALWAYS_OPEN.replace("holidays: []\n", f"holidays:\n{listed}")


TEST_ACTION_TOKEN = "test-action-token-for-the-stack"  # what Rasa sends and the action server requires
SCRIPTS = {"actions": "scripts/run-actions", "rasa": "scripts/run-rasa"}


@dataclass
class Stack:
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _handoff: HandoffStore | None = None

    @classmethod
    def configure(cls, workdir: Path, **overrides: str) -> Stack:
        env = {
            **os.environ,
            "RASA_PORT": str(free_port()),
            "ACTIONS_PORT": str(free_port()),
            "TRACKER_DB": str(workdir / "tracker.db"),
            "DATABASE_URL": f"sqlite:///{workdir / 'dossiers.sqlite'}",
            "HANDOFF_DATABASE_URL": f"sqlite:///{workdir / 'handoff.sqlite'}",
            "STAFF_HOURS": str(workdir / "hours.yaml"),
            "HANDOFF_KEY": TEST_HANDOFF_KEY,
            **zalo_env(free_port()),
            "RASA_TOKEN": "test-token",
            "ACTION_TOKEN": TEST_ACTION_TOKEN,
            "WEB_PORT": str(free_port()),  # the web app the browser tests start: Rasa's CORS origin
            **overrides,
        }
        env.pop("ACTION_ENDPOINT_URL", None)
        env.pop("RASA_URL", None)
        stack = cls(workdir=workdir, env=env)
        stack.set_hours(ALWAYS_OPEN)
        return stack

    def handoff_store(self) -> HandoffStore:
        """The stack's handoff database, one engine for the whole test session."""
        if self._handoff is None:
            self._handoff = HandoffStore.from_url(self.env["HANDOFF_DATABASE_URL"])
        return self._handoff

    def set_hours(self, text: str) -> None:
        """Rewrite the centres' hours file (ALWAYS_OPEN, CLOSED, or any hours YAML)."""
        Path(self.env["STAFF_HOURS"]).write_text(text, encoding="utf-8")

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.env['RASA_PORT']}"

    @property
    def action_headers(self) -> dict[str, str]:
        """What a call to the action server needs to be taken for Rasa's."""
        return {"X-Action-Token": self.env["ACTION_TOKEN"]}

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.env['ACTIONS_PORT']}"

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def spawn(self, name: str) -> subprocess.Popen[bytes]:
        """Start "actions" or "rasa" (its `make run` script) without waiting for it."""
        self.processes[name] = start_group([str(REPO / SCRIPTS[name])], cwd=REPO, env=self.env, log=self.log(name))
        return self.processes[name]

    def start(self, name: str) -> None:
        """Start "actions" or "rasa" and wait until it answers."""
        process = self.spawn(name)
        url = f"{self.actions_url}/health" if name == "actions" else f"{self.rasa_url}/status?token=test-token"
        wait_until_up(url, process, timeout=240, log=self.log(name))

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            stop_process_group(process)

    def pause(self, name: str) -> None:
        signal_group(self.processes[name], signal.SIGSTOP)

    def resume(self, name: str) -> None:
        signal_group(self.processes[name], signal.SIGCONT)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def say(self, sender: str, text: str, client: str = "127.0.0.1", **extra: Any) -> list[dict[str, Any]]:
        """One REST turn; `client` is the loopback address it comes from (127.0.0.0/8)."""
        transport = httpx.HTTPTransport(local_address=client)
        with httpx.Client(transport=transport, timeout=30) as http:
            response = http.post(
                f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text, **extra}
            )
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict[str, Any]:
        response = httpx.get(
            f"{self.rasa_url}/conversations/{sender}/tracker", params={"token": self.env["RASA_TOKEN"]}, timeout=30
        )
        response.raise_for_status()
        return response.json()

    def stored_bytes(self) -> bytes:
        """Everything the stack has written down: tracker store (and its write-ahead log), dossier
        and handoff databases, logs."""
        files = [
            *self.workdir.glob("tracker.db*"),
            *self.workdir.glob("dossiers.sqlite*"),
            *self.workdir.glob("handoff.sqlite*"),
            *self.workdir.glob("*.log"),
        ]
        return b"".join(p.read_bytes() for p in files if p.is_file())


def payloads(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["custom"] for m in messages if m.get("custom")]


def payload(messages: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [p for p in payloads(messages) if p.get("type") == kind]
    assert found, f"no {kind!r} payload in {messages}"
    return found[0]


def text_of(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages if m.get("text"))
