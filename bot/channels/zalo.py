"""The Zalo Official Account channel (`POST /webhooks/zalo/webhook`): the same assistant on Zalo.

An event is checked (signature, age: bot/channels/zalo_protocol.py), acknowledged at once (Zalo
wants a 200 within 2 s, or it retries for hours and then disables the webhook), and handled in the
background: a retried event (same msg_id) is handled once. Replies go to Zalo's OA API, one message
per answer: a procedure answer carries the link to our printable page, choices become numbered
lines that "1", "2"... pick. Staff replies of a live handoff come back through Rasa's events API to
`get_output_channel()`, which needs no request.

A Zalo user id is personal data: the conversation (tracker) id is a keyed hash of it, and the id
itself is kept only sealed (bot/sealing.py), for sending replies; no log line carries it or the
text. The channel is off while ZALO_APP_ID is unset.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import Column, DateTime, MetaData, String, Table, create_engine, delete, event, insert, select, update
from sqlalchemy import Text as SqlText
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from bot import rasa_speedups, sqlite
from bot.channels import zalo_protocol as zalo
from bot.channels.guard import MAX_BODY_BYTES, channel_words, citizen_text, refusal_for, slow_down_for
from bot.channels.handoff import handoff_turn, record_turn
from bot.sealing import Sealer
from bot.settings import ZaloSettings, channel_keys
from handoff.conversation import Turn
from handoff.settings import handoff_settings
from knowledge.language import detect_language

rasa_speedups.install()
logger = logging.getLogger(__name__)

PICK = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")  # "2", "2.", "2)": a pick among numbered choices
SEEN_KEPT = timedelta(days=2)  # Zalo retries for hours: an event id is remembered this long
REQUEST_TIMEOUT = 10.0
# Turns handled at once; more events wait their turn, so the webhook's 200 never waits behind a burst
# of turns for the event loop (measured in bench/bench_zalo.py).
CONCURRENT_TURNS = 4

metadata = MetaData()
seen_events = Table(
    "zalo_seen_event",
    metadata,
    Column("event", String(64), primary_key=True),  # SHA-256 of the event's msg_id
    Column("at", DateTime(timezone=True), nullable=False),
)
recipients = Table(
    "zalo_recipient",
    metadata,
    Column("sender", String(64), primary_key=True),  # the conversation id: a keyed hash of the user id
    Column("sealed_user_id", SqlText, nullable=False),
    Column("choices", SqlText),  # JSON list: the payloads the last numbered choices stand for
    Column("seen_at", DateTime(timezone=True), nullable=False),
)
tokens = Table(
    "zalo_token",
    metadata,
    Column("app_id", String(64), primary_key=True),
    Column("sealed_access", SqlText, nullable=False),
    Column("sealed_refresh", SqlText, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


def sender_id(user_id: str) -> str:
    """The conversation id of a Zalo user: a keyed hash (PRIVACY_KEY), never the id itself."""
    key = channel_keys().privacy_key.encode()
    return "zalo-" + hmac.new(key, b"zalo:" + user_id.encode(), hashlib.sha256).hexdigest()[:32]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ZaloState:
    """What the channel keeps between events, in the handoff's database: events seen, the sealed
    recipient of each conversation with its open numbered choices, and the current tokens."""

    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self.engine, self.sealer = engine, sealer

    @classmethod
    def from_url(cls, url: str) -> ZaloState:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":  # as handoff/store.py: a connection per use
            engine = create_engine(url, poolclass=NullPool, future=True)
            event.listen(engine, "connect", sqlite.pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True, future=True)
        metadata.create_all(engine)
        return cls(engine, Sealer(handoff_settings().key))

    def first_time(self, event_key: str) -> bool:
        """Record an event; False if it was seen already (Zalo retried it)."""
        digest, now = hashlib.sha256(event_key.encode()).hexdigest(), utcnow()
        try:
            with self.engine.begin() as db:
                db.execute(insert(seen_events).values(event=digest, at=now))
        except IntegrityError:
            return False
        with self.engine.begin() as db:
            db.execute(delete(seen_events).where(seen_events.c.at < now - SEEN_KEPT))
        return True

    def remember(self, sender: str, user_id: str) -> None:
        sealed, now = self.sealer.seal(user_id), utcnow()
        with self.engine.begin() as db:
            changed = db.execute(
                update(recipients).where(recipients.c.sender == sender).values(sealed_user_id=sealed, seen_at=now)
            ).rowcount
            if not changed:
                db.execute(insert(recipients).values(sender=sender, sealed_user_id=sealed, seen_at=now))

    def recipient(self, sender: str) -> Optional[str]:
        with self.engine.connect() as db:
            sealed = db.execute(select(recipients.c.sealed_user_id).where(recipients.c.sender == sender)).scalar()
        return self.sealer.open(sealed) if sealed else None

    def set_choices(self, sender: str, payloads: List[str]) -> None:
        with self.engine.begin() as db:
            db.execute(update(recipients).where(recipients.c.sender == sender).values(choices=json.dumps(payloads)))

    def picked(self, sender: str, text: str) -> Optional[str]:
        """The payload a typed "2" stands for, when numbered choices are open."""
        match = PICK.match(text)
        if not match:
            return None
        with self.engine.connect() as db:
            stored = db.execute(select(recipients.c.choices).where(recipients.c.sender == sender)).scalar()
        options = json.loads(stored) if stored else []
        number = int(match.group(1))
        return options[number - 1] if 1 <= number <= len(options) else None

    def tokens(self, app_id: str) -> Optional[tuple[str, str]]:
        with self.engine.connect() as db:
            row = db.execute(select(tokens).where(tokens.c.app_id == app_id)).first()
        if row is None:
            return None
        access, refresh = self.sealer.open(row.sealed_access), self.sealer.open(row.sealed_refresh)
        return (access, refresh) if access and refresh else None

    def save_tokens(self, app_id: str, access: str, refresh: str) -> None:
        values = dict(sealed_access=self.sealer.seal(access), sealed_refresh=self.sealer.seal(refresh), at=utcnow())
        with self.engine.begin() as db:
            if not db.execute(update(tokens).where(tokens.c.app_id == app_id).values(**values)).rowcount:
                db.execute(insert(tokens).values(app_id=app_id, **values))


class ZaloClient:
    """The OA API: send one message, refreshing the access token once when Zalo says it expired."""

    def __init__(self, settings: ZaloSettings, state: ZaloState) -> None:
        self.settings, self.state = settings, state
        self._tokens: Optional[tuple[str, str]] = None
        self._refreshing = asyncio.Lock()

    async def send(self, body: Dict[str, Any]) -> bool:
        access, _ = await self._current()
        answer = await self._post_message(access, body)
        if zalo.error_code(answer) in zalo.TOKEN_EXPIRED and await self._refresh(access):
            answer = await self._post_message((await self._current())[0], body)
        code = zalo.error_code(answer)
        if code != 0:
            logger.warning("zalo.reply_failed: error %s", code)
        return code == 0

    async def _current(self) -> tuple[str, str]:
        if self._tokens is None:  # the newest tokens: a refresh's, kept sealed, or the first ones
            stored = await asyncio.to_thread(self.state.tokens, self.settings.app_id)
            self._tokens = stored or (self.settings.access_token, self.settings.refresh_token)
        return self._tokens

    async def _refresh(self, expired: str) -> bool:
        async with self._refreshing:
            access, refresh = await self._current()
            if access != expired:  # another reply refreshed it meanwhile
                return True
            fresh = await _post(
                self.settings.oauth_url + zalo.TOKEN_PATH,
                data=zalo.token_form(refresh, self.settings.app_id),
                headers={"secret_key": self.settings.app_secret},
            )
            if not isinstance(fresh, dict) or not fresh.get("access_token") or not fresh.get("refresh_token"):
                logger.warning("zalo.token_refresh_refused: error %s", zalo.error_code(fresh))
                return False
            self._tokens = (str(fresh["access_token"]), str(fresh["refresh_token"]))
            await asyncio.to_thread(self.state.save_tokens, self.settings.app_id, *self._tokens)
            return True

    async def _post_message(self, access: str, body: Dict[str, Any]) -> Any:
        return await _post(self.settings.api_url + zalo.MESSAGE_PATH, json=body, headers={"access_token": access})


async def _post(url: str, **request: Any) -> Any:
    """Zalo's JSON answer, or None when Zalo cannot be reached (logged by error type only)."""
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http, http.post(url, **request) as answer:
            return await answer.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        logger.warning("zalo.api_unreachable: %s", type(error).__name__)
        return None


