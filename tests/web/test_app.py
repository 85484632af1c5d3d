"""The web app without a browser (Starlette's test client): headers, pages, feedback API,
accounts, sign-in with CSRF, search and the assisted-session log."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from knowledge.text import fold
from web import accounts
from web.api import VOTES_PER_SESSION, FeedbackLimits
from web.app import create_app
from web.catalog import Catalog
from web.db import AssistedSession, Feedback, Volunteer
from web.ratelimit import SlidingWindow, retry_after
from web.settings import Settings

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "mot-mat-khau-du-dai"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        rasa_public_url="http://127.0.0.1:5005",
        knowledge_index=tmp_path / "no-index",
        database_url=f"sqlite:///{tmp_path / 'web.sqlite'}",
        secret_key="k" * 32,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, Catalog(settings.knowledge_index))
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def signed_in(client: TestClient) -> TestClient:
    with client.app.state.db() as db:
        accounts.create(db, "tnv.test", PASSWORD, ward="Phường Kinh Bắc")
    token = csrf_of(client.get("/volunteer").text)
    response = client.post(
        "/volunteer/login", data={"csrf_token": token, "name": "tnv.test", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303
    return client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the form"
    return match.group(1)


# --------------------------------------------------------------------------- headers and pages


@pytest.mark.parametrize("path", ["/", "/thu-tuc/1.001193", "/huong-dan", "/volunteer"])
def test_pages_have_strict_csp_and_no_inline_script(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "connect-src 'self' http://127.0.0.1:5005 ws://127.0.0.1:5005" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", response.text, re.S)
    assert scripts and all(body.strip() == "" for body in scripts)  # src only
    assert " style=" not in response.text and "<style" not in response.text


def test_widget_assets_can_be_embedded_elsewhere(client: TestClient) -> None:
    response = client.get("/static/widget/widget.js")
    assert response.status_code == 200 and response.headers["cross-origin-resource-policy"] == "cross-origin"
    config = client.get("/widget/config.json", headers={"Origin": "https://bacninh.gov.vn"})
    assert config.json() == {"socket_url": "http://127.0.0.1:5005", "socket_path": "/socket.io/"}
    assert config.headers["access-control-allow-origin"] == "*"


def test_procedure_page_content(client: TestClient) -> None:
    html = client.get("/thu-tuc/1.001193").text
    for part in (
        "Thủ tục đăng ký khai sinh",
        "Giấy tờ cần chuẩn bị",
        "Các bước thực hiện",
        "Lệ phí và thời hạn",
        "Nộp ở đâu",
        "Nộp trực tuyến",
        "/thu-tuc/1.001193/qr.svg",
        'href="/?thu_tuc=1.001193"',
        "https://dichvucong.gov.vn/",
    ):
        assert part in html, part


@pytest.mark.parametrize("path", ["/thu-tuc/9.999999", "/thu-tuc/abc", "/thu-tuc/1.001193%3Cb%3E"])
def test_unknown_procedure_is_404(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_qr_code_is_plain_svg_of_the_page_url(client: TestClient, settings: Settings) -> None:
    response = client.get("/thu-tuc/1.001193/qr.svg")
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in response.content and b"<script" not in response.content
    assert client.get("/thu-tuc/9.999999/qr.svg").status_code == 404


# --------------------------------------------------------------------------- feedback


def feedback(client: TestClient, **fields: object) -> int:
    body = {
        "session_id": "abc123",
        "message_id": "m1",
        "rating": "up",
        "procedure_code": "1.001193",
        "payload_type": "procedure",
        "aspect": "fees",
        "lang": "vi",
        **fields,
    }
    return client.post("/api/feedback", json=body).status_code


def stored_feedback(client: TestClient) -> list[Feedback]:
    with client.app.state.db() as db:
        return list(db.scalars(select(Feedback)))


def test_feedback_stores_one_vote_per_answer_with_digits_masked(client: TestClient) -> None:
    assert feedback(client) == 201
    assert feedback(client, rating="down", reason="outdated", comment="Số tôi 0912 345 678, phí  đã tăng") == 201
    rows = stored_feedback(client)
    assert len(rows) == 1  # the changed vote replaced the first
    row = rows[0]
    assert (row.rating, row.reason, row.procedure_code, row.aspect) == ("down", "outdated", "1.001193", "fees")
    assert "0912" not in row.comment and "phí đã tăng" in row.comment
    assert row.session_hash != "abc123" and len(row.session_hash) == 64


@pytest.mark.parametrize(
    "bad",
    [
        {"rating": "meh"},
        {"reason": "spam"},
        {"session_id": "<x>"},
        {"procedure_code": "drop table"},
        {"aspect": "A" * 40},
        {"comment": 5},
    ],
)
def test_feedback_rejects_bad_fields(client: TestClient, bad: dict) -> None:
    assert feedback(client, **bad) == 400
    assert stored_feedback(client) == []


def test_feedback_accepts_cross_origin_preflight(client: TestClient) -> None:
    response = client.options(
        "/api/feedback", headers={"Origin": "https://phuong.example.vn", "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 204 and "POST" in response.headers["access-control-allow-methods"]
    assert client.post("/api/feedback", content=b"x" * 5000).status_code == 413


def test_feedback_is_rate_limited_per_session(client: TestClient) -> None:
    for n in range(VOTES_PER_SESSION):
        assert feedback(client, message_id=f"m{n}") == 201
    response = client.post(
        "/api/feedback",
        json={"session_id": "abc123", "message_id": "late", "rating": "up"},
        headers={"Origin": "https://phuong.example.vn"},
    )
    assert response.status_code == 429
    body = response.json()
    assert body["error"] == "too_many_requests" and "vui lòng thử lại" in body["message"]
    assert "try again" in body["message_en"] and 1 <= body["retry_after"] <= 600
    assert response.headers["retry-after"] == str(body["retry_after"])
    assert response.headers["access-control-allow-origin"] == "*"  # the cross-origin widget can read it
    assert len(stored_feedback(client)) == VOTES_PER_SESSION
    assert feedback(client, session_id="other-session", message_id="m1") == 201  # others still vote


def test_feedback_is_rate_limited_per_client_address(client: TestClient) -> None:
    client.app.state.feedback_limits = FeedbackLimits(per_client=3)
    assert [feedback(client, session_id=f"s{n}") for n in range(4)] == [201, 201, 201, 429]
    assert feedback(client, session_id="<x>") == 429  # counted before the body is even read
    assert len(stored_feedback(client)) == 3


def test_sliding_window_forgets_old_hits() -> None:
    window = SlidingWindow(limit=2, seconds=1)
    assert window.hit("a") == 0 and window.hit("a") == 0
    assert 0 < window.hit("a") <= 1
    assert window.hit("b") == 0  # other keys are counted apart
    time.sleep(1.1)
    assert window.hit("a") == 0  # the old hits slid out
    assert retry_after(0.2) == 1 and retry_after(59.1) == 60


# --------------------------------------------------------------------------- accounts and sign-in


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_account_rules_and_sign_in_delay(client: TestClient) -> None:
    clock = Clock()
    delays = accounts.SignInDelays(clock)
    with client.app.state.db() as db:
        with pytest.raises(accounts.AccountError):
            accounts.create(db, "tnv", "short")
        with pytest.raises(accounts.AccountError):
            accounts.create(db, "Bad Name!", PASSWORD)
        volunteer = accounts.create(db, "tnv.a", PASSWORD)
        assert volunteer.password_hash.startswith("$argon2id$") and PASSWORD not in volunteer.password_hash
        with pytest.raises(accounts.AccountError):
            accounts.create(db, "TNV.A", PASSWORD)
        assert accounts.authenticate(db, "tnv.a", PASSWORD, delays) is not None
        for _ in range(accounts.FREE_FAILURES):
            assert accounts.authenticate(db, "tnv.a", "wrong-password", delays) is None
        waits = []
        for _ in range(7):  # each try inside the delay is refused, even with the right password
            with pytest.raises(accounts.TooSoon) as soon:
                accounts.authenticate(db, "tnv.a", PASSWORD, delays)
            waits.append(soon.value.wait)
            clock.now += soon.value.wait
            assert accounts.authenticate(db, "tnv.a", "wrong-password", delays) is None
        assert waits == [2, 4, 8, 16, 32, 60, 60]  # doubling, at most a minute
        clock.now += 60
        assert accounts.authenticate(db, "tnv.a", PASSWORD, delays) is not None  # the owner gets in
        assert accounts.authenticate(db, "tnv.a", "wrong-password", delays) is None  # and the count restarted
        assert accounts.authenticate(db, "tnv.a", PASSWORD, delays) is not None
        for _ in range(accounts.FREE_FAILURES):  # unknown names wait alike: the delay reveals no name
            assert accounts.authenticate(db, "nobody", PASSWORD, delays) is None
        with pytest.raises(accounts.TooSoon):
            accounts.authenticate(db, "nobody", PASSWORD, delays)


def test_accounts_cli(settings: Settings) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "WEB_DATABASE_URL": settings.database_url,
        "WEB_SECRET_KEY": "x",
    }

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "web.accounts", *args],
            input=stdin,
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )

    created = run("create", "tnv.cli", "--ward", "Xã Tiên Du", "--password-stdin", stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert run("create", "tnv.cli", "--password-stdin", stdin=PASSWORD + "\n").returncode == 1
    assert "tnv.cli\tXã Tiên Du\tactive" in run("list").stdout
    assert run("disable", "tnv.cli").returncode == 0
    assert "disabled" in run("list").stdout


def test_sign_in_needs_csrf_token(client: TestClient) -> None:
    with client.app.state.db() as db:
        accounts.create(db, "tnv.b", PASSWORD)
    client.get("/volunteer")
    no_token = client.post("/volunteer/login", data={"name": "tnv.b", "password": PASSWORD}, follow_redirects=False)
    assert no_token.status_code == 403
    token = csrf_of(client.get("/volunteer").text)
    wrong = client.post("/volunteer/login", data={"csrf_token": token, "name": "tnv.b", "password": "x" * 12})
    assert wrong.status_code == 401
    foreign = client.post(
        "/volunteer/login",
        data={"csrf_token": token, "name": "tnv.b", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert foreign.status_code == 403


def test_sign_out_kills_copied_cookies(signed_in: TestClient) -> None:
    cookie = signed_in.cookies.get("tltt_session")
    page = signed_in.get("/volunteer")
    assert "Tìm thủ tục" in page.text
    signed_in.post("/volunteer/logout", data={"csrf_token": csrf_of(page.text)})
    signed_in.cookies.set("tltt_session", cookie)  # replaying the old cookie
    assert "Đăng nhập tình nguyện viên" in signed_in.get("/volunteer").text


# --------------------------------------------------------------------------- search and log


def test_search_is_accent_insensitive_and_filters(signed_in: TestClient) -> None:
    plain = signed_in.get("/volunteer", params={"q": "so do"}).text
    accented = signed_in.get("/volunteer", params={"q": "sổ đỏ"}).text
    codes = re.findall(r'href="/thu-tuc/(\d\.\d{6})"', plain)
    assert codes and codes == re.findall(r'href="/thu-tuc/(\d\.\d{6})"', accented)
    catalog: Catalog = signed_in.app.state.catalog
    for code in codes[:5]:  # each top result names "sổ đỏ" somewhere a resident would say it
        p = catalog.get(code)
        assert "so do" in fold(" ".join([p.title, *p.overlay.aliases, *p.overlay.questions_vi])), code
    filtered = signed_in.get("/volunteer", params={"q": "khai sinh", "level": "province"}).text
    for code in set(re.findall(r'href="/thu-tuc/(\d\.\d{6})"', filtered)):
        assert "province" in catalog.get(code).levels
    by_code = signed_in.get("/volunteer", params={"q": "1.001193"}).text
    assert set(re.findall(r'href="/thu-tuc/(\d\.\d{6})"', by_code)) == {"1.001193"}


def test_assisted_log_counts_and_csv(signed_in: TestClient) -> None:
    page = signed_in.get("/volunteer/chat", params={"thu_tuc": "1.001193"}).text
    assert 'data-assisted="true"' in page and 'value="1.001193"' in page
    token = csrf_of(page)
    for ward, outcome in [
        ("Phường Kinh Bắc", "filed_online"),
        ("Phường Kinh Bắc", "referred"),
        ("Xã Tiên Du", "not_yet"),
    ]:
        done = signed_in.post(
            "/volunteer/log",
            data={"csrf_token": token, "ward": ward, "outcome": outcome, "procedure_code": "1.001193"},
            follow_redirects=False,
        )
        assert done.status_code == 303
    bad = signed_in.post("/volunteer/log", data={"csrf_token": token, "ward": "Nowhere", "outcome": "not_yet"})
    assert bad.status_code == 400
    assert signed_in.post("/volunteer/log", data={"ward": "Xã Tiên Du", "outcome": "not_yet"}).status_code == 403
    with signed_in.app.state.db() as db:
        assert len(list(db.scalars(select(AssistedSession)))) == 3
        assert db.scalar(select(Volunteer)).name == "tnv.test"
    log = signed_in.get("/volunteer/log").text
    assert re.search(r"Phường Kinh Bắc</th><td>1</td><td>0</td><td>1</td><td>2</td>", log)
    export = signed_in.get("/volunteer/log.csv")
    assert export.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert sorted((r["phuong_xa"], r["ket_qua"]) for r in rows) == [
        ("Phường Kinh Bắc", "filed_online"),
        ("Phường Kinh Bắc", "referred"),
        ("Xã Tiên Du", "not_yet"),
    ]
