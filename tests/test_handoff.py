"""The handoff's state machine (handoff/conversation.py) over a real SQLite store: consent, the
ward, queue or callback, the live chat, cancel, staff events as Rasa events, the rating."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from handoff.conversation import PROVINCE, Centres, Handoff
from handoff.hours import load_hours
from handoff.messages import as_reply, rasa_events
from handoff.phone import PhoneBox, find_phone
from handoff.settings import HandoffSettings
from handoff.store import HandoffStore, StateError
from knowledge.locality import Localities
from tests.conftest import TEST_HANDOFF_KEY

SENDER = "citizen-1"
WARD = "Phường Kinh Bắc"
# A Tuesday 10:00 in Hanoi (03:00 UTC) and the same day at 20:00 (13:00 UTC).
MORNING = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
EVENING = datetime(2026, 12, 8, 13, 0, tzinfo=UTC)


clock = [MORNING]  # the store's time: set by a test that needs the evening


@pytest.fixture
def desk(tmp_path: Path) -> Handoff:
    settings = HandoffSettings.from_env({"HANDOFF_DATABASE_URL": f"sqlite:///{tmp_path / 'h.sqlite'}"})
    store = HandoffStore.from_url(settings.database_url)
    store.clock = lambda: clock[0]
    clock[:] = [MORNING]
    return Handoff(store, Centres(Localities.load()), load_hours, settings, PhoneBox(TEST_HANDOFF_KEY))


def texts(turn) -> str:
    return "\n".join(r["text"] for r in turn.replies)


def kinds(turn) -> list[str]:
    return [r.get("custom", {}).get("type") for r in turn.replies]


def staffed(desk: Handoff, centre: str = WARD) -> None:
    desk.store.set_presence("lan", centre, "online")


def test_offer_names_the_wards_centre_and_asks_consent(desk: Handoff) -> None:
    turn = desk.offer(SENDER, "rest", "vi", WARD, "đăng ký khai sinh")
    assert kinds(turn) == ["handoff_offer"]
    assert "Trung tâm Phục vụ hành chính công phường Kinh Bắc" in texts(turn)
    assert "số giấy tờ đã được che" in texts(turn)
    assert [b["payload"] for b in turn.replies[0]["buttons"]] == ["/affirm", "/deny"]


def test_no_goes_back_to_the_bot_and_shares_nothing(desk: Handoff) -> None:
    desk.offer(SENDER, "rest", "vi", WARD)
    turn = desk.handle(SENDER, "không", MORNING)
    assert kinds(turn) == ["handoff_declined"]
    assert desk.store.waiting(None) == []
    assert desk.handle(SENDER, "làm hộ chiếu ở đâu", MORNING) is None  # the bot answers from now


def test_a_new_question_instead_of_an_answer_goes_to_the_bot(desk: Handoff) -> None:
    desk.offer(SENDER, "rest", "vi", WARD)
    assert desk.handle(SENDER, "làm hộ chiếu cần giấy tờ gì", MORNING) is None
    assert desk.store.latest(SENDER).status == "declined"


def test_consent_with_a_known_ward_queues_at_its_centre(desk: Handoff) -> None:
    staffed(desk)
    desk.offer(SENDER, "socketio", "vi", WARD)
    turn = desk.handle(SENDER, "/affirm", MORNING)
    assert kinds(turn) == ["handoff_queued"] and turn.pause
    queued = turn.replies[0]["custom"]
    assert queued["position"] == 1 and queued["wait_minutes"] >= 1
    [chat] = desk.store.waiting(WARD)
    assert chat.sender == SENDER and chat.channel == "socketio"


def test_an_unknown_ward_is_asked_once_with_former_names_accepted(desk: Handoff) -> None:
    staffed(desk, "Xã An Lạc")
    desk.offer(SENDER, "rest", "vi", None)
    assert kinds(desk.handle(SENDER, "đồng ý", MORNING)) == ["handoff_ask_ward"]
    turn = desk.handle(SENDER, "tôi ở xã Lệ Viễn cũ", MORNING)  # merged into Xã An Lạc in 2025
    assert kinds(turn) == ["handoff_queued"]
    assert desk.store.waiting("Xã An Lạc")


def test_a_ward_not_found_twice_goes_to_the_province(desk: Handoff) -> None:
    staffed(desk, PROVINCE)
    desk.offer(SENDER, "rest", "vi", None)
    desk.handle(SENDER, "có", MORNING)
    assert kinds(desk.handle(SENDER, "ở gần chợ", MORNING)) == ["handoff_ask_ward"]
    assert kinds(desk.handle(SENDER, "không nhớ", MORNING)) == ["handoff_queued"]
    assert desk.store.waiting(PROVINCE)


def test_queue_position_and_wait_grow_with_the_queue(desk: Handoff) -> None:
    staffed(desk)
    for n in range(3):
        clock[0] = MORNING + timedelta(seconds=n)
        desk.offer(f"c{n}", "rest", "vi", WARD)
        turn = desk.handle(f"c{n}", "có", MORNING)
    assert turn.replies[0]["custom"]["position"] == 3
    first = desk.store.waiting(WARD)[0]
    assert desk.store.place(first).position == 1
    assert desk.store.place(desk.store.waiting(WARD)[2]).wait_minutes > desk.store.place(first).wait_minutes


def test_while_queued_messages_are_kept_and_the_bot_is_silent(desk: Handoff) -> None:
    staffed(desk)
    desk.offer(SENDER, "rest", "vi", WARD)
    desk.handle(SENDER, "có", MORNING)
    turn = desk.handle(SENDER, "số căn cước của tôi là 001203004567", MORNING)
    assert kinds(turn) == ["handoff_queued"]
    chat = desk.store.live_chat(SENDER)
    [message] = [e for e in desk.store.transcript(chat.id) if e.kind == "message"]
    assert "001203004567" not in message.text and "căn cước" in message.text  # masked


def test_thoi_cancels_the_wait_and_the_bot_is_back(desk: Handoff) -> None:
    staffed(desk)
    desk.offer(SENDER, "rest", "vi", WARD)
    desk.handle(SENDER, "có", MORNING)
    assert kinds(desk.handle(SENDER, "tôi thôi việc thì sao", MORNING)) == ["handoff_queued"]  # a question
    turn = desk.handle(SENDER, "thôi không cần nữa", MORNING)
    assert kinds(turn) == ["handoff_cancelled"] and turn.resume
    assert desk.store.live_chat(SENDER) is None
    assert desk.handle(SENDER, "làm hộ chiếu ở đâu", MORNING) is None


def test_after_hours_a_callback_with_a_phone_is_sealed(desk: Handoff) -> None:
    clock[0] = EVENING
    desk.offer(SENDER, "rest", "vi", WARD)
    turn = desk.handle(SENDER, "có", EVENING)
    assert kinds(turn) == ["handoff_unavailable"]
    unavailable = turn.replies[0]["custom"]
    assert unavailable["callback"] is True and unavailable["next_open"].startswith("2026-12-09T07:30")
    assert "7:30" in texts(turn)
    assert kinds(desk.handle(SENDER, "có", EVENING)) == ["handoff_callback_question"]
    assert kinds(desk.handle(SENDER, "Tôi muốn hỏi về sổ đỏ", EVENING)) == ["handoff_callback_consent"]
    assert desk.handle(SENDER, "có", EVENING).replies[0]["custom"] == {"type": "ask", "slot": "phone"}
    saved = desk.handle(SENDER, "0912 345 678", EVENING)
    assert kinds(saved) == ["handoff_callback_saved"] and "…78" in texts(saved)
    [callback] = desk.store.callbacks(WARD)
    assert callback.question == "Tôi muốn hỏi về sổ đỏ" and callback.has_phone
    sealed = desk.store.callback_cipher(callback.id)
    assert "0912345678" not in sealed and desk.phones.open(sealed) == "0912345678"


def test_a_callback_without_a_phone_is_answered_in_the_chat(desk: Handoff) -> None:
    clock[0] = EVENING
    desk.offer(SENDER, "rest", "vi", WARD)
    desk.handle(SENDER, "có", EVENING)
    desk.handle(SENDER, "có", EVENING)
    desk.handle(SENDER, "hỏi về hộ khẩu", EVENING)
    saved = desk.handle(SENDER, "không", EVENING)
    assert saved.replies[0]["custom"]["phone"] is False
    assert desk.store.callbacks(WARD)[0].has_phone is False


def test_open_hours_without_staff_online_offers_a_callback(desk: Handoff) -> None:
    desk.offer(SENDER, "rest", "en", WARD)
    turn = desk.handle(SENDER, "yes", MORNING)
    assert kinds(turn) == ["handoff_unavailable"] and "No staff member" in texts(turn)


def test_presence_goes_stale_without_a_heartbeat(desk: Handoff) -> None:
    staffed(desk)
    assert desk.store.online_staff(WARD) == ["lan"]
    assert desk.store.online_staff(WARD, now=MORNING + timedelta(minutes=5)) == []


def test_staff_side_claim_message_end_and_rating(desk: Handoff) -> None:
    staffed(desk)
    desk.offer(SENDER, "socketio", "vi", WARD)
    desk.handle(SENDER, "có", MORNING)
    chat = desk.store.live_chat(SENDER)
    desk.store.claim(chat.id, "lan", "Chị Lan")
    with pytest.raises(StateError):
        desk.store.claim(chat.id, "minh", "Anh Minh")
    with pytest.raises(StateError):
        desk.store.staff_message(chat.id, "minh", "xin chào")
    said = desk.store.staff_message(chat.id, "lan", "Chào bạn, mình xem giúp nhé")
    assert desk.handle(SENDER, "cảm ơn chị", MORNING).replies == []  # assigned: the bot says nothing
    pending = desk.store.undelivered()
    assert [e.kind for e in pending] == ["assigned", "message"]
    [event] = rasa_events(desk.store.chat(chat.id), said)
    reply = as_reply(event)
    assert reply["custom"] == {
        "type": "agent_message",
        "name": "Chị Lan",
        "centre": "Trung tâm Phục vụ hành chính công phường Kinh Bắc",
        "text": "Chào bạn, mình xem giúp nhé",
        "id": f"h{said.id}",
    }
    ended = desk.store.end(chat.id, "lan", "answered")
    end_events = rasa_events(ended, desk.store.transcript(chat.id)[-1])
    assert [e["event"] for e in end_events] == ["resume", "bot", "bot"]
    assert [b["payload"] for b in end_events[2]["data"]["buttons"]] == ["1", "2", "3", "4", "5"]
    rated = desk.handle(SENDER, "4 cán bộ nhiệt tình", MORNING + timedelta(minutes=1))
    assert kinds(rated) == ["handoff_rated"]
    assert desk.store.chat(chat.id).rating == 4
    assert desk.handle(SENDER, "5", MORNING) is None  # rated once; now the bot's again


def test_claimed_delivery_is_not_sent_twice(desk: Handoff) -> None:
    staffed(desk)
    desk.offer(SENDER, "rest", "vi", WARD)
    desk.handle(SENDER, "có", MORNING)
    chat = desk.store.live_chat(SENDER)
    desk.store.claim(chat.id, "lan", "Lan")
    [joined] = desk.store.undelivered()
    assert desk.store.claim_delivery(joined.id) and not desk.store.claim_delivery(joined.id)
    desk.store.release_delivery(joined.id)
    assert [e.id for e in desk.store.undelivered()] == [joined.id]


def test_transfer_keeps_the_chat_open_at_the_other_centre(desk: Handoff) -> None:
    staffed(desk)
    desk.offer(SENDER, "rest", "vi", WARD)
    desk.handle(SENDER, "có", MORNING)
    chat = desk.store.live_chat(SENDER)
    desk.store.claim(chat.id, "lan", "Lan")
    moved = desk.store.transfer(chat.id, "lan", PROVINCE, desk.centres.province.name)
    assert moved.status == "queued" and moved.centre == PROVINCE and desk.store.waiting(WARD) == []


def test_purge_deletes_expired_callbacks_and_old_transcripts(desk: Handoff) -> None:
    desk.store.add_callback(WARD, "x", "vi", "q", None, None, SENDER, retention_days=30)
    desk.offer(SENDER, "rest", "vi", WARD)
    desk.handle(SENDER, "không", MORNING)
    desk.store.purge(retention_days=90, now=MORNING + timedelta(days=31))
    assert desk.store.callbacks(None) == [] and desk.store.latest(SENDER) is not None
    desk.store.purge(retention_days=90, now=MORNING + timedelta(days=91))
    assert desk.store.latest(SENDER) is None


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("0912 345 678", "0912345678"),
        ("số tôi +84 912.345.678 nhé", "0912345678"),
        ("0222-382-212", None),  # 10 digits beginning 02: too short for a landline
        ("02223822123", "02223822123"),
        ("123456", None),
        ("001203004567", None),  # a citizen ID number is no phone number
    ],
)
def test_phone_numbers_are_found_in_what_is_typed(typed: str, found: str | None) -> None:
    assert find_phone(typed) == found
