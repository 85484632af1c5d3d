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
from playwright.sync_api import expect

from tests.conftest import identity_digits
from tests.integration.stack import Stack
from tests.integration.stack import stop_process_group
from tests.web.conftest import REPO, PageProbe, WebApp, new_page, start_web, wait_for
from tests.web.test_pages import sign_in
from tests.web.test_widget import answers, ask, open_widget, stored

pytestmark = pytest.mark.integration
INDEX = Path(os.environ.get("KNOWLEDGE_INDEX", REPO / "var" / "index")) / "manifest.json"  # as run-web reads it


@pytest.fixture(scope="module")
def stack_web(stack: Stack, tmp_path_factory) -> Iterator[WebApp]:
    app = start_web(Path(tmp_path_factory.mktemp("stack_web")), stack.rasa_url)
    try:
        yield app
    finally:
        stop_process_group(app.process)


def tracker_events(stack: Stack, session_id: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{stack.rasa_url}/conversations/{session_id}/tracker",
                         params={"token": "test-token"}, timeout=10)  # fmt: skip
    response.raise_for_status()
    return response.json()["events"]


def test_widget_answers_through_real_rasa(stack_web: WebApp, stack: Stack, probe: PageProbe) -> None:
    page = probe.page
    open_widget(page, stack_web.url + "/")
    ask(page, "làm giấy khai sinh cho con cần những giấy tờ gì")
    answer = answers(page).last
    # A procedure card, or the choice list when the engine asks which one: either names codes.
    expect(answer.locator(".tltt-card")).to_contain_text(re.compile(r"\d\.\d{6}"), timeout=30_000)
    session = stored(page)["session_id"]
    users = [e for e in tracker_events(stack, session) if e["event"] == "user"]
    assert users and users[0]["input_channel"] == "socketio"


def test_procedure_deep_link_through_real_rasa(stack_web: WebApp, probe: PageProbe) -> None:
    page = probe.page
    page.goto(stack_web.url + "/?thu_tuc=1.001193")
    expect(answers(page).last.locator(".tltt-card-meta")).to_contain_text("1.001193", timeout=30_000)


def test_dossier_deep_link_and_lookup(stack_web: WebApp, dossier_records: list[dict], probe: PageProbe) -> None:
    record = next(r for r in dossier_records if r["status_code"] == 4)  # the overdue one
    digits = identity_digits(4)
    page = probe.page
    page.goto(f"{stack_web.url}/?ma_ho_so={record['code']}")
    expect(answers(page).last).to_contain_text("4 số cuối", timeout=30_000)
    ask(page, digits)
    card = answers(page).last.locator(".tltt-dossier")
    expect(card).to_contain_text(record["code"], timeout=30_000)
    expect(card.locator(".tltt-badge")).to_be_visible()  # overdue
    assert digits not in page.content() and digits not in json.dumps(stored(page))


def test_assisted_chat_metadata_reaches_rasa(stack_web: WebApp, stack: Stack, browser: Any,
                                             tmp_path: Path) -> None:  # fmt: skip
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