def pick_hint(count: int, lang: str) -> str:
    """ "Gõ 1, 2 hoặc 3 để chọn." """
    if count == 1:
        return channel_words("zalo_pick_one", lang)
    numbers = ", ".join(str(n) for n in range(1, count)) + f" {channel_words('zalo_or', lang)} {count}"
    return channel_words("zalo_pick", lang, numbers=numbers)


def zalo_text(message: Dict[str, Any], public_url: str) -> str:
    """One bot message as one Zalo text: choices numbered, a procedure with our printable page."""
    text = message.get("text") or ""
    lang = detect_language(text) or "vi"
    buttons = message.get("buttons") or message.get("quick_replies") or []
    custom: Dict[str, Any] = message["custom"] if isinstance(message.get("custom"), dict) else {}
    if buttons:
        titles = [str(b.get("title", "")) for b in buttons]
        if titles == [str(n) for n in range(1, len(titles) + 1)]:  # a rating: the numbers say it all
            return zalo.clip(f"{text.rstrip()}\n\n{pick_hint(len(titles), lang)}")
        return zalo.clip(zalo.numbered(text, titles, pick_hint(len(titles), lang)))
    if custom.get("type") == "procedure" and custom.get("code"):
        page = f"{public_url}/thu-tuc/{custom['code']}"
        tail = "\n\n" + channel_words("zalo_details", lang, url=page) + "\n" + channel_words("zalo_vote", lang)
        return zalo.clip_keeping_tail(text, tail)
    return zalo.clip(text)


