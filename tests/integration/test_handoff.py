"""The live handoff over the real Rasa server and action server (REST channel): the offer,
consent, the ward, the queue, the bot silent while a person answers, staff messages delivered
through Rasa's API into the tracker, the end, the rating; a callback when nobody is online; a
Rasa restart in the middle of a chat. The staff side is driven through the same store and
delivery the web app uses (the console itself: tests/web/test_staff.py, tests/web/test_handoff_browser.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import pytest

from handoff.delivery import Delivery
from handoff.hours import TIMEZONE
from handoff.phone import PhoneBox
from handoff.store import HandoffStore
from tests.integration.stack import ALWAYS_OPEN, Stack, closed_for_holidays, payload, payloads, text_of

pytestmark = pytest.mark.integration
WARD = "Phường Kinh Bắc"
ID_NUMBER = "001203004567"
PHONE = "0987 654 321"


@pytest.fixture
def store(stack: Stack) -> HandoffStore:
    return stack.handoff_store()


def deliver(stack: Stack, store: HandoffStore) -> int:
    async def flush() -> int:
        return await Delivery(store, stack.rasa_url, stack.env["RASA_TOKEN"]).flush()

    return asyncio.run(flush())


def kinds(messages: list[dict]) -> list[str]:
    return [p.get("type") for p in payloads(messages)]


def events_of(stack: Stack, sender: str) -> list[dict]:
    return stack.tracker(sender)["events"]


def test_a_person_answers_while_the_bot_is_silent_and_the_tracker_keeps_it_all(
    stack: Stack, store: HandoffStore
) -> None:
    sender = f"handoff-{uuid.uuid4().hex[:8]}"
    store.set_presence("lan", WARD, "online")
    offer = stack.say(sender, "cho tôi nói chuyện với cán bộ")
    assert kinds(offer) == ["handoff_offer"], offer
    assert "số giấy tờ đã được che" in text_of(offer)
    assert payload(stack.say(sender, "/affirm"), "handoff_ask_ward")
    queued = payload(stack.say(sender, "tôi ở phường Kinh Bắc"), "handoff_queued")
    assert queued["position"] >= 1 and queued["wait_minutes"] >= 1

    waiting = stack.say(sender, f"tôi muốn hỏi về sổ đỏ, căn cước {ID_NUMBER}")
    assert kinds(waiting) == ["handoff_queued"]  # not a procedure answer: the bot is silent
    chat = store.live_chat(sender)
    assert chat is not None and chat.centre == WARD

    store.claim(chat.id, "lan", "Chị Lan")
    store.staff_message(chat.id, "lan", "Chào bạn, bạn cần hỏi gì về sổ đỏ?")
    assert deliver(stack, store) == 2  # joined + the message, through Rasa's API
    bot_said = [e for e in events_of(stack, sender) if e["event"] == "bot"]
    assert any((e.get("data") or {}).get("custom", {}).get("type") == "agent_message" for e in bot_said)

    reply = stack.say(sender, "cấp đổi sổ đỏ cần giấy tờ gì")  # a question the bot would answer
    assert kinds(reply) == ["agent_joined", "agent_message"]  # what staff said since: REST has no push
    assert "procedure" not in kinds(reply)
    assert stack.say(sender, "cảm ơn chị") == []  # nothing new from staff, and the bot says nothing

    store.end(chat.id, "lan", "answered")
    assert deliver(stack, store) == 1
    events = events_of(stack, sender)
    assert [e["event"] for e in events].count("pause") == 1 and events[-1]["event"] in ("bot", "action")
    assert any(e["event"] == "resume" for e in events)
    rated = stack.say(sender, "5 cảm ơn nhiều")
    assert kinds(rated) == ["handoff_ended", "rating_request", "handoff_rated"]
    assert store.chat(chat.id).rating == 5

    after = stack.say(sender, "làm giấy khai sinh cho con cần những giấy tờ gì")
    assert "procedure" in kinds(after)  # the bot is back

    user_texts = [e.get("text") or "" for e in events_of(stack, sender) if e["event"] == "user"]
    assert any("sổ đỏ" in t for t in user_texts)  # the citizen's live messages are in the tracker too
    assert ID_NUMBER.encode() not in stack.stored_bytes()


@pytest.fixture
def holidays(stack: Stack) -> Iterator[date]:
    """Today and tomorrow (in Bắc Ninh) are public holidays; yields the day the centres reopen."""
    today = datetime.now(TIMEZONE).date()
    stack.set_hours(closed_for_holidays([str(today), str(today + timedelta(days=1))]))
    try:
        yield today + timedelta(days=2)
    finally:
        stack.set_hours(ALWAYS_OPEN)


def test_nobody_online_offers_a_callback_without_an_opening_time(stack: Stack, store: HandoffStore) -> None:
    sender = f"unstaffed-{uuid.uuid4().hex[:8]}"
    store.set_presence("anyone", "Xã Tiên Du", "offline")
    stack.say(sender, "gặp cán bộ")
    stack.say(sender, "/affirm")
    unavailable = payload(stack.say(sender, "xã Tiên Du"), "handoff_unavailable")
    assert unavailable["callback"] is True and unavailable["next_open"] is None
    assert payload(stack.say(sender, "không"), "handoff_declined")
    assert "procedure" in kinds(stack.say(sender, "đăng ký khai sinh cần gì"))


def test_outside_hours_a_callback_is_stored_and_the_phone_is_sealed(
    stack: Stack, store: HandoffStore, holidays: date
) -> None:
    sender = f"callback-{uuid.uuid4().hex[:8]}"
    store.set_presence("lan", WARD, "online")  # someone online, but the centre is closed
    assert kinds(stack.say(sender, "gặp cán bộ")) == ["handoff_offer"]
    assert kinds(stack.say(sender, "/affirm")) == ["handoff_ask_ward"]
    said = stack.say(sender, "phường Kinh Bắc")
    unavailable = payload(said, "handoff_unavailable")
    assert unavailable["callback"] is True
    assert unavailable["next_open"] == datetime.combine(holidays, time(0, 0), TIMEZONE).isoformat()
    assert holidays.strftime("%d/%m/%Y") in text_of(said)  # the reopening day, in the citizen's words
    assert kinds(stack.say(sender, "có")) == ["handoff_callback_question"]
    assert kinds(stack.say(sender, "Tôi muốn hỏi thủ tục tách thửa đất")) == ["handoff_callback_consent"]
    saved = payload(stack.say(sender, f"có, số tôi là {PHONE}"), "handoff_callback_saved")
    assert saved["phone"] is True
    [callback] = [c for c in store.callbacks(None) if c.sender == sender]
    assert "tách thửa" in callback.question
    assert PhoneBox(stack.env.get("HANDOFF_KEY", "")).open(store.callback_cipher(callback.id)) == PHONE.replace(" ", "")
    stored = stack.stored_bytes()
    for shape in (PHONE, PHONE.replace(" ", ""), "987654321"):
        assert shape.encode() not in stored, f"{shape!r} in a store or log"
    assert "procedure" in kinds(stack.say(sender, "đăng ký khai sinh cần gì"))  # the bot again


def test_a_rasa_restart_in_the_middle_of_a_chat_loses_nothing(stack: Stack, store: HandoffStore) -> None:
    sender = f"restart-{uuid.uuid4().hex[:8]}"
    store.set_presence("lan", WARD, "online")
    stack.say(sender, "talk to a person")
    stack.say(sender, "/affirm")
    payload(stack.say(sender, "Phường Kinh Bắc"), "handoff_queued")
    chat = store.live_chat(sender)
    store.claim(chat.id, "lan", "Lan")
    assert deliver(stack, store) == 1

    stack.stop("rasa")
    store.staff_message(chat.id, "lan", "Tôi vẫn ở đây")
    assert deliver(stack, store) == 0  # Rasa is down: kept for the next round
    stack.start("rasa")
    assert deliver(stack, store) == 1
    reply = stack.say(sender, "are you there?")
    assert "Tôi vẫn ở đây" in text_of(reply) and "procedure" not in kinds(reply)
    assert store.live_chat(sender) is not None
    citizen = [e.text for e in store.transcript(chat.id) if e.actor == "citizen" and e.kind == "message"]
    assert citizen == ["are you there?"]
