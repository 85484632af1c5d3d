"""A staff member on the console's JSON API (`/staff/api/...`): the session cookie and the CSRF
header, as the console's script sends them (bench/bench_handoff.py and the browser tests use it)."""

from __future__ import annotations

from typing import Any

import httpx


class StaffClient:
    def __init__(self, web_url: str) -> None:
        self.http = httpx.Client(base_url=web_url, timeout=30)
        self.csrf = ""

    def login(self, name: str, password: str) -> dict[str, Any]:
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

    def chat_of(self, sender: str) -> dict[str, Any] | None:
        return next((c for c in self.queue() if c["sender"] == sender), None)

    def close(self) -> None:
        self.http.close()
