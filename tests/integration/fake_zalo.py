"""A stand-in for Zalo's servers, in the test process: the OA message API (records each
`message/cs` call, refuses an access token that is no longer valid with Zalo's error -216), the
OAuth token endpoint (single-use refresh tokens, as Zalo's), and events signed as Zalo signs them."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.channels import zalo_protocol as zalo


@dataclass
class FakeZalo:
    port: int
    app_id: str
    oa_secret_key: str
    app_secret: str
    access: str = "access-1"
    refresh: str = "refresh-1"
    sent: list[dict[str, Any]] = field(default_factory=list)  # {"to", "text", "token", "at"}
    refreshes: int = 0
    _server: uvicorn.Server | None = None
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))  # kept open, as Zalo's would be

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def for_stack(cls, stack: Any) -> FakeZalo:
        """The stand-in the stack's Zalo channel talks to (tests.integration.stack.zalo_env)."""
        from tests.integration.stack import ZALO_APP

        app = ZALO_APP
        return cls(
            int(stack.env["ZALO_FAKE_PORT"]), app["ZALO_APP_ID"], app["ZALO_OA_SECRET_KEY"], app["ZALO_APP_SECRET"]
        )

    def start(self) -> FakeZalo:
        app = Starlette(
            routes=[
                Route(zalo.MESSAGE_PATH, self._message, methods=["POST"]),
                Route(zalo.TOKEN_PATH, self._token, methods=["POST"]),
            ]
        )
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        threading.Thread(target=self._server.run, daemon=True).start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True

    def expire(self) -> None:
        """The access token in use stops working (Zalo's tokens last about 25 hours)."""
        self.access = f"access-{self.refreshes + 2}-pending"

    async def _message(self, request: Request) -> JSONResponse:
        body = await request.json()
        token = request.headers.get("access_token", "")
        if token != self.access:
            return JSONResponse({"error": -216, "message": "Access token is invalid"})
        self.sent.append(
            {
                "to": body["recipient"]["user_id"],
                "text": body["message"]["text"],
                "token": token,
                "at": time.monotonic(),
            }
        )
        return JSONResponse({"error": 0, "message": "Success", "data": {"message_id": f"m{len(self.sent)}"}})

    async def _token(self, request: Request) -> JSONResponse:
        form = await request.form()
        if request.headers.get("secret_key") != self.app_secret or form.get("refresh_token") != self.refresh:
            return JSONResponse({"error": -14014, "message": "Invalid refresh token"})
        self.refreshes += 1
        self.access, self.refresh = f"access-{self.refreshes + 1}", f"refresh-{self.refreshes + 1}"
        return JSONResponse({"access_token": self.access, "refresh_token": self.refresh, "expires_in": "90000"})

    # ------------------------------------------------------------------ events, as Zalo sends them

    def event(
        self, name: str, user_id: str, text: str = "", msg_id: str = "", timestamp_ms: int | None = None
    ) -> bytes:
        stamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
        event: dict[str, Any] = {
            "event_name": name,
            "app_id": self.app_id,
            "sender": {"id": user_id},
            "recipient": {"id": "579745863508352884"},
            "timestamp": stamp,
            "user_id_by_app": "552177279717587730",
        }
        if name.startswith("user_send"):
            event["message"] = {"text": text, "msg_id": msg_id or f"msg-{time.time_ns()}"}
        return json.dumps(event, ensure_ascii=False).encode("utf-8")

    def post(self, rasa_url: str, body: bytes, signature: str | None = None) -> httpx.Response:
        """POST an event to our webhook, signed as Zalo signs it unless `signature` is given."""
        try:
            stamp = json.loads(body)["timestamp"]
        except ValueError:
            stamp = "0"  # not JSON: what a broken or hostile client sends
        header = (
            signature if signature is not None else zalo.signed_header(self.app_id, body, stamp, self.oa_secret_key)
        )
        return self.http.post(
            f"{rasa_url}/webhooks/zalo/webhook",
            content=body,
            headers={"Content-Type": "application/json", zalo.SIGNATURE_HEADER: header},
        )

    def replies_to(self, user_id: str) -> list[str]:
        return [m["text"] for m in self.sent if m["to"] == user_id]

    def wait_for(self, user_id: str, count: int, seconds: float = 40) -> list[str]:
        deadline = time.monotonic() + seconds
        while len(self.replies_to(user_id)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        replies = self.replies_to(user_id)
        assert len(replies) >= count, f"{len(replies)} of {count} replies to the Zalo user: {replies}"
        return replies
