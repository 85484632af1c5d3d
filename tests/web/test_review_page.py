"""The review queue through the real web app: a 👎 in the widget's feedback joins the question it
answered (by the conversation's keyed hash), and an admin labels questions in Chromium (a procedure
found with the search box, out of scope), undoes a label and skips one; axe finds nothing serious."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from analytics import review, store
from tests.integration.staff_client import StaffClient
from tests.test_analytics import answered, bot, user
from tests.web.conftest import FakeRasa, WebApp, new_page, sign_in_staff, start_web, stop_process_group
from tests.web.test_pages import axe_violations

ADMIN, PASSWORD = "qt.duyet", "mat-khau-quan-tri-2"
KEY = "review-page-privacy-key"
BIRTH = "1.001193"
VOTED = "khai sinh cho con cần gì"
UNANSWERED = "xin giấy phép nuôi rồng"
ELSEWHERE = "thủ tục cấp phép bay flycam"
SESSION = "widgetsession0001"


@pytest.fixture(scope="module")
def review_web(tmp_path_factory: pytest.TempPathFactory, fake_rasa: FakeRasa) -> Iterator[tuple[WebApp, str]]:
    workdir = Path(tmp_path_factory.mktemp("review_web"))
    url = f"sqlite:///{workdir / 'analytics.sqlite'}"
    recorder = store.TurnRecorder(url, KEY)
    now = time.time()
    recorder.observe(SESSION, answered(BIRTH, now - 60, VOTED))
    for n, text in enumerate([UNANSWERED, UNANSWERED, ELSEWHERE]):
        recorder.observe(
            f"other-{n}", [user(text, "ask_procedure", now - 50 + n), bot({"type": "no_answer"}, now - 49 + n)]
        )
    recorder.flush()
    web = start_web(workdir, fake_rasa.url, ANALYTICS_DATABASE_URL=url, PRIVACY_KEY=KEY)
    try:
        created = web.accounts("create", ADMIN, "--role", "admin", "--password-stdin", password=PASSWORD + "\n")
        assert created.returncode == 0, created.stderr
        yield web, url
    finally:
        stop_process_group(web.process)


def test_a_down_vote_in_the_widget_puts_its_question_in_the_queue(review_web: tuple[WebApp, str]) -> None:
    web, _ = review_web
    staff = StaffClient(web.url)
    staff.login(ADMIN, PASSWORD)
    before = {q["text"]: q for q in staff.get("/staff/api/review")}
    assert VOTED not in before  # answered, no vote yet
    assert before[UNANSWERED]["count"] == 2 and before[UNANSWERED]["status"] == "no_answer"
    vote = {"session_id": SESSION, "message_id": "m1", "rating": "down", "reason": "wrong",
            "procedure_code": BIRTH, "payload_type": "procedure", "aspect": "documents", "lang": "vi"}  # fmt: skip
    assert httpx.post(f"{web.url}/api/feedback", json=vote, timeout=10).status_code == 201
    after = {q["text"]: q for q in staff.get("/staff/api/review")}
    assert after[VOTED]["status"] == "feedback_down" and after[VOTED]["count"] == 1


def test_an_admin_labels_undoes_and_skips_in_the_browser(
    review_web: tuple[WebApp, str], browser: Any, axe_source: str, artifacts: Path
) -> None:
    web, url = review_web
    probe = new_page(browser, bypass_csp=False)
    page = probe.page
    try:
        sign_in_staff(page, web.url, ADMIN, PASSWORD)
        page.goto(web.url + "/staff/review")
        unanswered = page.locator(".review-item", has_text=UNANSWERED)
        expect(unanswered).to_contain_text("2 lượt · Chưa trả lời được")

        unanswered.get_by_role("button", name="Ngoài phạm vi").click()
        expect(unanswered).to_contain_text("Đã gắn nhãn: ngoài phạm vi")
        assert [r["label"] for r in review.standing(store.make_engine(url)) if r["text"] == UNANSWERED] == [
            "out_of_scope"
        ]
        unanswered.get_by_role("button", name="Hoàn tác").click()
        expect(
            page.locator(".review-item", has_text=UNANSWERED).get_by_role("button", name="Ngoài phạm vi")
        ).to_be_visible()
        assert not [r for r in review.standing(store.make_engine(url)) if r["text"] == UNANSWERED]

        voted = page.locator(".review-item", has_text=VOTED)
        voted.get_by_role("button", name="Tìm").click()  # the search box starts with the question itself
        voted.get_by_role("button", name=f"Đúng thủ tục {BIRTH}").click()
        expect(voted).to_contain_text(f"Đã gắn nhãn: đúng thủ tục {BIRTH}")
        page.locator(".review-item", has_text=ELSEWHERE).get_by_role("button", name="Bỏ qua").click()
        expect(page.locator(".review-item", has_text=ELSEWHERE)).to_have_count(0)
        page.screenshot(path=str(artifacts / "review-queue-1280x800.png"), full_page=True)
        assert probe.errors == [] and probe.csp_violations == []
    finally:
        page.context.close()
    labels = {r["text"]: (r["label"], r["code"]) for r in review.standing(store.make_engine(url))}
    assert labels == {VOTED: ("procedure", BIRTH)}  # skipped and undone questions carry no label
    staff = StaffClient(web.url)
    staff.login(ADMIN, PASSWORD)
    assert {q["text"] for q in staff.get("/staff/api/review")} == {UNANSWERED, ELSEWHERE}

    scan = new_page(browser, bypass_csp=True)  # only to inject axe-core
    try:
        sign_in_staff(scan.page, web.url, ADMIN, PASSWORD)
        scan.page.goto(web.url + "/staff/review")
        expect(scan.page.locator(".review-item").first).to_be_visible()
        assert axe_violations(scan.page, axe_source) == []
    finally:
        scan.page.context.close()


def test_staff_who_are_not_admins_are_sent_back_to_their_console(review_web: tuple[WebApp, str]) -> None:
    web, _ = review_web
    assert httpx.get(f"{web.url}/staff/review", timeout=10, follow_redirects=False).headers["location"] == "/staff"


def admin_and_window(web: WebApp) -> tuple[StaffClient, dict[str, str]]:
    """A signed-in admin, and a date range holding the recorded turns."""
    staff = StaffClient(web.url)
    staff.login(ADMIN, PASSWORD)
    today = date.today()
    return staff, {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}


def test_the_open_data_export_has_the_figures_and_no_question(review_web: tuple[WebApp, str]) -> None:
    staff, window = admin_and_window(review_web[0])
    summary = staff.get("/staff/api/analytics/summary", **window)
    published = staff.get("/staff/api/analytics/open-data.json", **window)
    assert published["turns"] == summary["turns"] >= 4 and published["by_status"] == summary["by_status"]
    assert "unanswered" not in published and "unanswered_groups" not in published
    exported = staff.http.get("/staff/api/analytics/open-data.csv", params=window)
    rows = {(m, k): v for m, k, v in list(csv.reader(io.StringIO(exported.text)))[1:]}
    assert rows[("turns", "")] == str(summary["turns"])
    for question in (UNANSWERED, ELSEWHERE, VOTED):
        assert question not in exported.text and question not in json.dumps(published, ensure_ascii=False)


def test_the_summary_narrows_to_a_language_a_channel_or_a_centre(review_web: tuple[WebApp, str]) -> None:
    staff, window = admin_and_window(review_web[0])
    everything = staff.get("/staff/api/analytics/summary", **window)
    assert staff.get("/staff/api/analytics/summary", **window, language="vi")["turns"] == everything["turns"] >= 4
    assert staff.get("/staff/api/analytics/summary", **window, language="en")["turns"] == 0
    assert staff.get("/staff/api/analytics/summary", **window, channel="rest")["turns"] == everything["turns"]
    assert staff.get("/staff/api/analytics/summary", **window, channel="zalo")["turns"] == 0
    centre = staff.get("/staff/api/centres")[1]["key"]  # a ward's centre: none of these turns named a ward
    assert staff.get("/staff/api/analytics/summary", **window, centre=centre)["turns"] == 0
    for wrong in ({"language": "fr"}, {"channel": "fax"}, {"centre": "Phường Không Có"}):
        answer = staff.http.get("/staff/api/analytics/summary", params={**window, **wrong})
        assert answer.status_code == 400 and "error" in answer.json()
