"""The socket.io channel (`/socket.io`) the web widget talks to: Rasa's own `socketio` channel
with the fixes it needs on the installed python-socketio 5.x, and our guards.

Rasa 3.6's channel (1) calls `sio.enter_room` without `await` (a coroutine since
python-socketio 5.8), so a persistent session never joins its room and no reply reaches the
browser; (2) emits a `custom` payload as `emit(event, **payload)`, which raises TypeError
for any payload without a `data` key (all of ours). Here a custom payload goes out as
`{"custom": {...}}` after the text, like the REST channel lists it.
"""
from __future__ import annotations

import logging
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels.guard import refusal_for, reply_in_time

logger = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
METADATA = {"assisted": bool, "ui_language": str}  # all the widget may send; nothing personal


def clean_metadata(raw: Any) -> Dict[str, Any]:
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if k in METADATA and isinstance(v, METADATA[k])}


class CitizenSocketIOOutput(SocketIOOutput):
    def __init__(self, sio: AsyncServer, bot_message_evt: Text) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent: list[Dict[str, Any]] = []  # what this turn has said, for the reply-in-time guard

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        self.sent.append(response)
        await super()._send_message(socket_id, response)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        """A text and its payload go out as one event, so the widget never sees the text
        (e.g. "type the last 4 digits") before it knows what the bot asked for."""
        others = ("buttons", "quick_replies", "image", "attachment", "elements")
        if message.get("text") and message.get("custom") and not any(message.get(k) for k in others):
            await self._send_message(recipient_id, {"text": message["text"], "custom": message["custom"]})
            return
        await super().send_response(recipient_id, message)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class CitizenSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def get_output_channel(self) -> Optional[CitizenSocketIOOutput]:
        return CitizenSocketIOOutput(self.sio, self.bot_message_evt) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # cors_allowed_origins=[]: engine.io leaves CORS to Sanic (`rasa run --cors`).
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
                session_id = uuid.uuid4().hex
            await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                return
            session_id = data.get("session_id")
            if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
                return  # the widget always asks for a session first
            output = CitizenSocketIOOutput(sio, self.bot_message_evt)
            text = data["message"]
            refusal = refusal_for(text)
            if refusal:
                await output.send_text_message(session_id, refusal)
                return
            message = UserMessage(text, output, session_id, input_channel=self.name(),
                                  metadata=clean_metadata(data.get("metadata")))
            replies = await reply_in_time(
                lambda: on_new_message(message), lambda: list(output.sent), text, session_id
            )
            for fallback in replies[len(output.sent):]:  # Rasa said nothing in time: a polite word
                await output.send_text_message(session_id, fallback["text"])

        return webhook
