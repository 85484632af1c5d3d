"""Pages and the volunteer console in a real browser: sign-in, search, print, QR code,
guided chat and the assisted-session log; accessibility (axe-core) and screenshots."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from tests.web.conftest import FakeRasa, PageProbe, WebApp, new_page, wait_for

PAGES = {"home": "/", "procedure": "/thu-tuc/1.001193", "guide": "/huong-dan", "volunteer": "/volunteer"}
BLOCKING = ("serious", "critical")


def sign_in(page: Page, web: WebApp, volunteer: tuple[str, str]) -> None:
    page.goto(web.url + "/volunteer")
    page.get_by_label("Tên đăng nhập").fill(volunteer[0])
    page.get_by_label("Mật khẩu").fill(volunteer[1])
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Tìm thủ tục")).to_be_visible()


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    page.add_script_tag(content=axe_source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def test_volunteer_signs_in_and_finds_so_do(web: WebApp, volunteer: tuple[str, str], probe: PageProbe) -> None:
    page = probe.page
    sign_in(page, web, volunteer)
    page.get_by_label(re.compile("Tên thủ tục")).fill("so do")  # colloquial, typed without accents
    page.get_by_role("button", name="Tìm", exact=True).click()
    results = page.locator(".result")
    expect(results.first).to_be_visible()
    top = " ".join(results.nth(i).inner_text() for i in range(min(3, results.count())))
    assert "sổ đỏ" in top.lower() or "giấy chứng nhận quyền sử dụng đất" in top.lower(), top

    page.get_by_label("Lĩnh vực").select_option("Đất đai")
    page.get_by_label("Cấp thực hiện").select_option("commune")
    page.get_by_role("button", name="Tìm", exact=True).click()
    metas = page.locator(".result .meta").all_inner_texts()
    assert metas and all("Đất đai" in m for m in metas)
    assert probe.errors == [] and probe.csp_violations == []


def test_wrong_password_is_refused(web: WebApp, volunteer: tuple[str, str], probe: PageProbe) -> None:
    page = probe.page
    page.goto(web.url + "/volunteer")
    page.get_by_label("Tên đăng nhập").fill(volunteer[0])
    page.get_by_label("Mật khẩu").fill("not-the-password")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_contain_text("không đúng")
    expect(page.get_by_role("heading", name="Tìm thủ tục")).to_have_count(0)


def test_procedure_page_prints_on_one_a4_page(web: WebApp, probe: PageProbe, artifacts: Path) -> None:
    page = probe.page
    page.goto(web.url + "/thu-tuc/1.013978")  # one of the longest checklists
    expect(page.get_by_role("heading", name="Giấy tờ cần chuẩn bị")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".site-head")).to_be_hidden()
    expect(page.locator(".tltt-launcher")).to_be_hidden()
    expect(page.locator(".actions")).to_be_hidden()
    expect(page.locator(".qr img")).to_be_visible()
    pdf = page.pdf(format="A4")
    (artifacts / "thu-tuc-1.013978-print.pdf").write_bytes(pdf)
    assert pdf_pages(pdf) == 1


def test_qr_code_opens_the_procedure_page(web: WebApp, browser: Any) -> None:
    probe = new_page(browser, device_scale_factor=2)
    page = probe.page
    try:
        page.goto(web.url + "/thu-tuc/1.001193")
        shot = page.locator(".qr img").screenshot()
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)).convert("L"))
        assert [b.text for b in found] == [f"{web.url}/thu-tuc/1.001193"]
        assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    finally:
        page.context.close()


def test_guided_chat_and_session_log(
    web: WebApp, fake_rasa: FakeRasa, volunteer: tuple[str, str], probe: PageProbe
) -> None:
    page = probe.page
    sign_in(page, web, volunteer)
    page.get_by_label(re.compile("Tên thủ tục")).fill("1.001193")
    page.get_by_role("button", name="Tìm", exact=True).click()
    page.get_by_role("link", name="Bắt đầu trò chuyện có hướng dẫn").first.click()
    expect(page.get_by_role("heading", name=re.compile("Trò chuyện có hướng dẫn"))).to_be_visible()
    chat = page.locator("#guided-chat")
    expect(chat.locator(".tltt-subtitle")).to_have_text("Chế độ tình nguyện viên")
    expect(chat.locator(".tltt-bot .tltt-card-meta")).to_contain_text("1.001193")
    session = page.evaluate("JSON.parse(localStorage.getItem('tltt.chat.v1.assisted')).session_id")
    sent = wait_for(lambda: [m for m in fake_rasa.messages() if m["session_id"] == session])
    assert sent[0]["metadata"] == {"ui_language": "vi", "assisted": True}

    expect(page.get_by_label("Phường/xã của người dân")).to_have_value("Phường Kinh Bắc")
    expect(page.get_by_label("Mã thủ tục")).to_have_value("1.001193")
    page.get_by_label("Đã nộp trực tuyến").check()
    page.get_by_role("button", name="Lưu phiên").click()
    expect(page.get_by_role("status").filter(has_text="Đã lưu")).to_be_visible()
    row = page.locator("table.counts tbody tr", has_text="Phường Kinh Bắc")
    expect(row.locator("td").first).to_have_text(re.compile(r"^[1-9]\d*$"))

    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    export = httpx.get(web.url + "/volunteer/log.csv", cookies=cookies, timeout=10)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert {"phuong_xa": "Phường Kinh Bắc", "ma_thu_tuc": "1.001193", "ket_qua": "filed_online"}.items() <= rows[
        0
    ].items()


def test_console_needs_sign_in(web: WebApp) -> None:
    for path in ("/volunteer/chat", "/volunteer/log", "/volunteer/log.csv"):
        response = httpx.get(web.url + path, follow_redirects=False, timeout=10)
        assert response.status_code == 303 and response.headers["location"] == "/volunteer", path


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violations(web: WebApp, browser: Any, axe_source: str, name: str) -> None:
    probe = new_page(browser, bypass_csp=True)  # only to inject axe-core
    page = probe.page
    try:
        page.goto(web.url + PAGES[name])
        if name != "volunteer":
            expect(page.locator(".tltt-launcher")).to_be_visible()
        assert axe_violations(page, axe_source) == []
    finally:
        page.context.close()


def test_no_serious_accessibility_violations_in_open_widget(
    web: WebApp, browser: Any, axe_source: str, volunteer: tuple[str, str]
) -> None:
    probe = new_page(browser, bypass_csp=True)
    page = probe.page
    try:
        page.goto(web.url + "/")
        page.click(".tltt-launcher")
        page.fill("#tltt-input", "làm giấy khai sinh cần gì")
        page.press("#tltt-input", "Enter")
        expect(page.locator(".tltt-card")).to_be_visible()
        page.locator(".tltt-bot .tltt-vote").nth(1).click()  # the reason form too
        assert axe_violations(page, axe_source) == []
        sign_in(page, web, volunteer)
        page.get_by_label(re.compile("Tên thủ tục")).fill("khai sinh")
        page.get_by_role("button", name="Tìm", exact=True).click()
        assert axe_violations(page, axe_source) == []
    finally:
        page.context.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (360, 740), (640, 400)])
def test_screenshots_and_no_sideways_scrolling(
    web: WebApp, browser: Any, artifacts: Path, width: int, height: int
) -> None:
    probe = new_page(browser, width, height)
    page = probe.page
    try:
        for name, path in PAGES.items():
            page.goto(web.url + path)
            page.wait_for_load_state("load")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
            if (width, height) != (640, 400):
                page.screenshot(path=artifacts / f"{name}-{width}x{height}.png", full_page=True)
        page.goto(web.url + "/")
        page.click(".tltt-launcher")
        page.fill("#tltt-input", "làm giấy khai sinh cần gì")
        page.press("#tltt-input", "Enter")
        expect(page.locator(".tltt-card")).to_be_visible()
        page.screenshot(path=artifacts / f"widget-{width}x{height}.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        page.context.close()
