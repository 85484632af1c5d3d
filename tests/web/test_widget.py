"""The citizen widget in a real browser, against the real web app and a socket.io stand-in for
Rasa that replies with our real answer composer (tests/web/fake_rasa.py)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import REPO, FakeRasa, PageProbe, WebApp, new_page, wait_for

STORAGE_KEY = "tltt.chat.v1"
DOSSIER = "000.00.31.H04-250714-0012"
WIDGET_BUDGET = 60 * 1024  # gzipped JS + CSS, socket.io client included


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    page.click(".tltt-launcher")
    expect(page.locator(".tltt-status")).to_have_class(re.compile(r"\btltt-online\b"))


def ask(page: Page, text: str) -> None:
    page.fill("#tltt-input", text)
    page.press("#tltt-input", "Enter")


def answers(page: Page) -> Any:
    return page.locator(".tltt-bot:not(.tltt-intro)")


def stored(page: Page) -> dict[str, Any]:
    return page.evaluate(f"JSON.parse(localStorage.getItem('{STORAGE_KEY}'))")


def press_until_focused(page: Page, key: str, selector: str, tries: int, what: str) -> None:
    """Press `key` until the focused element matches `selector`; fail if it never does."""
    for _ in range(tries):
        page.keyboard.press(key)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{what} cannot be reached with the keyboard")


def sent_by(fake: FakeRasa, session_id: str) -> list[dict[str, Any]]:
    return [m for m in fake.messages() if m.get("session_id") == session_id]


def test_question_gets_text_and_procedure_card(web: WebApp, fake_rasa: FakeRasa, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    ask(page, "làm giấy khai sinh cần những gì")
    card = answers(page).last.locator(".tltt-card")
    expect(card).to_contain_text("Thủ tục đăng ký khai sinh")
    expect(card).to_contain_text("1.001193")
    expect(card.get_by_role("link", name=re.compile("Xem chi tiết"))).to_have_attribute(
        "href", f"{web.url}/thu-tuc/1.001193"
    )
    # The paragraphs and the payload Rasa sends as separate events form one answer with one vote bar.
    expect(answers(page)).to_have_count(1)
    expect(answers(page).locator(".tltt-vote")).to_have_count(2)
    expect(answers(page).last).to_contain_text("Giấy tờ cần chuẩn bị")
    session = stored(page)["session_id"]
    message = wait_for(lambda: sent_by(fake_rasa, session))[0]
    assert message["message"] == "làm giấy khai sinh cần những gì"
    assert message["metadata"] == {"ui_language": "vi"}  # not assisted, nothing personal
    assert probe.errors == [] and probe.csp_violations == []


def test_choices_and_quick_replies_send_their_payload(web: WebApp, fake_rasa: FakeRasa, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    ask(page, "choices")
    options = page.locator(".tltt-choices button")
    expect(options).to_have_count(2)
    # The same options also come as Rasa buttons: shown once, in the card.
    expect(answers(page).last.locator(".tltt-chips .tltt-chip")).to_have_count(0)
    options.nth(1).click()
    expect(page.locator(".tltt-user").last).to_contain_text("Thủ tục đăng ký lại khai sinh")
    session = stored(page)["session_id"]
    payloads = wait_for(lambda: [m["message"] for m in sent_by(fake_rasa, session) if m["message"] != "choices"])
    assert payloads == ['/choose_procedure{"procedure_code": "1.004884"}']
    expect(answers(page).last.locator(".tltt-card-meta")).to_contain_text("1.004884")
    follow_up = answers(page).last.locator(".tltt-followups button").first
    follow_up.click()
    assert wait_for(lambda: len(sent_by(fake_rasa, session)) == 3)


def test_deep_link_opens_on_procedure(web: WebApp, fake_rasa: FakeRasa, probe: PageProbe) -> None:
    page = probe.page
    page.goto(web.url + "/?thu_tuc=1.004884")
    expect(page.locator(".tltt-panel")).to_be_visible()
    expect(answers(page).last.locator(".tltt-card-meta")).to_contain_text("1.004884")
    assert "thu_tuc" not in page.url  # a reload must not ask again
    session = stored(page)["session_id"]
    assert [m["message"] for m in sent_by(fake_rasa, session)] == ['/choose_procedure{"procedure_code": "1.004884"}']


def test_deep_link_looks_up_dossier(web: WebApp, fake_rasa: FakeRasa, probe: PageProbe) -> None:
    page = probe.page
    page.goto(f"{web.url}/?ma_ho_so={DOSSIER}")
    expect(answers(page).last).to_contain_text("6 số cuối")
    ask(page, "4821")
    expect(page.locator(".tltt-user").last).to_have_text(re.compile("••••"))
    card = answers(page).last.locator(".tltt-dossier")
    expect(card).to_contain_text(DOSSIER)
    expect(card).to_contain_text("Ngày hẹn trả")
    expect(card.locator(".tltt-badge")).to_contain_text("Quá hạn")
    session = stored(page)["session_id"]
    assert [m["message"] for m in sent_by(fake_rasa, session)] == [f"tra cứu hồ sơ {DOSSIER}", "4821"]
    typed = re.compile(r"(?<![0-9a-f])4821(?![0-9a-f])")  # not inside a random hex session id or token
    assert not typed.search(page.content()) and not typed.search(json.dumps(stored(page)))


@pytest.mark.parametrize("query", ["?thu_tuc=1.0048<b>", "?ma_ho_so=%22%3E%3Cimg%20src=x%3E"])
def test_malformed_deep_links_send_nothing(web: WebApp, probe: PageProbe, query: str) -> None:
    page = probe.page
    page.goto(web.url + "/" + query)
    expect(page.locator(".tltt-launcher")).to_be_visible()
    page.wait_for_timeout(500)
    assert stored(page)["messages"] == []


def test_injected_markup_renders_as_text(web: WebApp, probe: PageProbe) -> None:
    page = probe.page
    attack = "<img src=x onerror=alert(1)>"
    open_widget(page, web.url + "/")
    ask(page, attack)
    expect(answers(page)).to_have_count(1)
    ask(page, "echo " + attack + " <script>alert(2)</script>")
    expect(answers(page).filter(has_text="<script>")).to_have_count(1)
    expect(page.locator(".tltt-user").first).to_have_text(re.compile(re.escape(attack)))
    assert page.locator(".tltt img, .tltt script").count() == 0
    page.wait_for_timeout(300)
    assert probe.dialogs == []


def test_only_official_https_links_are_clickable(web: WebApp, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    ask(
        page,
        "echo Xem https://dichvucong.gov.vn/p/home. Hoặc https://evil.example.com/x, "
        "http://bacninh.gov.vn/a và javascript:alert(1)",
    )
    answer = answers(page).last
    expect(answer).to_contain_text("evil.example.com")
    links = answer.locator(".tltt-text a")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", "https://dichvucong.gov.vn/p/home")
    expect(links).to_have_attribute("rel", "noopener noreferrer")


def test_reload_keeps_session_and_history(web: WebApp, fake_rasa: FakeRasa, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    ask(page, "lệ phí khai sinh bao nhiêu")
    expect(answers(page)).to_have_count(1)
    session = stored(page)["session_id"]
    page.reload()
    expect(page.locator(".tltt-panel")).to_be_visible()  # it was open: it stays open
    expect(page.locator(".tltt-user")).to_have_text([re.compile("lệ phí khai sinh bao nhiêu")])
    expect(answers(page).locator(".tltt-card")).to_have_count(1)
    expect(page.locator(".tltt-status")).to_have_class(re.compile(r"\btltt-online\b"))
    assert stored(page)["session_id"] == session
    requests = [r for r in fake_rasa.received() if r["event"] == "session_request"]
    assert {"event": "session_request", "session_id": session} in requests


def test_dropped_connection_is_visible_and_recovers(web: WebApp, fake_rasa: FakeRasa, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    session = stored(page)["session_id"]
    fake_rasa.stop()
    try:
        expect(page.locator(".tltt-status")).to_have_class(re.compile(r"\btltt-reconnecting\b"))
        expect(page.locator(".tltt-status")).to_contain_text("Mất kết nối")
        ask(page, "nộp ở đâu")
        expect(page.locator(".tltt-user .tltt-pending, .tltt-pending")).to_have_count(1)
    finally:
        fake_rasa.start()
    expect(page.locator(".tltt-status")).to_have_class(re.compile(r"\btltt-online\b"), timeout=30_000)
    expect(page.locator(".tltt-pending")).to_have_count(0)
    expect(answers(page)).to_have_count(1)
    assert [m["message"] for m in sent_by(fake_rasa, session)] == ["nộp ở đâu"]
    assert stored(page)["session_id"] == session


def test_typing_indicator_while_waiting(web: WebApp, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    ask(page, "slow")
    expect(page.locator(".tltt-typing")).to_be_visible()
    expect(answers(page)).to_have_count(1, timeout=10_000)
    expect(page.locator(".tltt-typing")).to_be_hidden()


def test_feedback_is_stored_without_personal_data(web: WebApp, probe: PageProbe) -> None:
    from sqlalchemy import create_engine, text

    page = probe.page
    open_widget(page, web.url + "/")
    ask(page, "làm giấy khai sinh cần gì")
    expect(answers(page)).to_have_count(1)
    ask(page, "lệ phí bao nhiêu")
    expect(answers(page)).to_have_count(2)
    first, second = answers(page).nth(0), answers(page).nth(1)
    first.get_by_role("button", name="Câu trả lời hữu ích").click()
    expect(first.locator(".tltt-thanks")).to_be_visible()
    second.get_by_role("button", name="Câu trả lời chưa hữu ích").click()
    second.get_by_label("Vì sao chưa hữu ích?").select_option("outdated")
    second.get_by_label(re.compile("Góp ý thêm")).fill("Gọi tôi 0912 345 678, lệ phí đã đổi")
    second.get_by_role("button", name="Gửi góp ý").click()
    expect(second.locator(".tltt-thanks")).to_be_visible()

    engine = create_engine(web.env["WEB_DATABASE_URL"])
    with engine.connect() as db:
        rows = db.execute(
            text(
                "SELECT rating, reason, comment, procedure_code, aspect, payload_type, session_hash "
                "FROM web_feedback ORDER BY id"
            )
        ).all()
    session_hash = hashlib.sha256(stored(page)["session_id"].encode()).hexdigest()
    mine = [r for r in rows if r.session_hash == session_hash]
    assert [(r.rating, r.reason, r.aspect) for r in mine] == [("up", "", "documents"), ("down", "outdated", "fees")]
    assert "0912" not in mine[1].comment and "lệ phí đã đổi" in mine[1].comment
    page.reload()  # the vote is remembered
    expect(answers(page).nth(0).locator(".tltt-thanks")).to_be_visible()


def test_language_switch_persists(web: WebApp, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    page.get_by_role("button", name="Switch to English").click()
    expect(page.locator(".tltt-title")).to_have_text("Procedures assistant")
    expect(page.locator(".tltt")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Chuyển sang tiếng Việt")).to_be_focused()
    page.reload()
    expect(page.locator("#tltt-input")).to_have_attribute("placeholder", "Type your question…")


def test_keyboard_only(web: WebApp, fake_rasa: FakeRasa, probe: PageProbe) -> None:
    page = probe.page
    page.goto(web.url + "/")
    press_until_focused(page, "Tab", ".tltt-launcher", 40, "the chat launcher")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus must be visible"
    page.keyboard.press("Enter")
    expect(page.locator("#tltt-input")).to_be_focused()
    page.keyboard.type("mất bao lâu")
    page.keyboard.press("Enter")
    expect(answers(page)).to_have_count(1)
    # back from the input to a suggested follow-up under the answer
    press_until_focused(page, "Shift+Tab", ".tltt-followups .tltt-chip", 20, "a follow-up button")
    page.keyboard.press("Enter")
    expect(answers(page)).to_have_count(2)
    expect(page.locator("#tltt-input")).to_be_focused()  # the pressed button was re-rendered away
    page.keyboard.press("Escape")
    expect(page.locator(".tltt-panel")).to_be_hidden()
    expect(page.locator(".tltt-launcher")).to_be_focused()


def test_live_region_and_dialog_semantics(web: WebApp, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    log = page.locator(".tltt-log")
    expect(log).to_have_attribute("role", "log")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(page.get_by_role("dialog", name="Trợ lý Thủ tục")).to_be_visible()
    expect(page.locator(".tltt-status")).to_have_attribute("role", "status")


def test_csp_blocks_inline_script(web: WebApp, probe: PageProbe) -> None:
    page = probe.page
    response = page.goto(web.url + "/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    page.evaluate("""() => { const s = document.createElement('script');
                      s.textContent = 'window.__injected = 1'; document.body.appendChild(s); }""")
    assert page.evaluate("window.__injected") is None
    assert probe.csp_violations


def test_one_tag_embed_on_another_site(web: WebApp, browser: Any, tmp_path: Path) -> None:
    """A ward's page on another origin: the widget fetches its config and posts feedback cross-origin."""
    (tmp_path / "phuong.html").write_text(
        f'<!doctype html><html lang="vi"><head><title>Phường Kinh Bắc</title></head><body><h1>Phường Kinh Bắc</h1>'
        f'<script src="{web.url}/static/widget/widget.js" defer></script></body></html>',
        encoding="utf-8",
    )
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    probe = new_page(browser)
    page = probe.page
    try:
        open_widget(page, f"http://127.0.0.1:{server.server_address[1]}/phuong.html")
        ask(page, "làm giấy khai sinh cần gì")
        expect(answers(page).locator(".tltt-card")).to_be_visible()
        answers(page).get_by_role("button", name="Câu trả lời hữu ích").click()
        expect(answers(page).locator(".tltt-thanks")).to_be_visible()
        assert probe.errors == []
    finally:
        page.context.close()
        server.shutdown()


