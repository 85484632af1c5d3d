"""The embedded default survives a crash: `scripts/run-all` (what `make run` starts) runs the three
processes under supervisord; each is killed with SIGKILL while citizens keep talking, and must be
back within 30 s while the others keep serving, with no conversation losing a turn."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest

from bot.channels.guard import channel_words
from tests.integration.stack import REPO, free_port, stop_process_group, wait_until_up

BACK_WITHIN_SECONDS = 30
TOKEN = "supervised-token"


@dataclass
class Supervised:
    workdir: Path
    env: dict[str, str]
    process: subprocess.Popen
    log: Path

    def url(self, name: str) -> str:
        port = {"rasa": "RASA_PORT", "actions": "ACTIONS_PORT", "web": "WEB_PORT"}[name]
        return f"http://127.0.0.1:{self.env[port]}"

    def health(self, name: str) -> str:
        return {
            "rasa": f"{self.url('rasa')}/status?token={self.env['RASA_TOKEN']}",
            "actions": f"{self.url('actions')}/health",
            "web": f"{self.url('web')}/healthz",
        }[name]

    def up(self, name: str) -> bool:
        try:
            return httpx.get(self.health(name), timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def pid(self, name: str) -> int:
        out = subprocess.run(
            [str(REPO / "scripts/run-all"), "ctl", "pid", name],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return int(out.stdout.strip())


def start_supervised(workdir: Path, token: str = TOKEN) -> Supervised:
    """`scripts/run-all` on free ports with its state in `workdir`, once every process answers."""
    env = {
        **os.environ,
        "RASA_PORT": str(free_port()),
        "ACTIONS_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
        "TRACKER_DB": str(workdir / "tracker.db"),
        "DATABASE_URL": f"sqlite:///{workdir / 'dossiers.sqlite'}",
        "HANDOFF_DATABASE_URL": f"sqlite:///{workdir / 'handoff.sqlite'}",
        "WEB_DATABASE_URL": f"sqlite:///{workdir / 'web.sqlite'}",
        "RASA_TOKEN": token,
        "SUPERVISOR_STATE": str(workdir),
        "WEB_SECRET_KEY": "test-secret-key",
    }
    for derived in ("ACTION_ENDPOINT_URL", "RASA_URL", "WEB_PUBLIC_URL", "RASA_CORS_ORIGINS"):
        env.pop(derived, None)
    log = workdir / "supervisord.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(REPO / "scripts/run-all")],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Supervised(workdir, env, process, log)
    try:
        for name in ("actions", "rasa", "web"):
            wait_until_up(running.health(name), process, timeout=240, log=log)
    except Exception:
        stop_process_group(process, timeout=60)
        raise
    return running


@pytest.fixture(scope="module")
def supervised(tmp_path_factory) -> Iterator[Supervised]:
    running = start_supervised(Path(tmp_path_factory.mktemp("supervised")))
    try:
        yield running
    finally:
        stop_process_group(running.process, timeout=60)


# a message refused before Rasa saw it (too fast for the per-conversation limit, the process full)
REFUSALS = {channel_words(situation, "vi") for situation in ("slow_down", "overloaded")}


@dataclass
class Citizens:
    """A few residents talking in a loop, each in its own conversation, recording every turn."""

    rasa_url: str
    sent: dict[str, list[str]] = field(default_factory=dict)  # texts that got a real reply
    failures: list[str] = field(default_factory=list)
    slow: list[float] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def talk(self, sender: str) -> None:
        questions = ["làm giấy khai sinh cho con cần gì", "lệ phí bao nhiêu", "xin chào", "mất bao lâu"]
        turn = 0
        while not self.stop.is_set():
            text = questions[turn % len(questions)]
            started = time.monotonic()
            try:
                reply = httpx.post(
                    f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=10
                ).json()
                texts = [m.get("text") for m in reply]
                if any(texts) and not REFUSALS.intersection(texts) and "bận" not in str(reply):
                    self.sent.setdefault(sender, []).append(text)
            except httpx.HTTPError as error:  # Rasa itself down: refused connections are expected then
                self.failures.append(type(error).__name__)
            self.slow.append(time.monotonic() - started)
            turn += 1
            time.sleep(0.3)


def _back_after_kill(supervised: Supervised, name: str) -> float:
    pid = supervised.pid(name)
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    while supervised.up(name) and psutil.pid_exists(pid) and time.monotonic() - killed < 5:
        time.sleep(0.1)
    while time.monotonic() - killed < BACK_WITHIN_SECONDS + 30:
        if supervised.up(name) and supervised.pid(name) != pid:
            return time.monotonic() - killed
        time.sleep(0.5)
    raise AssertionError(f"{name} not back after {BACK_WITHIN_SECONDS + 30} s")


def test_each_process_killed_under_load_comes_back_and_no_turn_is_lost(supervised):
    citizens = Citizens(supervised.url("rasa"))
    threads = [threading.Thread(target=citizens.talk, args=(f"sv-{i}",), daemon=True) for i in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)
        back = {}
        for name, others in (("actions", ("rasa", "web")), ("web", ("rasa", "actions")), ("rasa", ("web", "actions"))):
            back[name] = _back_after_kill(supervised, name)
            assert all(supervised.up(other) for other in others), name
            time.sleep(2)
    finally:
        citizens.stop.set()
        for thread in threads:
            thread.join(timeout=20)
    print("back after SIGKILL (s):", {k: round(v, 1) for k, v in back.items()})
    assert all(seconds <= BACK_WITHIN_SECONDS for seconds in back.values()), back
    assert max(citizens.slow) < 10
    for sender, texts in citizens.sent.items():  # every answered turn is in the stored conversation
        tracker = httpx.get(
            f"{supervised.url('rasa')}/conversations/{sender}/tracker", params={"token": TOKEN}, timeout=30
        ).json()
        stored = [e["text"] for e in tracker["events"] if e["event"] == "user"]
        assert len(stored) >= len(texts), sender
        assert all(text in stored for text in set(texts))


def test_sigterm_stops_rasa_within_seconds(supervised):
    pid = supervised.pid("rasa")
    started = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() - started < 8, "Rasa ignored SIGTERM"
        time.sleep(0.1)
    deadline = time.monotonic() + 60
    while not supervised.up("rasa"):  # and the supervisor brings it back
        assert time.monotonic() < deadline
        time.sleep(0.5)
