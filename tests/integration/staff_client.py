"""A staff member on the console's JSON API (`/staff/api/...`): the session cookie and the CSRF
header, as the console's script sends them (bench/bench_handoff.py and the browser tests use it)."""

from __future__ import annotations

import re
from typing import Any

import httpx


class StaffClient:
    def __init__(self, web_url: str) -> None:
        self.http = httpx.Client(base_url=web_url, timeout=30)
        self.csrf = ""

    def login(self, name: str, password: str) -> dict[str, Any]:
        """Sign in as the page does: its CSRF token first (data-csrf), then the API."""
        page = self.http.get("/staff")
        page.raise_for_status()
        found = re.search(r'data-csrf="([^"]+)"', page.text)
        assert found, "no CSRF token in /staff"
        self.csrf = found.group(1)
        answer = self.post("/staff/api/login", {"name": name, "password": password})
        self.csrf = answer["csrf_token"]
        return answer

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.post(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})
        response.raise_for_status()
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def queue(self) -> list[dict[str, Any]]:
        return self.get("/staff/api/queue")

    def chat_of(self, sender: str, chats: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
        """The queue row of this conversation (the queue shows a shortened conversation id)."""
        return next((c for c in (self.queue() if chats is None else chats) if shows(c["sender"], sender)), None)


def shows(shown: str, sender: str) -> bool:
    return shown == sender or (shown.endswith("…") and sender.startswith(shown[:-1]))

    def close(self) -> None:
        self.http.close()
