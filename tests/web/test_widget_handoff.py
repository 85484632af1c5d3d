"""The widget's side of the live handoff to ward staff, in a real browser against the socket.io
stand-in for Rasa (tests/web/fake_rasa.py, `handoff_reply`): staff messages look like a person's,
a replayed message is shown once, the handoff status survives a reload, the rating control and the
"talk to a person" entries send what the server expects."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.web.conftest import FakeRasa, PageProbe, WebApp, new_page, wait_for
from tests.web.fake_rasa import HANDOFF_CENTRE, STAFF_HELLO
from tests.web.test_widget import answers, ask, open_widget, press_until_focused, sent_by, stored

LABEL = f"Nguyễn Lan · {HANDOFF_CENTRE}"


def staff(page: Page):
    return page.locator(".tltt-staff")


def sent(fake: FakeRasa, page: Page) -> list[str]:
    return [m["message"] for m in sent_by(fake, stored(page)["session_id"])]


def background(page: Page, selector: str) -> str:
    return page.locator(selector).first.evaluate("n => getComputedStyle(n).backgroundColor")


def test_staff_message_is_labelled_and_styled_apart(web: WebApp, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    ask(page, "nộp ở đâu")
    expect(answers(page)).to_have_count(1)
    ask(page, "agent please")
    joined = page.locator(".tltt-system")
    expect(joined).to_have_text(re.compile(r"Nguyễn Lan, cán bộ .* đã tham gia"))
    expect(joined.locator(".tltt-vote")).to_have_count(0)
    message = staff(page)
    expect(message).to_have_count(1)
    expect(message.locator(".tltt-bubble")).to_contain_text(STAFF_HELLO)
    label = message.locator(".tltt-from")
    expect(label).to_contain_text(LABEL)
    expect(label.locator(".tltt-sr")).to_have_text(re.compile("cán bộ"))  # what a screen reader hears first
    expect(message.locator(".tltt-bubble .tltt-sr")).to_have_count(0)  # not announced as the assistant
    expect(message.locator(".tltt-feedback, .tltt-vote")).to_have_count(0)
    bot_bubble = ".tltt-bot:not(.tltt-staff):not(.tltt-intro) .tltt-bubble"
    assert background(page, ".tltt-staff .tltt-bubble") != background(page, bot_bubble)
    expect(answers(page).first.locator(".tltt-vote")).to_have_count(2)  # the bot's answer keeps its votes

    page.get_by_role("button", name="Switch to English").click()
    expect(staff(page).locator(".tltt-from")).to_contain_text(f"Nguyễn Lan (staff) · {HANDOFF_CENTRE}")
    expect(staff(page).locator(".tltt-from .tltt-sr")).to_have_text(re.compile("staff member"))
    assert probe.errors == [] and probe.csp_violations == []


def test_replayed_staff_message_is_shown_once(web: WebApp, fake_rasa: FakeRasa, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    ask(page, "agent please")
    expect(staff(page)).to_have_count(1)
    ask(page, "agent again")  # h2 again (as the server replays it), then a card h3 from the staff member
    card = staff(page).locator(".tltt-card")
    expect(card.locator(".tltt-card-meta")).to_contain_text("1.004884")
    expect(staff(page)).to_have_count(2)
    expect(staff(page).filter(has_text=STAFF_HELLO)).to_have_count(1)
    expect(staff(page).last.locator(".tltt-from")).to_contain_text(LABEL)
    expect(staff(page).last.locator(".tltt-vote")).to_have_count(0)

    # The end of the chat replayed: neither its line nor the rating request (text, buttons, then
    # the payload with the id) comes back.
    ask(page, "end chat")
    expect(page.locator(".tltt-rate")).to_have_count(1)
    ask(page, "end chat")
    assert wait_for(lambda: sent(fake_rasa, page).count("end chat") == 2)
    page.wait_for_timeout(800)
    expect(page.locator(".tltt-system").filter(has_text="kết thúc")).to_have_count(1)
    expect(page.locator(".tltt-bot").filter(has_text="chấm điểm")).to_have_count(1)
    assert len([m for m in stored(page)["messages"] if "chấm điểm" in " ".join(m.get("texts", []))]) == 1


def test_handoff_status_and_staff_messages_survive_reload(
    web: WebApp, fake_rasa: FakeRasa, probe: PageProbe, artifacts: Path
) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    status = page.locator(".tltt-handoff")
    expect(status).to_be_hidden()
    page.locator(".tltt-human").click()  # the discreet "Gặp cán bộ" entry above the input
    offer = answers(page).last
    expect(offer).to_contain_text("Chuyển cuộc trò chuyện cho cán bộ")
    expect(offer.locator(".tltt-vote")).to_have_count(0)
    offer.get_by_role("button", name="Đồng ý").click()
    expect(status).to_have_text("Đang chờ cán bộ…")
    expect(page.locator(".tltt-human")).to_be_hidden()
    ask(page, "agent please")
    expect(status).to_have_text("Đang trò chuyện với cán bộ Nguyễn Lan")
    assert sent(fake_rasa, page) == ["/ask_human", "/affirm", "agent please"]

    page.reload()
    expect(page.locator(".tltt-status")).to_have_class(re.compile(r"\btltt-online\b"))
    expect(status).to_have_text("Đang trò chuyện với cán bộ Nguyễn Lan")
    expect(staff(page)).to_have_count(1)
    expect(staff(page).locator(".tltt-from")).to_contain_text(LABEL)
    page.screenshot(path=artifacts / "widget-handoff-staff.png")
    ask(page, "agent again")  # after the reload the widget still knows h2
    expect(staff(page).locator(".tltt-card")).to_have_count(1)
    expect(staff(page)).to_have_count(2)

    ask(page, "end chat")
    expect(status).to_be_hidden()
    expect(page.locator(".tltt-human")).to_be_visible()
    page.reload()
    expect(page.locator(".tltt-rate")).to_be_visible()
    expect(status).to_be_hidden()


def test_rating_control_sends_score_and_comment(web: WebApp, fake_rasa: FakeRasa, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    ask(page, "end chat")
    rating = page.locator(".tltt-rate")
    expect(rating).to_be_visible()
    scores = rating.get_by_role("group").get_by_role("button")
    expect(scores).to_have_count(5)
    for n in range(1, 6):
        expect(rating.get_by_role("button", name=f"{n} trên 5", exact=True)).to_have_text(str(n))
    expect(page.locator(".tltt-chip")).to_have_count(0)  # the buttons 1..5 are the control, not chips
    rating.get_by_role("button", name="Gửi đánh giá").click()  # no score yet: nothing is sent
    expect(rating.get_by_role("alert")).to_contain_text("chọn điểm")
    rating.get_by_role("button", name="4 trên 5").click()
    expect(rating.get_by_role("button", name="4 trên 5")).to_have_attribute("aria-pressed", "true")
    expect(rating.get_by_role("button", name="5 trên 5")).to_have_attribute("aria-pressed", "false")
    rating.get_by_label("Góp ý thêm (không bắt buộc)").fill("  tốt  ")
    rating.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.locator(".tltt-user").last).to_have_text(re.compile(r"^Bạn: 4 tốt$"))
    expect(page.locator(".tltt-rate")).to_have_count(0)
    expect(answers(page).last).to_contain_text("Cảm ơn bạn đã đánh giá")
    assert wait_for(lambda: sent(fake_rasa, page) == ["end chat", "4 tốt"])


def test_rating_control_with_the_keyboard_only(web: WebApp, fake_rasa: FakeRasa, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    ask(page, "end chat")
    expect(page.locator(".tltt-rate")).to_be_visible()
    page.focus("#tltt-input")
    press_until_focused(page, "Shift+Tab", ".tltt-score[aria-label='4 trên 5']", 20, "the score 4")
    page.keyboard.press("Space")
    expect(page.locator(".tltt-score[aria-label='4 trên 5']")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".tltt-score[aria-label='4 trên 5']")).to_be_focused()
    press_until_focused(page, "Tab", ".tltt-rate-comment", 5, "the rating comment")
    page.keyboard.type("tốt")
    page.keyboard.press("Enter")
    expect(page.locator(".tltt-user").last).to_contain_text("4 tốt")
    expect(page.locator("#tltt-input")).to_be_focused()  # the control is gone: focus stays in the panel
    assert wait_for(lambda: sent(fake_rasa, page) == ["end chat", "4 tốt"])


def test_not_what_i_asked_offers_a_person(web: WebApp, fake_rasa: FakeRasa, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    ask(page, "nộp ở đâu")
    expect(answers(page)).to_have_count(1)
    ask(page, "lệ phí bao nhiêu")
    expect(answers(page)).to_have_count(2)
    first, second = answers(page).nth(0), answers(page).nth(1)
    first.get_by_role("button", name="Câu trả lời chưa hữu ích").click()
    first.get_by_label("Vì sao chưa hữu ích?").select_option("unclear")
    first.get_by_role("button", name="Gửi góp ý").click()
    expect(first.locator(".tltt-thanks")).to_be_visible()
    expect(first.get_by_role("button", name="Gặp cán bộ")).to_have_count(0)  # only for "not what I asked"

    second.get_by_role("button", name="Câu trả lời chưa hữu ích").click()
    second.get_by_label("Vì sao chưa hữu ích?").select_option(label="Không đúng điều tôi hỏi")
    second.get_by_role("button", name="Gửi góp ý").click()
    expect(second.locator(".tltt-thanks")).to_be_visible()
    second.get_by_role("button", name="Gặp cán bộ").click()
    expect(page.locator(".tltt-user").last).to_contain_text("Gặp cán bộ")
    offer = answers(page).last
    expect(offer).to_contain_text("Chuyển cuộc trò chuyện cho cán bộ")
    expect(offer.get_by_role("button", name="Đồng ý")).to_be_visible()
    expect(offer.get_by_role("button", name="Không, cảm ơn")).to_be_visible()
    expect(second.get_by_role("button", name="Gặp cán bộ")).to_have_count(0)  # used once
    assert wait_for(lambda: sent(fake_rasa, page) == ["nộp ở đâu", "lệ phí bao nhiêu", "/ask_human"])


def test_talk_to_a_person_in_english(web: WebApp, fake_rasa: FakeRasa, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    page.get_by_role("button", name="Switch to English").click()
    page.get_by_role("button", name="Talk to a person").click()
    expect(page.locator(".tltt-user").last).to_contain_text("Talk to a person")
    assert wait_for(lambda: sent(fake_rasa, page) == ["/ask_human"])


def test_handoff_on_a_phone(web: WebApp, browser: Any, artifacts: Path) -> None:
    probe = new_page(browser, 360, 740)
    page = probe.page
    try:
        open_widget(page, web.url + "/")
        ask(page, "agent please")
        expect(staff(page)).to_have_count(1)
        ask(page, "end chat")
        expect(page.locator(".tltt-rate")).to_be_visible()
        page.get_by_role("button", name="4 trên 5").click()
        page.screenshot(path=artifacts / "widget-handoff-rating-360x740.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        for selector in (".tltt-rate-go", ".tltt-human", "#tltt-input"):
            box = page.locator(selector).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 360.5, selector
        assert probe.errors == [] and probe.csp_violations == []
    finally:
        page.context.close()
