"""The widget and the volunteer search against the real servers: Rasa (socket.io channel),
the action server and the knowledge index. Needs `make setup` (model + index)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from bot.payloads import choose_payload
from tests.conftest import identity_digits
from tests.integration.stack import Stack, stop_process_group
from tests.web.conftest import REPO, PageProbe, WebApp, new_page, start_web, wait_for
from tests.web.test_pages import sign_in
from tests.web.test_widget import answers, ask, open_widget, press_until_focused, stored

pytestmark = pytest.mark.integration
INDEX = Path(os.environ.get("KNOWLEDGE_INDEX", REPO / "var" / "index")) / "manifest.json"  # as run-web reads it
WAIT = 30_000  # ms: a real turn goes through the NLU model, the action server and the knowledge index
QUESTION = "làm giấy khai sinh cho con cần những giấy tờ gì"
NOT_THAT_ONE = "không phải"  # after an answer: the engine offers the other candidates as choices


@pytest.fixture(scope="module")
def stack_web(stack: Stack, tmp_path_factory) -> Iterator[WebApp]:
    app = start_web(Path(tmp_path_factory.mktemp("stack_web")), stack.rasa_url, WEB_PORT=stack.env["WEB_PORT"])
    try:
        yield app
    finally:
        stop_process_group(app.process)


def tracker_events(stack: Stack, session_id: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{stack.rasa_url}/conversations/{session_id}/tracker", params={"token": "test-token"}, timeout=10
    )
    response.raise_for_status()
    return response.json()["events"]


def bot_messages(page: Page) -> list[dict[str, Any]]:
    return [m for m in stored(page)["messages"] if m["role"] == "bot"]


def reply(page: Page, number: int, kind: str) -> dict[str, Any]:
    """The payload of answer `number` (1-based) once it is shown; Rasa may send text and payload apart."""
    expect(answers(page)).to_have_count(number, timeout=WAIT)
    custom = wait_for(lambda: bot_messages(page)[number - 1].get("custom"), timeout=10)
    said = bot_messages(page)[number - 1]["texts"]
    assert custom and custom.get("type") == kind, f"answer {number} is not a {kind}: {custom} {said}"
    if kind == "procedure":
        expect(answers(page).nth(number - 1).locator(".tltt-card-meta")).to_contain_text(custom["code"])
    return custom


def user_texts(stack: Stack, session_id: str) -> list[str]:
    return [e["text"] for e in tracker_events(stack, session_id) if e["event"] == "user"]


def test_widget_answers_through_real_rasa(stack_web: WebApp, stack: Stack, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, stack_web.url + "/")
    ask(page, QUESTION)
    answer = reply(page, 1, "procedure")  # the birth registration's documents, on its card
    assert (answer["code"], answer["aspect"]) == ("1.001193", "documents")
    expect(answers(page).last.locator(".tltt-card-title")).to_have_text("Thủ tục đăng ký khai sinh")
    session = stored(page)["session_id"]
    users = [e for e in tracker_events(stack, session) if e["event"] == "user"]
    assert users and users[0]["input_channel"] == "socketio"


def test_choice_buttons_and_quick_replies_through_real_rasa(stack_web: WebApp, stack: Stack, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, stack_web.url + "/")
    ask(page, QUESTION)
    first = reply(page, 1, "procedure")
    ask(page, NOT_THAT_ONE)
    offered = reply(page, 2, "choices")["options"]
    assert 2 <= len(offered) <= 8 and first["code"] not in [o["code"] for o in offered]
    options = answers(page).nth(1).locator(".tltt-choices button")
    expect(options).to_have_count(len(offered))
    # Rasa sends the same options as buttons too: the widget shows them once, in the card.
    assert bot_messages(page)[1]["quick_replies"], "the real bot sent no buttons with its choices"
    expect(answers(page).nth(1).locator(".tltt-chips .tltt-chip")).to_have_count(0)
    picked = offered[1]
    options.nth(1).click()
    expect(page.locator(".tltt-user").last).to_contain_text(picked["title"])
    assert reply(page, 3, "procedure")["code"] == picked["code"]
    # A suggested follow-up (the widget's quick reply) asks about the procedure now in context.
    answers(page).nth(2).locator(".tltt-followups").get_by_role("button", name="Mất bao lâu?").click()
    answer = reply(page, 4, "procedure")
    assert (answer["code"], answer["aspect"]) == (picked["code"], "processing_time")
    expect(page.locator(".tltt-followups")).to_have_count(1)  # only under the latest answer
    session = stored(page)["session_id"]
    assert user_texts(stack, session) == [QUESTION, NOT_THAT_ONE, choose_payload(picked["code"]), "Mất bao lâu?"]
    assert probe.errors == []


def test_follow_up_question_keeps_the_procedure(stack_web: WebApp, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, stack_web.url + "/")
    ask(page, QUESTION)
    first = reply(page, 1, "procedure")
    assert first["aspect"] != "fees"
    ask(page, "lệ phí bao nhiêu")
    fees = reply(page, 2, "procedure")
    assert (fees["code"], fees["aspect"]) == (first["code"], "fees")
    expect(answers(page).nth(1).locator(".tltt-card-meta")).to_contain_text("Lệ phí")  # the widget's aspect label


def test_reload_keeps_history_and_conversation(stack_web: WebApp, stack: Stack, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, stack_web.url + "/")
    ask(page, QUESTION)
    code = reply(page, 1, "procedure")["code"]
    ask(page, "lệ phí bao nhiêu")
    reply(page, 2, "procedure")
    session = stored(page)["session_id"]
    page.reload()
    expect(page.locator(".tltt-panel")).to_be_visible()
    expect(page.locator(".tltt-user")).to_have_count(2)
    expect(page.locator(".tltt-user")).to_contain_text([QUESTION, "lệ phí bao nhiêu"])
    expect(answers(page).locator(".tltt-card-meta")).to_have_count(2)
    for meta in answers(page).locator(".tltt-card-meta").all():
        expect(meta).to_contain_text(code)
    expect(page.locator(".tltt-status")).to_have_class(re.compile(r"\btltt-online\b"), timeout=WAIT)
    assert stored(page)["session_id"] == session
    # Rasa kept the conversation too: a bare follow-up still refers to the same procedure.
    ask(page, "mất bao lâu")
    answer = reply(page, 3, "procedure")
    assert (answer["code"], answer["aspect"]) == (code, "processing_time")
    assert user_texts(stack, session) == [QUESTION, "lệ phí bao nhiêu", "mất bao lâu"]


def test_keyboard_only_through_real_rasa(stack_web: WebApp, stack: Stack, probe: PageProbe) -> None:
    page = probe.page
    page.goto(stack_web.url + "/")
    press_until_focused(page, "Tab", ".tltt-launcher", 40, "the chat launcher")
    page.keyboard.press("Enter")
    expect(page.locator("#tltt-input")).to_be_focused()
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    first = reply(page, 1, "procedure")
    page.keyboard.type(NOT_THAT_ONE)
    page.keyboard.press("Enter")
    reply(page, 2, "choices")
    # back from the input into the choices of the last answer
    press_until_focused(page, "Shift+Tab", ".tltt-choice", 20, "a choice button")
    label = page.evaluate("document.activeElement.textContent")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none", "focus must be visible"
    page.keyboard.press("Enter")
    picked = reply(page, 3, "procedure")
    assert picked["code"] != first["code"] and f"({picked['code']})" in label
    expect(page.locator("#tltt-input")).to_be_focused()  # not lost with the re-rendered buttons
    page.keyboard.press("Escape")
    expect(page.locator(".tltt-panel")).to_be_hidden()
    expect(page.locator(".tltt-launcher")).to_be_focused()
    assert user_texts(stack, stored(page)["session_id"])[-1] == choose_payload(picked["code"])


def test_procedure_deep_link_through_real_rasa(stack_web: WebApp, probe: PageProbe) -> None:
    page = probe.page
    page.goto(stack_web.url + "/?thu_tuc=1.001193")
    expect(answers(page).last.locator(".tltt-card-meta")).to_contain_text("1.001193", timeout=30_000)


def test_dossier_deep_link_and_lookup(stack_web: WebApp, dossier_records: list[dict], probe: PageProbe) -> None:
    record = next(r for r in dossier_records if r["status_code"] == 4)  # the overdue one
    digits = identity_digits(4)
    page = probe.page
    page.goto(f"{stack_web.url}/?ma_ho_so={record['code']}")
    expect(answers(page).last).to_contain_text("6 số cuối", timeout=30_000)
    ask(page, digits)
    card = answers(page).last.locator(".tltt-dossier")
    expect(card).to_contain_text(record["code"], timeout=30_000)
    expect(card.locator(".tltt-badge")).to_be_visible()  # overdue
    assert digits not in page.content() and digits not in json.dumps(stored(page))


def test_assisted_chat_metadata_reaches_rasa(stack_web: WebApp, stack: Stack, browser: Any, tmp_path: Path) -> None:
    name, password = "tnv.stack", "mat-khau-du-dai-stack"
    done = stack_web.accounts("create", name, "--password-stdin", password=password + "\n")
    assert done.returncode == 0, done.stderr
    probe = new_page(browser)
    page = probe.page
    try:
        sign_in(page, stack_web, (name, password))
        page.goto(stack_web.url + "/volunteer/chat?thu_tuc=1.001193&moi=1")
        expect(page.locator("#guided-chat .tltt-card-meta")).to_contain_text("1.001193", timeout=30_000)
        session = page.evaluate("JSON.parse(localStorage.getItem('tltt.chat.v1.assisted')).session_id")
        users = wait_for(lambda: [e for e in tracker_events(stack, session) if e["event"] == "user"])
        assert users[0]["metadata"].get("assisted") is True
    finally:
        page.context.close()


def test_volunteer_search_uses_the_knowledge_index(tmp_path: Path, browser: Any) -> None:
    if not INDEX.exists():
        pytest.fail(f"{INDEX} is missing: run `make setup` (make test does it for you)")
    app = start_web(tmp_path, "http://127.0.0.1:9")
    try:
        assert wait_for(lambda: httpx.get(app.url + "/healthz").json()["knowledge"] == "index", timeout=180)
        done = app.accounts("create", "tnv.index", "--password-stdin", password="mat-khau-du-dai-index\n")
        assert done.returncode == 0, done.stderr
        probe = new_page(browser)
        try:
            sign_in(probe.page, app, ("tnv.index", "mat-khau-du-dai-index"))
            probe.page.goto(app.url + "/volunteer?q=lam+so+do+lan+dau")
            top = probe.page.locator(".result").first.inner_text().lower()
            assert "quyền sử dụng đất" in top or "sổ đỏ" in top, top
        finally:
            probe.page.context.close()
    finally:
        stop_process_group(app.process)
