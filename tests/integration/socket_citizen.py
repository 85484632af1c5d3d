"""A citizen on the socket.io channel, as the widget talks to it: one session, its token, and
every `bot_uttered` with the time it arrived (tests and bench/bench_handoff.py use it)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import socketio


@dataclass
class SocketCitizen:
    url: str
    session: dict[str, str] = field(default_factory=dict)  # session_id and session_token
    received: list[tuple[float, dict[str, Any]]] = field(default_factory=list)  # (monotonic time, message)
    client: socketio.Client | None = None

    def connect(self) -> SocketCitizen:
        """Open a socket and start a session, or rejoin the one held (as a reload does)."""
        client = socketio.Client(reconnection=False)
        confirmed: list[dict[str, str]] = []
        client.on("session_confirm", confirmed.append)
        client.on("bot_uttered", lambda message: self.received.append((time.monotonic(), message)))
        client.connect(self.url, transports=["polling"], socketio_path="/socket.io", wait_timeout=20)
        client.emit("session_request", dict(self.session) or {"session_id": None})
        deadline = time.monotonic() + 20
        while not confirmed and time.monotonic() < deadline:
            time.sleep(0.02)
        assert confirmed, "no session_confirm"
        self.session, self.client = confirmed[0], client
        return self

    @property
    def session_id(self) -> str:
        return self.session["session_id"]

    def say(self, text: str, wait_for: str | None = None, seconds: float = 30) -> list[dict[str, Any]]:
        """Send `text`; with `wait_for`, wait until a reply of that payload type arrives."""
        before = len(self.received)
        assert self.client is not None
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})
        if wait_for:
            self.wait_for(wait_for, after=before, seconds=seconds)
        else:
            time.sleep(1.0)
        return [m for _, m in self.received[before:]]

    def wait_for(self, kind: str, after: int = 0, seconds: float = 30) -> tuple[float, dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for at, message in self.received[after:]:
                if (message.get("custom") or {}).get("type") == kind:
                    return at, message
            time.sleep(0.005)
        raise AssertionError(f"no {kind!r} within {seconds} s: {[m for _, m in self.received[after:]]}")

    def kinds(self, after: int = 0) -> list[str]:
        return [(m.get("custom") or {}).get("type", "") for _, m in self.received[after:]]

    def disconnect(self) -> None:
        if self.client is not None:
            self.client.disconnect()
            self.client = None
