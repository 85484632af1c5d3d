"""Turn records through the real servers: scripted conversations of known outcome over REST, then
the summary (the store's and the web app's endpoint, JSON and CSV) counts exactly those turns, and
no store or log holds the ID number or phone number typed along the way."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from analytics import store
from analytics.turns import ANSWER_STATUS
from tests.conftest import identity_digits
from tests.integration.stack import Stack, payloads
from tests.integration.staff_client import StaffClient
from tests.web.conftest import WebApp, new_page, sign_in_staff, start_web, stop_process_group
from tests.web.test_pages import axe_violations

pytestmark = pytest.mark.integration
ADMIN, PASSWORD = "qt.tinh", "mat-khau-quan-tri-1"
ID_NUMBER, PHONE = "001203009876", "0912 777 654"
REPEATS = 14  # 14 turns a round: 196 turns of known outcome
BIRTH_QUESTION = "làm giấy khai sinh cho con cần những giấy tờ gì"
DRAGONS, DRAGONS_PLAIN = "xin giấy phép nuôi rồng ở sao hỏa", "xin giay phep nuoi rong o sao hoa"


def expected_status(intent_hint: str, replies: list[dict]) -> str:
    """What the client saw, read with the payload contract (the records read the tracker instead)."""
    for custom in payloads(replies):
        status = ANSWER_STATUS.get(custom.get("type", ""))
        if status == "no_answer" and intent_hint == "out_of_scope":
            return "out_of_scope"
        if status:
            return status
    return "other"


@pytest.fixture(scope="module")
def admin_web(stack: Stack, tmp_path_factory) -> Iterator[WebApp]:
    workdir = Path(tmp_path_factory.mktemp("analytics_web"))
    web = start_web(
        workdir,
        stack.rasa_url,
        ANALYTICS_DATABASE_URL=stack.env["DATABASE_URL"],
        HANDOFF_DATABASE_URL=stack.env["HANDOFF_DATABASE_URL"],
        RASA_TOKEN=stack.env["RASA_TOKEN"],
    )
    try:
        created = web.accounts("create", ADMIN, "--role", "admin", "--password-stdin", password=PASSWORD + "\n")
        assert created.returncode == 0, created.stderr
        yield web
    finally:
        stop_process_group(web.process)


def test_the_summary_counts_the_turns_of_scripted_conversations(
    stack: Stack, admin_web: WebApp, dossier_records: list[dict]
) -> None:
    engine = store.make_engine(stack.env["DATABASE_URL"])
    today = date.today()
    before = store.summary(engine, today - timedelta(days=1), today + timedelta(days=1))
    record = dossier_records[2]
    scripts = [
        [(BIRTH_QUESTION, ""), ("không phải", ""), ("lệ phí bao nhiêu", "")],
        [("đăng ký kết hôn ở đâu", ""), (f"căn cước của tôi là {ID_NUMBER}", "")],
        [(DRAGONS, ""), ("thời tiết hôm nay thế nào", "out_of_scope"), (DRAGONS_PLAIN, "")],
        [(f"tra cứu hồ sơ {record['code']}", ""), (identity_digits(3), "")],
        [("cho tôi gặp cán bộ", ""), ("không", "")],
        [("how do I register a birth", ""), (f"my phone is {PHONE}", "")],
    ]
    seen: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    answered_in: dict[str, str] = {}  # a conversation -> the code of its first answer
    for script in scripts * REPEATS:
        sender = f"analytics-{uuid.uuid4().hex[:8]}"
        for text, hint in script:
            replies = stack.say(sender, text)
            seen[expected_status(hint, replies)] += 1
            found = [p["code"] for p in payloads(replies) if p.get("type") == "procedure"]
            codes.update(found)
            if found and text == BIRTH_QUESTION:
                answered_in.setdefault(sender, found[0])
    assert sum(seen.values()) >= 190  # ~200 scripted turns
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        after = store.summary(engine, today - timedelta(days=1), today + timedelta(days=1))
        if after["turns"] - before["turns"] >= sum(seen.values()):
            break
        time.sleep(0.2)
    added = Counter(after["by_status"]) - Counter(before["by_status"])
    assert after["turns"] - before["turns"] == sum(seen.values())
    assert added == seen
    assert after["conversations"] - before["conversations"] == len(scripts) * REPEATS

    staff = StaffClient(admin_web.url)
    staff.login(ADMIN, PASSWORD)
    window = {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    shown = staff.get("/staff/api/analytics/summary", **window)
    assert shown["turns"] == after["turns"] and shown["by_status"] == after["by_status"]
    earlier = {p["code"]: p["count"] for p in before["top_procedures"]}
    now = {p["code"]: p["count"] for p in shown["top_procedures"]}
    for code, count in codes.items():
        if code in now and code in earlier:  # both in the top 20: the difference is these scripts' answers
            assert now[code] - earlier[code] == count, code
    assert {"text", "count"} <= set(shown["unanswered"][0])
    [dragons] = [g for g in shown["unanswered_groups"] if DRAGONS in {q["text"] for q in g["questions"]}]
    assert {q["text"] for q in dragons["questions"]} == {DRAGONS, DRAGONS_PLAIN}  # one question, typed two ways
    assert dragons["count"] == sum(q["count"] for q in dragons["questions"]) >= 2 * REPEATS

    # a 👎 from the widget joins the question it answered: it waits in the review queue
    sender, code = next(iter(answered_in.items()))
    vote = {"session_id": sender, "message_id": "m1", "rating": "down", "reason": "not_asked",
            "procedure_code": code, "payload_type": "procedure", "aspect": "documents", "lang": "vi"}  # fmt: skip
    assert httpx.post(f"{admin_web.url}/api/feedback", json=vote, timeout=10).status_code == 201
    voted = {q["text"]: q["status"] for q in staff.get("/staff/api/review", reason="feedback_down")}
    assert voted[BIRTH_QUESTION] == "feedback_down" and DRAGONS not in voted
    assert {q["text"]: q["status"] for q in staff.get("/staff/api/review")}[DRAGONS] == "no_answer"
    exported = list(csv.reader(io.StringIO(staff.http.get("/staff/api/analytics/summary.csv", params=window).text)))
    as_csv = {(m, k): v for m, k, v in exported[1:]}
    assert as_csv[("turns", "")] == str(shown["turns"])
    assert all(as_csv[("by_status", s)] == str(n) for s, n in shown["by_status"].items())

    actions_metrics = httpx.get(f"{stack.actions_url}/metrics", timeout=10).text
    answered = re.search(
        r'assistant_action_seconds_count\{action="action_answer_procedure"\} ([\d.]+)', actions_metrics
    )
    assert answered and float(answered.group(1)) >= seen["answered"]
    assert re.search(r"assistant_index_procedures [1-9]", actions_metrics)
    assert "assistant_search_seconds_bucket" in actions_metrics

    stored = stack.stored_bytes() + b"".join(
        p.read_bytes() for p in Path(admin_web.env["WEB_DATABASE_URL"][10:]).parent.glob("*") if p.is_file()
    )
    for secret in (ID_NUMBER, PHONE.replace(" ", ""), PHONE):
        assert secret.encode() not in stored, f"{secret} in a store or log"


def test_the_dashboard_renders_its_chart_and_tables(
    stack: Stack, admin_web: WebApp, browser: Any, axe_source: str, artifacts: Path
) -> None:
    stack.say(f"analytics-{uuid.uuid4().hex[:8]}", "làm giấy khai sinh cho con cần những giấy tờ gì")
    probe = new_page(browser, bypass_csp=False)
    page = probe.page
    try:
        sign_in_staff(page, admin_web.url, ADMIN, PASSWORD)
        page.goto(admin_web.url + "/staff/analytics")
        # a first load embeds the unanswered questions to group them: seconds on a busy machine
        expect(page.locator("#totals tbody tr").first).to_contain_text("Lượt hỏi", timeout=15_000)
        expect(page.locator("#days-chart canvas")).to_have_count(1)  # uPlot drew the turns per day
        expect(page.locator("#outcome-chart canvas")).to_have_count(1)  # and the answered / unanswered ones
        today_row = page.locator("#outcome tbody tr", has_text=date.today().isoformat())
        shown = default_summary(admin_web)["per_day"][-1]
        expect(today_row.locator("td").nth(0)).to_have_text(str(shown["answered"]))
        expect(today_row.locator("td").nth(1)).to_have_text(str(shown["unanswered"]))
        expect(page.locator("#by-status tbody")).to_contain_text("Đã trả lời")
        turns = int(page.locator("#totals tbody tr").first.locator("td").inner_text())
        assert turns == default_summary(admin_web)["turns"]
        page.screenshot(path=str(artifacts / "analytics-dashboard-1280x800.png"), full_page=True)
        assert probe.errors == [] and probe.csp_violations == []
    finally:
        page.context.close()
    scan = new_page(browser, bypass_csp=True)  # only to inject axe-core
    try:
        sign_in_staff(scan.page, admin_web.url, ADMIN, PASSWORD)
        scan.page.goto(admin_web.url + "/staff/analytics")
        expect(scan.page.locator("#days-chart canvas")).to_have_count(1)
        assert axe_violations(scan.page, axe_source) == []
    finally:
        scan.page.context.close()


def default_summary(web: WebApp) -> dict:
    staff = StaffClient(web.url)
    staff.login(ADMIN, PASSWORD)
    today = date.today()
    return staff.get(
        "/staff/api/analytics/summary", **{"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}
    )
