"""Staff → citizen: what the console records (handoff/store.py) goes to the citizen through Rasa,
`POST /conversations/{id}/tracker/events?output_channel=<channel>&execute_side_effects=true`.
Rasa appends the events to the tracker (so the conversation's record holds the staff's words too)
and sends each BotUttered through the channel the citizen uses: our socket.io channel emits it to
the browser session's room at once; the REST channel has no push, so REST clients get staff
messages on their next message and from the history endpoint.

Why through Rasa rather than a socket of our own: one path for every channel (Zalo next), the
tracker stays the whole conversation, and with several Rasa replicas the balancer sends the call
to the replica that holds the conversation (the same hashing on the conversation id as the chat;
python-socketio's Redis manager reaches a socket held by another replica).

A message is written down first and delivered after: if Rasa is down, it stays undelivered and
the next round (every DELIVERY_INTERVAL) sends it, so a restart of Rasa or of the web app loses
nothing. Each event is claimed in the database before it is sent, so two web app replicas never
send it twice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import httpx

from handoff.messages import rasa_events
from handoff.store import Chat, HandoffStore

logger = logging.getLogger(__name__)
DELIVERY_INTERVAL = 0.5  # seconds between rounds of retrying what could not be delivered
TIMEOUT = 10.0
MAX_TYPED = 1000  # staff messages whose typed words are kept while they wait for delivery


class Delivery:
    def __init__(self, store: HandoffStore, rasa_url: str, token: str, client: Optional[httpx.AsyncClient] = None):
        self.store, self.rasa_url, self.token = store, rasa_url.rstrip("/"), token
        self.client = client or httpx.AsyncClient(timeout=TIMEOUT)
        self._lock = asyncio.Lock()
        # event id -> the staff's words as typed, until sent: the store keeps them masked, and masking
        # would hide a number they give. Whichever round sends the message sends these words.
        self.typed: Dict[int, str] = {}

    def remember(self, event_id: int, text: str) -> None:
        self.typed[event_id] = text
        while len(self.typed) > MAX_TYPED:  # never delivered (Rasa down for long): the masked copy will do
            self.typed.pop(next(iter(self.typed)))

    async def flush(self) -> int:
        """Send everything undelivered, oldest first; returns how many were sent."""
        async with self._lock:
            sent = 0
            pending = await asyncio.to_thread(self.store.undelivered)
            for event in pending:
                if not await asyncio.to_thread(self.store.claim_delivery, event.id):
                    continue
                chat = await asyncio.to_thread(self.store.chat, event.chat_id)
                if await self._post(chat, rasa_events(chat, event, self.typed.get(event.id))):
                    self.typed.pop(event.id, None)
                    sent += 1
                else:
                    await asyncio.to_thread(self.store.release_delivery, event.id)
                    break  # keep the order: later events wait for this one
            return sent

    async def run(self) -> None:
        """The web app's background task: retry what is undelivered until cancelled."""
        while True:
            try:
                await self.flush()
            except Exception as error:  # the database is restarting: try again next round
                logger.warning("handoff delivery round failed: %s", type(error).__name__)
            await asyncio.sleep(DELIVERY_INTERVAL)

    async def _post(self, chat: Chat, events: List[Dict[str, Any]]) -> bool:
        if not events:
            return True
        url = f"{self.rasa_url}/conversations/{quote(chat.sender, safe='')}/tracker/events"
        params = {"output_channel": chat.channel, "execute_side_effects": "true", "token": self.token}
        try:
            response = await self.client.post(url, params=params, json=events)
        except httpx.HTTPError as error:
            logger.info("Rasa not reachable for a handoff delivery: %s", type(error).__name__)
            return False
        if response.status_code != 200:
            logger.warning("Rasa refused a handoff delivery: HTTP %s", response.status_code)
            return False
        return True
