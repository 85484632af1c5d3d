"""The socket.io channel (`/socket.io`) the web widget talks to: Rasa's own `socketio` channel
with the fixes it needs on the installed python-socketio 5.x, and our guards.

Rasa 3.6's channel (1) calls `sio.enter_room` without `await` (a coroutine since
python-socketio 5.8), so a persistent session never joins its room and no reply reaches the
browser; (2) emits a `custom` payload as `emit(event, **payload)`, which raises TypeError
for any payload without a `data` key (all of ours). Here a custom payload goes out as
`{"custom": {...}}` after the text, like the REST channel lists it.

A browser session is bound to the connection that opened it: `session_confirm` gives the
widget a session token (an HMAC of the session id), and a later `session_request` rejoins
that session only with its token. Messages go to the session bound to the socket, never to
an id the client names, so knowing someone's session id is not enough to read or write it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from bot import rasa_speedups
from bot.channels.guard import (
    MAX_BODY_BYTES,
    BadRequest,
    citizen_text,
    client_metadata,
    refusal_for,
    reply_in_time,
    request_client_key,
    slow_down_for,
)
from bot.channels.handoff import handoff_turn, staff_history
from bot.settings import channel_keys, redis_url

rasa_speedups.install()  # every Rasa server we run loads our channels (credentials.yml)
logger = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def session_token(session_id: str) -> str:
    """What proves a browser opened this session (SESSION_SECRET, read once by bot.settings)."""
    secret = channel_keys().session_secret
    return hmac.new(secret.encode(), b"session:" + session_id.encode(), hashlib.sha256).hexdigest()


def resumed_session(data: Any) -> Optional[str]:
    """The session id a `session_request` may rejoin: only with its own token."""
    if not isinstance(data, dict):
        return None
    session_id, token = data.get("session_id"), data.get("session_token")
    if not isinstance(session_id, str) or not SESSION_ID.match(session_id) or not isinstance(token, str):
        return None
    return session_id if hmac.compare_digest(session_token(session_id), token) else None


class CitizenSocketIOOutput(SocketIOOutput):
    def __init__(self, sio: AsyncServer, bot_message_evt: Text) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent: list[Dict[str, Any]] = []  # what this turn has said, for the reply-in-time guard

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        self.sent.append(response)
        # A socket held by this replica (every turn's reply) gets it directly; only one held
        # elsewhere goes through Redis, so a Redis restart loses no reply to a turn.
        local = bool(self.sio.manager.rooms.get("/", {}).get(socket_id))
        await self.sio.emit(self.bot_message_evt, response, room=socket_id, ignore_queue=local)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        """A text and its payload go out as one event, so the widget never sees the text
        (e.g. "type the last 6 digits") before it knows what the bot asked for."""
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
        # cors_allowed_origins=[]: engine.io leaves CORS to Sanic (`rasa run --cors`). With Redis (the
        # production profile), a message emitted by any replica, or by the live handoff's delivery,
        # reaches a widget connected to any other.
        queue = redis_url()
        manager = AsyncRedisManager(queue, channel="assistant-socketio") if queue else None
        sio = AsyncServer(
            async_mode="sanic", cors_allowed_origins=[], max_http_buffer_size=MAX_BODY_BYTES, client_manager=manager
        )
        webhook: Blueprint = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        def agent_of(sid: Text) -> Any:
            """The Rasa agent, reached through the Sanic request that opened the socket."""
            environ = sio.get_environ(sid, namespace=self.namespace) or {}
            context = getattr(getattr(environ.get("sanic.request"), "app", None), "ctx", None)
            return getattr(context, "agent", None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any) -> None:
            session_id = resumed_session(data) or uuid.uuid4().hex
            environ = sio.get_environ(sid, namespace=self.namespace) or {}
            client = request_client_key(environ.get("sanic.request"))
            await sio.save_session(sid, {"session_id": session_id, "client_key": client}, namespace=self.namespace)
            await sio.enter_room(sid, session_id, namespace=self.namespace)
            confirm = {"session_id": session_id, "session_token": session_token(session_id)}
            await sio.emit("session_confirm", confirm, room=sid, namespace=self.namespace)
            await replay_staff_messages(session_id)

        async def replay_staff_messages(session_id: str) -> None:
            """A widget back from a reload or a lost connection gets what staff said meanwhile
            (it shows each `id` once)."""
            try:
                history = await asyncio.to_thread(staff_history, session_id)
            except Exception as error:
                logger.warning("staff messages not replayed: %s", type(error).__name__)
                return
            output = CitizenSocketIOOutput(sio, self.bot_message_evt)
            for reply in history:
                await output.send_response(session_id, reply)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            bound = await sio.get_session(sid, namespace=self.namespace)
            session_id = bound.get("session_id")
            if not session_id or not isinstance(data, dict) or not isinstance(data.get("message"), str):
                return  # the widget always asks for a session first
            output = CitizenSocketIOOutput(sio, self.bot_message_evt)
            text = citizen_text(data["message"])
            try:
                metadata = client_metadata(data.get("metadata"))
            except BadRequest:
                metadata = {}
            refusal = refusal_for(text) or slow_down_for(text, session_id, bound.get("client_key"))
            if refusal:
                await output.send_text_message(session_id, refusal)
                return
            turn = await handoff_turn(agent_of(sid), session_id, text, self.name())
            if turn is not None:  # with a person, or answering the handoff's question: not the bot's turn
                for reply in turn.replies:
                    await output.send_response(session_id, reply)
                return
            message = UserMessage(
                text,
                output,
                session_id,
                input_channel=self.name(),
                metadata={**metadata, "client_key": bound.get("client_key")},
            )
            replies = await reply_in_time(lambda: on_new_message(message), lambda: list(output.sent), text, session_id)
            for fallback in replies[len(output.sent) :]:  # Rasa said nothing in time: a polite word
                await output.send_text_message(session_id, fallback["text"])

        return webhook