@pytest.mark.parametrize(("width", "height"), [(360, 740), (640, 400)])  # phone; 1280×800 at 200% zoom
def test_small_screens_and_zoom(web: WebApp, browser: Any, width: int, height: int) -> None:
    probe = new_page(browser, width, height)
    page = probe.page
    try:
        open_widget(page, web.url + "/")
        ask(page, "làm giấy khai sinh cần gì")
        expect(answers(page).locator(".tltt-card")).to_be_visible()
        box = page.locator(".tltt-panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5
        for selector in ("#tltt-input", ".tltt-send", ".tltt-close"):
            b = page.locator(selector).bounding_box()
            assert b["y"] >= 0 and b["y"] + b["height"] <= height + 0.5, selector
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        page.context.close()


def test_widget_weight_budget() -> None:
    static = REPO / "web" / "static"
    files = [static / "widget" / "widget.js", static / "widget" / "widget.css", static / "vendor" / "socket.io.min.js"]
    size = sum(len(gzip.compress(f.read_bytes(), 9)) for f in files)
    assert size <= WIDGET_BUDGET, f"widget is {size} bytes gzipped"
    source = (static / "widget" / "widget.js").read_text(encoding="utf-8")
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source and "eval(" not in source


def test_vendored_socket_io_matches_the_pinned_package() -> None:
    package = json.loads((REPO / "web" / "package.json").read_text())
    version = package["dependencies"]["socket.io-client"]
    vendored = (REPO / "web" / "static" / "vendor" / "socket.io.min.js").read_text(encoding="utf-8")
    assert f"Socket.IO v{version}" in vendored[:200]
    assert Path(REPO / "web" / "static" / "vendor" / "socket.io-client.LICENSE").exists()


def test_new_conversation_starts_a_new_session(web: WebApp, fake_rasa: FakeRasa, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, web.url + "/")
    ask(page, "nộp ở đâu")
    expect(answers(page)).to_have_count(1)
    first = stored(page)["session_id"]
    page.get_by_role("button", name="Cuộc trò chuyện mới").click()
    expect(page.locator(".tltt-intro")).to_be_visible()
    expect(answers(page)).to_have_count(0)
    assert wait_for(lambda: (stored(page)["session_id"] or first) != first)
    ask(page, "mất bao lâu")
    expect(answers(page)).to_have_count(1)
    assert [m["message"] for m in sent_by(fake_rasa, stored(page)["session_id"])] == ["mất bao lâu"]


def test_vendored_uplot_matches_the_pinned_package() -> None:
    package = json.loads((REPO / "web" / "package.json").read_text())
    installed = REPO / "web" / "node_modules" / "uplot"
    assert json.loads((installed / "package.json").read_text())["version"] == package["dependencies"]["uplot"]
    vendored = REPO / "web" / "static" / "vendor"
    assert (vendored / "uplot.min.js").read_bytes() == (installed / "dist" / "uPlot.iife.min.js").read_bytes()
    assert (vendored / "uplot.LICENSE").exists()
