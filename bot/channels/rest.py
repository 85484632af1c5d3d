"""The REST channel (`POST /webhooks/rest/webhook`) with our guards around Rasa's own."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import rasa_speedups
from bot.channels.guard import (
    BadRequest,
    citizen_text,
    parse_body,
    refusal_for,
    reply_in_time,
    request_client_key,
    slow_down_for,
)
from bot.channels.handoff import handoff_turn, staff_history, unseen_staff_messages

rasa_speedups.install()  # every Rasa server we run loads our channels (credentials.yml)


class CitizenRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("citizen_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/handoff", methods=["GET"])
        async def handoff_history(request: Request) -> HTTPResponse:
            """What staff said in the conversation's current or just-ended handoff (REST has no push)."""
            sender = request.args.get("sender", "")
            if not sender or len(sender) > 128:
                return response.json({"error": '"sender" is required.'}, status=400)
            return response.json(
                [{"recipient_id": sender, **r} for r in await asyncio.to_thread(staff_history, sender)]
            )

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                incoming = parse_body(request.body or b"")
            except BadRequest as error:
                return response.json({"error": str(error)}, status=error.status)
            text = citizen_text(incoming.text)
            refusal = refusal_for(text)
            if refusal:
                return response.json([{"recipient_id": incoming.sender, "text": refusal}])
            client = request_client_key(request)
            refusal = slow_down_for(text, incoming.sender, client)
            if refusal:
                return response.json([{"recipient_id": incoming.sender, "text": refusal}])

            # what staff said since this client's previous message: REST has no push
            try:
                unseen = await asyncio.to_thread(unseen_staff_messages, incoming.sender)
            except Exception:
                unseen = []
            unseen = [{"recipient_id": incoming.sender, **r} for r in unseen]
            turn = await handoff_turn(request.app.ctx.agent, incoming.sender, text, self.name())
            if turn is not None:
                return response.json(unseen + [{"recipient_id": incoming.sender, **r} for r in turn.replies])

            collector = CollectingOutputChannel()
            message = UserMessage(
                text,
                collector,
                incoming.sender,
                input_channel=self.name(),
                metadata={**incoming.metadata, "client_key": client},
            )
            replies = await reply_in_time(
                lambda: on_new_message(message),
                lambda: list(collector.messages),
                text,
                incoming.sender,
            )
            return response.json(unseen + replies)

        return webhook
