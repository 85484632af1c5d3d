"""The live handoff on the socket.io channel the widget uses, over the real servers: a staff
message reaches the open socket at once (pushed by Rasa through our output channel), and a
citizen who reconnects gets what staff said while they were away; a tracker reset on Rasa's side
(the `restart` event) does not un-pause the chat."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from handoff.delivery import Delivery
from handoff.store import HandoffStore
from tests.integration.socket_citizen import SocketCitizen
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration
WARD = "Phường Kinh Bắc"


def deliver(stack: Stack, store: HandoffStore) -> int:
    async def flush() -> int:
        return await Delivery(store, stack.rasa_url, stack.env["RASA_TOKEN"]).flush()

    return asyncio.run(flush())


def test_staff_messages_reach_the_widget_live_and_after_a_reconnect(stack: Stack) -> None:
    store = stack.handoff_store()
    store.set_presence("lan", WARD, "online")
    citizen = SocketCitizen(stack.rasa_url).connect()
    try:
        citizen.say("gặp cán bộ", wait_for="handoff_offer")
        citizen.say("/affirm", wait_for="handoff_ask_ward")
        citizen.say("phường Kinh Bắc", wait_for="handoff_queued")
        chat = store.live_chat(citizen.session_id)
        assert chat is not None and chat.channel == "socketio"
        store.claim(chat.id, "lan", "Chị Lan")
        before = len(citizen.received)
        store.staff_message(chat.id, "lan", "Chào bạn")
        sent = time.monotonic()
        assert deliver(stack, store) == 2
        arrived, message = citizen.wait_for("agent_message", after=before, seconds=5)
        assert arrived - sent < 2.0 and message["custom"]["name"] == "Chị Lan" and message["text"] == "Chào bạn"

        # Rasa's tracker is reset from outside: our record still says the chat is with a person.
        httpx.post(
            f"{stack.rasa_url}/conversations/{citizen.session_id}/tracker/events",
            params={"token": stack.env["RASA_TOKEN"]},
            json=[{"event": "restart"}],
            timeout=10,
        ).raise_for_status()
        after_reset = len(citizen.received)
        citizen.say("làm giấy khai sinh cần gì")  # a question the bot would answer
        assert citizen.kinds(after_reset) == []  # the bot stays silent
        assert [e.text for e in store.transcript(chat.id) if e.actor == "citizen"][-1] == "làm giấy khai sinh cần gì"

        citizen.disconnect()
        store.staff_message(chat.id, "lan", "Bạn mang theo căn cước nhé")
        assert deliver(stack, store) == 1  # delivered to an empty room: nobody is connected
        replayed_from = len(citizen.received)
        citizen.connect()  # a reload: the same session, with its token
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            texts = [m.get("text") for _, m in citizen.received[replayed_from:]]
            if "Bạn mang theo căn cước nhé" in texts:
                break
            time.sleep(0.05)
        assert "Bạn mang theo căn cước nhé" in texts and "Chào bạn" in texts  # the widget skips ids it has
        ids = [m["custom"]["id"] for _, m in citizen.received[replayed_from:] if m.get("custom", {}).get("id")]
        assert len(ids) == len(set(ids))
    finally:
        citizen.disconnect()
