"""The Zalo OA channel through the real Rasa and action servers, over real sockets, with a
stand-in for Zalo's API (tests/integration/fake_zalo.py): signed events, one reply per answer,
numbered choices, follow-ups, the dossier lookup, token refresh, forged and replayed events, a
slow action server, a live handoff with a staff reply delivered to Zalo, no raw Zalo id stored."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest

from handoff.delivery import Delivery
from tests.integration.fake_zalo import FakeZalo
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration
QUESTION = "làm giấy khai sinh cho con cần gì"
BIRTH = "1.001193"


@pytest.fixture(scope="module")
def fake_zalo(stack: Stack) -> Iterator[FakeZalo]:
    fake = FakeZalo.for_stack(stack).start()
    try:
        yield fake
    finally:
        fake.stop()


def new_user() -> str:
    return str(7_000_000_000_000_000_000 + uuid.uuid4().int % 10**18)  # a 19-digit id, as Zalo's


def send(fake: FakeZalo, stack: Stack, user: str, text: str, **extra: str) -> float:
    """One signed text event; returns how long the webhook took to acknowledge it."""
    start = time.monotonic()
    answer = fake.post(stack.rasa_url, fake.event("user_send_text", user, text, **extra))
    assert answer.status_code == 200, answer.text
    return time.monotonic() - start


def test_a_question_gets_exactly_one_reply_with_the_procedure(stack: Stack, fake_zalo: FakeZalo) -> None:
    user = new_user()
    acknowledged = send(fake_zalo, stack, user, QUESTION)
    assert acknowledged < 2.0
    [reply] = fake_zalo.wait_for(user, 1)
    time.sleep(1.5)
    assert fake_zalo.replies_to(user) == [reply]  # one answer, one message
    assert BIRTH in reply and f"/thu-tuc/{BIRTH}" in reply

    send(fake_zalo, stack, user, "lệ phí bao nhiêu")  # a follow-up keeps the procedure
    follow_up = fake_zalo.wait_for(user, 2)[1]
    assert BIRTH in follow_up and ("lệ phí" in follow_up.lower() or "miễn" in follow_up.lower())


def test_a_thumbs_up_after_an_answer_is_a_feedback_vote(stack: Stack, fake_zalo: FakeZalo) -> None:
    from analytics import store as analytics

    user = new_user()
    send(fake_zalo, stack, user, QUESTION)
    assert "Gõ 👍 hoặc 👎" in fake_zalo.wait_for(user, 1)[0]
    send(fake_zalo, stack, user, "👎")
    assert "Cảm ơn bạn đã góp ý" in fake_zalo.wait_for(user, 2)[1]
    engine = analytics.make_engine(stack.env["DATABASE_URL"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as db:
            votes = db.execute(analytics.turns.select().where(analytics.turns.c.status == "feedback_down")).all()
        if votes:
            break
        time.sleep(0.2)
    assert votes and votes[-1].channel == "zalo"


def test_choices_are_numbered_and_a_number_picks_one(stack: Stack, fake_zalo: FakeZalo) -> None:
    user = new_user()
    send(fake_zalo, stack, user, QUESTION)
    fake_zalo.wait_for(user, 1)
    send(fake_zalo, stack, user, "không phải")
    choices = fake_zalo.wait_for(user, 2)[1]
    assert "\n1. " in choices and "\n2. " in choices and "Gõ 1, 2" in choices
    second = choices.split("\n2. ", 1)[1].split("\n", 1)[0]
    send(fake_zalo, stack, user, "2")
    picked = fake_zalo.wait_for(user, 3)[2]
    assert second[:40] in picked and "/thu-tuc/" in picked


def test_dossier_lookup_never_echoes_the_identity_digits(
    stack: Stack, fake_zalo: FakeZalo, dossier_records: list[dict]
) -> None:
    from tests.conftest import identity_digits

    user, record = new_user(), dossier_records[4]
    send(fake_zalo, stack, user, f"tra cứu hồ sơ {record['code']}")
    assert "6 số cuối" in fake_zalo.wait_for(user, 1)[0]
    digits = identity_digits(5)
    send(fake_zalo, stack, user, digits)
    status = fake_zalo.wait_for(user, 2)[1]
    assert record["code"] in status
    assert all(digits not in text for text in fake_zalo.replies_to(user))


def test_an_expired_token_is_refreshed_once_and_the_reply_still_arrives(stack: Stack, fake_zalo: FakeZalo) -> None:
    user, refreshes = new_user(), fake_zalo.refreshes
    fake_zalo.expire()
    send(fake_zalo, stack, user, "xin chào")
    fake_zalo.wait_for(user, 1)
    assert fake_zalo.refreshes == refreshes + 1
    send(fake_zalo, stack, user, QUESTION)
    fake_zalo.wait_for(user, 2)
    assert fake_zalo.refreshes == refreshes + 1  # the new token is kept and used


def test_a_forged_or_stale_event_is_refused_and_nothing_is_sent(stack: Stack, fake_zalo: FakeZalo) -> None:
    user = new_user()
    body = fake_zalo.event("user_send_text", user, QUESTION)
    assert fake_zalo.post(stack.rasa_url, body, signature="mac=" + "0" * 64).status_code == 401
    assert fake_zalo.post(stack.rasa_url, body, signature="").status_code == 401
    stale = fake_zalo.event("user_send_text", user, QUESTION, timestamp_ms=int(time.time() * 1000) - 3_600_000)
    assert fake_zalo.post(stack.rasa_url, stale).status_code == 401
    assert fake_zalo.post(stack.rasa_url, b"{not json").status_code == 400
    time.sleep(3)
    assert fake_zalo.replies_to(user) == []


def test_a_retried_event_is_answered_once(stack: Stack, fake_zalo: FakeZalo) -> None:
    user = new_user()
    body = fake_zalo.event("user_send_text", user, QUESTION, msg_id="retry-" + uuid.uuid4().hex)
    for _ in range(3):  # Zalo retries when it did not see our 200 in time
        assert fake_zalo.post(stack.rasa_url, body).status_code == 200
    fake_zalo.wait_for(user, 1)
    time.sleep(2)
    assert len(fake_zalo.replies_to(user)) == 1


def test_a_hung_action_server_is_still_acknowledged_within_2_seconds(stack: Stack, fake_zalo: FakeZalo) -> None:
    user = new_user()
    stack.pause("actions")
    try:
        assert send(fake_zalo, stack, user, QUESTION) < 2.0
    finally:
        stack.resume("actions")
    assert fake_zalo.wait_for(user, 1, seconds=60)  # answered (or excused) once the action server is back


def test_follow_images_and_stickers(stack: Stack, fake_zalo: FakeZalo) -> None:
    user = new_user()
    assert fake_zalo.post(stack.rasa_url, fake_zalo.event("follow", user)).status_code == 200
    welcome = fake_zalo.wait_for(user, 1)[0]
    assert welcome.count("• ") == 3
    assert fake_zalo.post(stack.rasa_url, fake_zalo.event("user_send_sticker", user)).status_code == 200
    assert "chỉ đọc được tin nhắn chữ" in fake_zalo.wait_for(user, 2)[1]


def test_a_live_handoff_delivers_the_staff_reply_to_zalo(stack: Stack, fake_zalo: FakeZalo) -> None:
    store = stack.handoff_store()
    store.set_presence("lan", "Phường Kinh Bắc", "online")
    user = new_user()
    send(fake_zalo, stack, user, "cho tôi gặp cán bộ")
    offer = fake_zalo.wait_for(user, 1)[0]
    assert "1. Đồng ý" in offer and "2. Không" in offer
    send(fake_zalo, stack, user, "1")
    assert "xã/phường nào" in fake_zalo.wait_for(user, 2)[1]
    send(fake_zalo, stack, user, "phường Kinh Bắc")
    assert "vị trí số" in fake_zalo.wait_for(user, 3)[2]
    [chat] = [c for c in store.waiting("Phường Kinh Bắc") if c.channel == "zalo"]
    store.claim(chat.id, "lan", "Chị Lan")
    store.staff_message(chat.id, "lan", "Chào bạn, mình là cán bộ phường Kinh Bắc")

    async def flush() -> int:
        return await Delivery(store, stack.rasa_url, stack.env["RASA_TOKEN"]).flush()

    assert asyncio.run(flush()) == 2
    replies = fake_zalo.wait_for(user, 5)
    assert "Chị Lan" in replies[3] and replies[4] == "Chào bạn, mình là cán bộ phường Kinh Bắc"
    store.end(chat.id, "lan", "answered")
    asyncio.run(flush())
    rating = fake_zalo.wait_for(user, 7)[6]
    assert "Gõ 1, 2, 3, 4 hoặc 5" in rating and "1. 1" not in rating
    send(fake_zalo, stack, user, "5")
    assert "Cảm ơn" in fake_zalo.wait_for(user, 8)[7]
    assert store.chat(chat.id).rating == 5


def test_no_raw_zalo_id_in_any_store_or_log(stack: Stack, fake_zalo: FakeZalo) -> None:
    user = new_user()
    secret_question = "thủ tục cấp đổi giấy phép lái xe hạng A1 " + uuid.uuid4().hex[:6]
    send(fake_zalo, stack, user, secret_question)
    fake_zalo.wait_for(user, 1)
    stored = stack.stored_bytes()
    assert user.encode() not in stored
    logs = b"".join(p.read_bytes() for p in stack.workdir.glob("*.log"))
    assert secret_question.encode() not in logs
