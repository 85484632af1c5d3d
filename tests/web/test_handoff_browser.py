"""The live handoff end to end in two real browsers against the real stack: a citizen in the widget
(socket.io to the real Rasa server and action server) and a staff member in the console of the real
web app (scripts/run-web), both on the stack's handoff database. Consent, ward, queue, claim, the
bot's part of the transcript, messages both ways within 2 s, a restart of the web app and of Rasa in
the middle of the chat (nothing lost, nothing twice), a procedure card, the end, the rating, and no
ID number in any store or log. Latencies are printed (run with -s to see them)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bot.privacy import mask_text
from handoff.store import CITIZEN
from tests.integration.stack import Stack, stop_process_group
from tests.web.conftest import WebApp, new_page, start_web, wait_for
from tests.web.test_widget import answers, open_widget, stored

pytestmark = pytest.mark.integration

STAFF, PASSWORD = "cb.lan", "mat-khau-can-bo-2026"
WARD = "Phường Kinh Bắc"
CENTRE_NAME = "Trung tâm Phục vụ hành chính công phường Kinh Bắc"
DISPLAY = "Chị Lan"
ID_NUMBER = "001203004567"  # a 12-digit ID number the citizen types during the live chat
ASK = "cho tôi gặp cán bộ"
REPLY = "Chào bạn, mình là cán bộ phường"
QUESTION = "Tôi muốn hỏi về cấp đổi sổ đỏ"
WHILE_DOWN = "Mình vẫn ở đây, bạn chờ chút nhé"  # sent while Rasa is down: delivered when it is back
ID_MESSAGE = f"Số căn cước của tôi là {ID_NUMBER}"
AFTER = "Bạn mang theo sổ đỏ bản gốc nhé"
COMMENT = "cán bộ nhiệt tình"
BOUND = 2.0  # seconds: a message or a new chat reaches the other side within this
FIRST_ANSWER = 60_000  # ms: the real NLU's first answer may take ~30 s
WAIT = 15_000
BOT_ONLY = ".tltt-bot:not(.tltt-intro):not(.tltt-staff)"  # the assistant's own messages, not staff's

# true once an element matching the selector contains the text (polled in the page every 25 ms)
HAS_TEXT = "([s, t]) => Array.from(document.querySelectorAll(s)).some(n => n.textContent.includes(t))"


class LiveWeb:
    """The module's one web app, on the stack's WEB_PORT (Rasa's CORS origin) and handoff database;
    `restart` stops its process group and starts it again on the same port, env and folder."""

    def __init__(self, workdir: Path, stack: Stack) -> None:
        self.workdir, self.stack = workdir, stack
        self.app: WebApp | None = None

    def start(self) -> WebApp:
        env = self.stack.env
        self.app = start_web(
            self.workdir,
            self.stack.rasa_url,
            WEB_PORT=env["WEB_PORT"],
            HANDOFF_DATABASE_URL=env["HANDOFF_DATABASE_URL"],
            HANDOFF_KEY=env["HANDOFF_KEY"],
            STAFF_HOURS=env["STAFF_HOURS"],
            RASA_TOKEN=env["RASA_TOKEN"],
        )
        return self.app

    def stop(self) -> None:
        if self.app is not None:
            stop_process_group(self.app.process)

    def restart(self) -> WebApp:
        self.stop()
        return self.start()

    def stored_bytes(self) -> bytes:
        """Everything the web app wrote in its folder: its database (and write-ahead log), its log."""
        return b"".join(p.read_bytes() for p in self.workdir.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def live_web(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveWeb]:
    web = LiveWeb(Path(tmp_path_factory.mktemp("handoff_web")), stack)
    web.start()
    try:
        yield web
    finally:
        web.stop()


def appears(page: Page, selector: str, text: str = "", timeout: float = 5_000) -> float:
    """Wait until an element matching `selector` contains `text`; the monotonic time it was seen."""
    page.wait_for_function(HAS_TEXT, arg=[selector, text], polling=25, timeout=timeout)
    return time.monotonic()


def widget_says(page: Page, text: str) -> float:
    """The citizen types `text` and presses Enter; the monotonic time of the key press."""
    page.fill("#tltt-input", text)
    sent = time.monotonic()
    page.press("#tltt-input", "Enter")
    return sent


def console_says(page: Page, text: str) -> float:
    page.fill("#reply", text)
    sent = time.monotonic()
    page.press("#reply", "Enter")
    return sent


def ensure_rasa(stack: Stack) -> None:
    """Leave the shared stack as found: Rasa running, even if the test failed during its restart."""
    process = stack.processes.get("rasa")
    if process is None or process.poll() is not None:
        stack.stop("rasa")
        stack.start("rasa")


def test_live_handoff_between_widget_and_console(
    stack: Stack, live_web: LiveWeb, browser: Any, artifacts: Path
) -> None:
    store = stack.handoff_store()
    assert live_web.app is not None
    url = live_web.app.url
    latency: dict[str, float] = {}
    started = time.monotonic()
    created = live_web.app.accounts(
        "create", STAFF, "--role", "staff", "--centre", WARD, "--password-stdin", password=PASSWORD + "\n"
    )
    assert created.returncode == 0, created.stderr
    staff_probe, citizen_probe = new_page(browser), new_page(browser)  # two contexts: no shared cookies or storage
    staff, citizen = staff_probe.page, citizen_probe.page
    note = staff.locator("#console-status")
    bot_part: list[str] = []
    try:
        # 1. staff: sign in through the page's form, presence through the radio buttons
        staff.goto(url + "/staff")
        expect(staff.locator("#login-view")).to_be_visible()
        staff.get_by_label("Tên đăng nhập").fill(STAFF)
        staff.get_by_label("Mật khẩu").fill(PASSWORD)
        staff.get_by_role("button", name="Đăng nhập").click()
        expect(staff.get_by_role("heading", name="Bàn trực trò chuyện")).to_be_visible()
        expect(staff.locator("#who-centre")).to_have_text(CENTRE_NAME)
        staff.get_by_label("Tạm vắng").check()
        expect(note).to_have_text("Trạng thái: Tạm vắng.")
        assert wait_for(lambda: STAFF not in store.online_staff(WARD), timeout=5)
        staff.get_by_label("Trực tuyến").check()
        expect(note).to_have_text("Trạng thái: Trực tuyến.")
        assert STAFF in store.online_staff(WARD)
        staff.fill("#display-name", DISPLAY)

        # 2. citizen: ask for a person, consent with the button, name the ward, get a place in the queue
        open_widget(citizen, url + "/")
        widget_says(citizen, ASK)
        offer = answers(citizen).last
        expect(offer).to_contain_text("Chuyển cuộc trò chuyện cho cán bộ", timeout=FIRST_ANSWER)
        assert wait_for(lambda: (stored(citizen)["messages"][-1].get("custom") or {}).get("type") == "handoff_offer")
        offer.get_by_role("button", name="Đồng ý").click()
        expect(answers(citizen).last).to_contain_text("Bạn ở xã/phường nào", timeout=WAIT)
        widget_says(citizen, "phường Kinh Bắc")
        queued_at = appears(citizen, ".tltt-bot", "vị trí số", WAIT)
        session = stored(citizen)["session_id"]
        chat = store.live_chat(session)
        assert chat is not None and chat.status == "queued" and chat.centre == WARD and chat.channel == "socketio"
        row = staff.locator(f"#q-{chat.id}")
        latency["new chat → console queue"] = appears(staff, f"#q-{chat.id}", WARD) - queued_at
        expect(answers(citizen).last).to_contain_text(re.compile(r"vị trí số \d+"))
        expect(citizen.locator(".tltt-handoff")).to_have_text("Đang chờ cán bộ…")
        assert (stored(citizen)["messages"][-1]["custom"] or {}).get("position", 0) >= 1

        # 3. staff: claim under a display name; the bot's part is shown; reply
        row.get_by_role("button", name="Nhận").click()
        expect(staff.locator("#chat-open")).to_be_visible()
        expect(staff.locator("#bot-messages")).to_contain_text(ASK, timeout=WAIT)
        expect(staff.locator("#bot-messages")).to_contain_text("Chuyển cuộc trò chuyện cho cán bộ")
        expect(staff.locator("#bot-part-note")).to_be_hidden()  # "included", not "unavailable"
        bot_part = staff.locator("#bot-messages li").all_inner_texts()
        claimed = store.chat(chat.id)
        assert (claimed.status, claimed.staff, claimed.staff_display) == ("assigned", STAFF, DISPLAY)
        expect(citizen.locator(".tltt-system").filter(has_text=f"{DISPLAY}, cán bộ của")).to_have_count(1, timeout=WAIT)
        expect(citizen.locator(".tltt-handoff")).to_have_text(f"Đang trò chuyện với cán bộ {DISPLAY}")
        bot_said = citizen.locator(BOT_ONLY).count()

        sent = console_says(staff, REPLY)
        latency["staff → widget"] = appears(citizen, ".tltt-staff", REPLY) - sent
        from_person = citizen.locator(".tltt-staff").filter(has_text=REPLY)
        expect(from_person.locator(".tltt-from")).to_contain_text(f"{DISPLAY} · {CENTRE_NAME}")
        expect(from_person.locator(".tltt-vote")).to_have_count(0)  # a person's words get no bot votes
        expect(staff.locator("#live-messages .from-staff")).to_contain_text(REPLY)
        expect(staff.locator("#reply")).to_have_value("")

        # 4. citizen answers; staff sees it
        sent = widget_says(citizen, QUESTION)
        latency["widget → console"] = appears(staff, "#live-messages .from-citizen", QUESTION) - sent
        staff.screenshot(path=artifacts / "handoff-staff-1280x800.png")
        citizen.screenshot(path=artifacts / "handoff-widget-1280x800.png")

        # 5. the web app and Rasa restart while the chat is live
        stack.stop("rasa")
        expect(citizen.locator(".tltt-status")).to_have_class(re.compile(r"\btltt-reconnecting\b"), timeout=WAIT)
        down = time.monotonic()
        live_web.restart()
        latency["web app restart (stop → healthz)"] = time.monotonic() - down
        # The session cookie is signed with WEB_SECRET_KEY and the account's epoch is in web.sqlite: the
        # open console keeps working without a reload or a new sign-in.
        assert staff.evaluate("fetch('/staff/api/queue').then(r => r.status)") == 200
        expect(staff.locator("#work-view")).to_be_visible()
        expect(staff.locator("#login-view")).to_be_hidden()
        console_says(staff, WHILE_DOWN)  # Rasa is still down: written down, delivered later
        expect(note).to_have_text("Đã lưu tin nhắn; đang chờ gửi tới người dân.", timeout=WAIT)
        expect(staff.locator("#live-messages .from-staff").filter(has_text=WHILE_DOWN)).to_have_count(1)
        waiting = [e for e in store.transcript(chat.id) if e.kind == "message" and e.text == WHILE_DOWN]
        assert len(waiting) == 1 and waiting[0].delivered_at is None
        stack.start("rasa")
        rasa_up = time.monotonic()
        latency["Rasa restart (stop → status)"] = rasa_up - down
        latency["Rasa up → held message in widget"] = appears(citizen, ".tltt-staff", WHILE_DOWN, 60_000) - rasa_up
        expect(citizen.locator(".tltt-status")).to_have_class(re.compile(r"\btltt-online\b"), timeout=30_000)
        assert wait_for(lambda: store.event(waiting[0].id).delivered_at, timeout=10)

        sent = widget_says(citizen, ID_MESSAGE)
        latency["widget → console (after restarts)"] = (
            appears(staff, "#live-messages .from-citizen", "Số căn cước của tôi là") - sent
        )
        shown = staff.locator("#live-messages").inner_text()
        assert ID_NUMBER not in shown, "the console shows what is stored: masked"
        sent = console_says(staff, AFTER)
        latency["staff → widget (after restarts)"] = appears(citizen, ".tltt-staff", AFTER) - sent

        # a reload of the console: still signed in, the chat reopens with each message once
        staff.reload()
        expect(staff.locator("#work-view")).to_be_visible()
        staff.locator(f"#q-{chat.id}").get_by_role("button", name="Mở").click()
        live = staff.locator("#live-messages")
        expect(live.locator(".from-staff").filter(has_text=AFTER)).to_have_count(1, timeout=WAIT)
        for said in (REPLY, WHILE_DOWN):
            expect(live.locator(".from-staff").filter(has_text=said)).to_have_count(1)
        expect(live.locator(".from-citizen").filter(has_text=QUESTION)).to_have_count(1)
        # and the widget shows every staff message once, the join once, after its reconnect
        expect(citizen.locator(".tltt-staff")).to_have_count(3)
        expect(citizen.locator(".tltt-system")).to_have_count(1)

        # 6. a procedure card found with the console's search
        staff.fill("#card-query", "khai sinh")
        pick = staff.locator("#card-results button").first
        expect(pick).to_be_visible(timeout=WAIT)
        title, code = re.fullmatch(r"Gửi: (.+) \((\d\.\d{6})\)", pick.inner_text()).groups()
        sent = time.monotonic()
        pick.click()
        latency["card → widget"] = appears(citizen, ".tltt-staff .tltt-card-meta", code) - sent
        card = citizen.locator(".tltt-staff").filter(has=citizen.locator(".tltt-card"))
        expect(card).to_have_count(1)
        expect(card.locator(".tltt-card-title")).to_have_text(title)
        expect(card.locator(".tltt-from")).to_contain_text(f"{DISPLAY} · {CENTRE_NAME}")
        expect(note).to_have_text(f"Đã gửi thẻ thủ tục {code}.")
        expect(live.locator(".from-staff .msg-card")).to_contain_text(code)
        citizen.set_viewport_size({"width": 360, "height": 740})
        citizen.screenshot(path=artifacts / "handoff-widget-card-360x740.png")
        assert citizen.evaluate("document.documentElement.scrollWidth") <= 360
        assert citizen.locator(BOT_ONLY).count() == bot_said, "the bot spoke during the live chat"

        # 7. staff ends the chat; the citizen rates it
        staff.select_option("#end-code", "answered")
        staff.locator("#end-form").get_by_role("button", name="Kết thúc").click()
        expect(staff.locator("#chat-none")).to_be_visible(timeout=WAIT)
        ended = store.chat(chat.id)
        assert (ended.status, ended.closing_code) == ("ended", "answered")
        expect(citizen.locator(".tltt-system").filter(has_text="Cán bộ đã kết thúc")).to_have_count(1, timeout=WAIT)
        rating = citizen.locator(".tltt-rate")
        expect(rating).to_be_visible(timeout=WAIT)
        expect(citizen.locator(".tltt-handoff")).to_be_hidden()
        rating.get_by_role("button", name="4 trên 5").click()
        rating.get_by_label("Góp ý thêm (không bắt buộc)").fill(COMMENT)
        citizen.screenshot(path=artifacts / "handoff-widget-rating-360x740.png")
        staff.screenshot(path=artifacts / "handoff-staff-ended-1280x800.png")
        rating.get_by_role("button", name="Gửi đánh giá").click()
        expect(answers(citizen).last).to_contain_text("Cảm ơn bạn đã đánh giá", timeout=WAIT)
        assert wait_for(lambda: store.chat(chat.id).rating == 4, timeout=10)
        rated = [e for e in store.transcript(chat.id) if e.kind == "rated"]
        assert len(rated) == 1 and rated[0].data == {"score": 4} and rated[0].text == COMMENT

        # nothing lost, nothing twice: the handoff's record and Rasa's tracker
        messages = [e for e in store.transcript(chat.id) if e.kind == "message"]
        citizen_said = [e.text for e in messages if e.actor == CITIZEN]
        assert citizen_said == [QUESTION, mask_text(ID_MESSAGE)] and ID_NUMBER not in citizen_said[1]
        staff_said = [(e.text, (e.data.get("card") or {}).get("code")) for e in messages if e.actor != CITIZEN]
        assert [s for s in staff_said if s[1] is None] == [(REPLY, None), (WHILE_DOWN, None), (AFTER, None)]
        assert [s[1] for s in staff_said if s[1]] == [code]
        assert all(e.delivered_at is not None for e in messages if e.actor != CITIZEN)
        tracker = stack.tracker(session)["events"]
        users = [e.get("text") or "" for e in tracker if e["event"] == "user"]
        assert users.count(QUESTION) == 1 and users.count(mask_text(ID_MESSAGE)) == 1, users
        agent = [
            e for e in tracker if e["event"] == "bot" and (e.get("data") or {}).get("custom", {}).get("from_agent")
        ]
        assert len(agent) == 1  # the card, once, in Rasa's record too

        # 8. the ID number is in no store and no log (and the scan reads the right files: what is
        # stored in clear is found)
        stack_bytes, web_bytes = stack.stored_bytes(), live_web.stored_bytes()
        assert QUESTION.encode() in stack_bytes and STAFF.encode() in web_bytes
        assert ID_NUMBER.encode() not in stack_bytes, "ID number in a store or log of the stack"
        assert ID_NUMBER.encode() not in web_bytes, "ID number in the web app's database or log"
        assert ID_NUMBER in citizen.evaluate("localStorage.getItem('tltt.chat.v1')")  # the citizen's own copy

        staff.get_by_role("button", name="Đăng xuất").click()  # presence offline: the shared stack as found
        expect(staff.locator("#login-view")).to_be_visible()
        assert wait_for(lambda: STAFF not in store.online_staff(WARD), timeout=5)
        assert staff_probe.errors == [] and citizen_probe.errors == []
        assert staff_probe.csp_violations == [] and citizen_probe.csp_violations == []
    finally:
        print("\nbot part shown to staff:", bot_part)
        print("handoff latencies (s):")
        for what, seconds in latency.items():
            print(f"  {what:38} {seconds:6.2f}")
        print(f"  {'whole test':38} {time.monotonic() - started:6.2f}")
        for page in (staff, citizen):
            page.context.close()
        ensure_rasa(stack)
    for what in ("new chat → console queue", "staff → widget", "widget → console", "card → widget"):
        assert latency[what] < BOUND, f"{what}: {latency[what]:.2f} s"
    for what in ("widget → console (after restarts)", "staff → widget (after restarts)"):
        assert latency[what] < BOUND, f"{what}: {latency[what]:.2f} s"