class ZaloOutput(OutputChannel):
    def __init__(self, client: ZaloClient, state: ZaloState, settings: ZaloSettings) -> None:
        self.client, self.state, self.settings = client, state, settings

    @classmethod
    def name(cls) -> Text:
        return "zalo"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        if not message.get("text"):
            return  # a payload alone (the widget's): Zalo shows text only
        user_id = await asyncio.to_thread(self.state.recipient, recipient_id)
        if user_id is None:
            logger.warning("zalo.no_recipient for a conversation")
            return
        buttons = message.get("buttons") or message.get("quick_replies") or []
        if buttons:
            payloads = [str(b.get("payload", b.get("title", ""))) for b in buttons]
            await asyncio.to_thread(self.state.set_choices, recipient_id, payloads)
        await self.client.send(zalo.text_message(user_id, zalo_text(message, self.settings.public_url)))

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class ZaloInput(InputChannel):
    def __init__(self, settings: Optional[ZaloSettings] = None) -> None:
        self.settings = settings or ZaloSettings.from_env()
        self._state: Optional[ZaloState] = None
        self._client: Optional[ZaloClient] = None
        self._turns: Optional[asyncio.Semaphore] = None  # made in the server's event loop

    @classmethod
    def name(cls) -> Text:
        return "zalo"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()  # everything comes from the environment (ZALO_*), read by bot.settings

    def state(self) -> ZaloState:
        if self._state is None:
            self._state = ZaloState.from_url(handoff_settings().database_url)
        return self._state

    def client(self) -> ZaloClient:
        if self._client is None:
            self._client = ZaloClient(self.settings, self.state())
        return self._client

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For Rasa's events API (a staff reply in a live handoff): works outside any request."""
        return ZaloOutput(self.client(), self.state(), self.settings) if self.settings.enabled else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("zalo_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.settings.enabled else "off"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.settings.enabled:
                return response.json({"error": "The Zalo channel is off."}, status=404)
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return response.json({"error": "Request body too large."}, status=413)
            try:
                stamp = zalo.raw_timestamp(body)
                signed = zalo.verify(
                    request.headers.get(zalo.SIGNATURE_HEADER),
                    self.settings.app_id,
                    body,
                    stamp,
                    self.settings.oa_secret_key,
                )
                parsed = zalo.parse_event(body) if signed else None
            except zalo.BadEvent as error:
                return response.json({"error": str(error)}, status=400)
            if parsed is None or not zalo.fresh(parsed, int(time.time() * 1000)):
                return response.json({"error": "Signature or timestamp refused."}, status=401)
            agent = getattr(request.app.ctx, "agent", None)
            request.app.add_task(self._handle(parsed, on_new_message, agent))
            return response.json({"received": True})

        return webhook

    async def _handle(
        self, event: zalo.ZaloEvent, on_new_message: Callable[[UserMessage], Awaitable[Any]], agent: Any
    ) -> None:
        """One event, after the 200: never raises (a failure is logged by type and the citizen told)."""
        if self._turns is None:
            self._turns = asyncio.Semaphore(CONCURRENT_TURNS)
        async with self._turns:
            await self._handle_one(event, on_new_message, agent)

    async def _handle_one(
        self, event: zalo.ZaloEvent, on_new_message: Callable[[UserMessage], Awaitable[Any]], agent: Any
    ) -> None:
        sender = sender_id(event.user_id)
        output = ZaloOutput(self.client(), self.state(), self.settings)
        try:
            key = event.msg_id or f"{event.name}:{event.user_id}:{event.timestamp_ms}"
            if not await asyncio.to_thread(self.state().first_time, key):
                return  # Zalo retried an event already handled
            await asyncio.to_thread(self.state().remember, sender, event.user_id)
            if event.name == zalo.FOLLOW_EVENT:
                await output.send_text_message(sender, channel_words("zalo_welcome", "vi"))
            elif event.name in zalo.UNREADABLE_EVENTS:
                await output.send_text_message(sender, channel_words("zalo_text_only", await _language(agent, sender)))
            elif event.name == zalo.TEXT_EVENT:
                await self._text(event.text, sender, output, on_new_message, agent)
        except Exception as error:  # noqa: BLE001 - a background task: nobody else would see it
            logger.error("zalo.event_failed: %s", type(error).__name__)
            await output.send_text_message(sender, channel_words("busy", "vi"))

    async def _text(
        self,
        typed: str,
        sender: str,
        output: ZaloOutput,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any,
    ) -> None:
        vote = zalo.vote_of(typed)
        if vote is not None:  # 👍 / 👎 after an answer: a feedback vote, recorded with the turn
            lang = await _language(agent, sender)
            thanks = Turn.of(channel_words("zalo_thanks", lang), {"type": f"feedback_{vote}"})
            await record_turn(agent, sender, typed, self.name(), thanks)
            await output.send_response(sender, thanks.replies[0])
            return
        picked: Optional[str] = await asyncio.to_thread(self.state().picked, sender, typed)
        text = citizen_text(picked or typed)
        # Zalo signs its events: no client address to count
        refusal = refusal_for(text) or slow_down_for(text, sender, None)
        if refusal:
            await output.send_text_message(sender, refusal)
            return
        turn = await handoff_turn(agent, sender, text, self.name())
        if turn is not None:
            for reply in turn.replies:
                await output.send_response(sender, reply)
            return
        await on_new_message(UserMessage(text, output, sender, input_channel=self.name(), metadata={}))


async def _language(agent: Any, sender: str) -> str:
    """The conversation's language (Rasa's `language` slot), for a reply to an image or a sticker."""
    try:
        tracker = await agent.tracker_store.retrieve(sender)
    except Exception:  # noqa: BLE001 - no tracker yet, or the store is down: Vietnamese
        return "vi"
    value = tracker.get_slot("language") if tracker is not None else None
    return value if value in ("vi", "en") else "vi"
