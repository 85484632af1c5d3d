"""Fixtures for the web app tests: the real web app started by `scripts/run-web` on a free port,
a socket.io stand-in for Rasa (tests/web/fake_rasa.py) or the real stack, and a headless
Chromium from Debian driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.stack import REPO, TEST_HANDOFF_KEY, free_port, stop_process_group, wait_until_up

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts"


@dataclass
class FakeRasa:
    """tests/web/fake_rasa.py in its own process, so a test can cut the connection and restore it."""

    port: int
    log_file: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = dict(os.environ)
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.web.fake_rasa", "--port", str(self.port)],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until_up(f"{self.url}/_log", self.process, timeout=60, log=self.log_file)

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)
            self.process = None

    def received(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.url}/_log", timeout=5).json()

    def messages(self) -> list[dict[str, Any]]:
        return [r for r in self.received() if r["event"] == "user_uttered"]


@dataclass
class WebApp:
    url: str
    env: dict[str, str]
    process: subprocess.Popen
    log_file: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def accounts(self, *args: str, password: str | None = None) -> subprocess.CompletedProcess:
        """`python -m web.accounts ...` against this app's database."""
        return subprocess.run(
            [sys.executable, "-m", "web.accounts", *args],
            cwd=REPO,
            env=self.env,
            input=password,
            capture_output=True,
            text=True,
            timeout=60,
        )


def start_web(workdir: Path, rasa_url: str, **overrides: str) -> WebApp:
    port = int(overrides.pop("WEB_PORT", 0)) or free_port()
    env = {
        **os.environ,
        "WEB_PORT": str(port),
        "RASA_URL": rasa_url,
        "WEB_DATABASE_URL": f"sqlite:///{workdir / 'web.sqlite'}",
        "WEB_SECRET_KEY": "test-secret-key",
        # the handoff's database and key in the test's own folder, never var/
        "HANDOFF_DATABASE_URL": f"sqlite:///{workdir / 'handoff.sqlite'}",
        "HANDOFF_KEY": TEST_HANDOFF_KEY,
        **overrides,
    }
    env.pop("RASA_PUBLIC_URL", None)
    env.pop("WEB_PUBLIC_URL", None)
    log_file = workdir / "web.log"
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            [str(REPO / "scripts" / "run-web")],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{url}/healthz", process, timeout=120, log=log_file)
    return WebApp(url, env, process, log_file)


@pytest.fixture(scope="session")
def fake_rasa(tmp_path_factory) -> Iterator[FakeRasa]:
    workdir = Path(tmp_path_factory.mktemp("fake_rasa"))
    fake = FakeRasa(free_port(), workdir / "fake_rasa.log")
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="session")
def web(tmp_path_factory, fake_rasa: FakeRasa) -> Iterator[WebApp]:
    """The real web app (scripts/run-web), its widget talking to the socket.io stand-in."""
    app = start_web(Path(tmp_path_factory.mktemp("web")), fake_rasa.url)
    try:
        yield app
    finally:
        stop_process_group(app.process)


@pytest.fixture(scope="session")
def volunteer(web: WebApp) -> tuple[str, str]:
    name, password = "tnv.kinhbac", "mat-khau-du-dai-2026"
    done = web.accounts("create", name, "--ward", "Phường Kinh Bắc", "--password-stdin", password=password + "\n")
    assert done.returncode == 0, done.stderr
    return name, password


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium (browsers are never downloaded)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageProbe:
    """A page plus what it did that a test may want to assert on."""

    page: Any
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)


def new_page(browser: Any, width: int = 1280, height: int = 800, **options: Any) -> PageProbe:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    probe = PageProbe(page)
    page.on("dialog", lambda d: (probe.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: probe.errors.append(str(e)))
    page.on(
        "console",
        lambda m: m.type == "error" and "Content Security Policy" in m.text and probe.csp_violations.append(m.text),
    )
    return probe


@pytest.fixture
def probe(browser: Any) -> Iterator[PageProbe]:
    probe = new_page(browser)
    try:
        yield probe
    finally:
        probe.page.context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix web` (make does it for the tests)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def wait_for(predicate: Any, timeout: float = 15.0, interval: float = 0.2) -> Any:
    """Poll `predicate` (e.g. the stand-in's log) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def sign_in_staff(page: Any, web_url: str, name: str, password: str) -> None:
    """Sign in on /staff through its form, as staff do, and wait for the console."""
    from playwright.sync_api import expect

    page.goto(web_url + "/staff")
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Bàn trực trò chuyện")).to_be_visible()
