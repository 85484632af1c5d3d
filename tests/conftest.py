"""Shared test fixtures: where the repository and the real third-party data are, and the one
real stack (action server + Rasa server) that integration and browser tests share."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.integration.stack import TEST_HANDOFF_KEY, Stack

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
CATALOG = SHARED_DATA / "dvc-procedures-2026.jsonl.gz"


def rasa_env(workdir: Path) -> dict[str, str]:
    """Environment for running a `rasa` command from the tests: what endpoints.yml reads, kept in `workdir`."""
    return {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TRACKER_DB": str(workdir / "tracker.db"),
        "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook",
    }


@pytest.fixture(autouse=True)
def fresh_dossier_settings() -> Iterator[None]:
    """dossiers.settings is read once per process: forget it around each test, so a test's
    monkeypatch.setenv("DATABASE_URL", ...) is what the code under test reads."""
    from dossiers.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def fresh_handoff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The handoff (handoff.conversation.handoff) is built once per process: each test gets its
    own database, the test key and centres that are always open."""
    from handoff.conversation import handoff
    from handoff.settings import handoff_settings

    monkeypatch.setenv("HANDOFF_DATABASE_URL", f"sqlite:///{tmp_path / 'handoff.sqlite'}")
    monkeypatch.setenv("HANDOFF_KEY", TEST_HANDOFF_KEY)
    monkeypatch.setenv("STAFF_HOURS", "always")
    handoff.cache_clear()
    handoff_settings.cache_clear()
    yield
    handoff.cache_clear()
    handoff_settings.cache_clear()


@pytest.fixture(scope="session")
def catalog_path() -> Path:
    if not CATALOG.exists():
        pytest.skip(f"real catalog not found at {CATALOG} (only present on project machines)")
    return CATALOG


def identity_digits(status: int) -> str:
    """Last 6 ID digits of the test dossier with this status: distinctive, so a scan finds leaks."""
    return str(730000 + status * 4711)


def _dossier_records() -> list[dict]:
    """One dossier per national status (1-10); digits and dates are test inputs."""
    today = date.today()
    records = []
    for status in range(1, 11):
        records.append(
            {
                "code": f"000.00.31.H04-{(today - timedelta(days=20)).strftime('%y%m%d')}-{status:04d}",
                "procedure_code": "1.001193",
                "procedure_title": "Thủ tục đăng ký khai sinh",
                "received_date": (today - timedelta(days=20)).isoformat(),
                # status 4 is overdue; the others are due in the future
                "appointment_date": (
                    today - timedelta(days=2) if status == 4 else today + timedelta(days=5)
                ).isoformat(),
                "status_code": status,
                "current_unit": "Bộ phận Một cửa xã An Lạc",
                "supplement": "Bản sao giấy chứng nhận kết hôn của cha mẹ" if status == 5 else None,
                "fee_paid": status != 6,
                "pickup_place": "Trung tâm Phục vụ hành chính công xã An Lạc",
                "applicant_name": "Nguyễn Văn An",
                "applicant_id_number": f"027195{identity_digits(status)}",
                "applicant_phone": "0912345678",
            }
        )
    return records


@pytest.fixture(scope="session")
def dossier_records() -> list[dict]:
    return _dossier_records()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, dossier_records) -> Stack:
    """One real action server + one real Rasa server for the whole test session."""
    for needed in (REPO / "models" / "assistant.tar.gz", REPO / "var" / "index" / "manifest.json"):
        if not needed.exists():
            pytest.fail(f"{needed} is missing: run `make setup` (make test does it for you)")
    workdir = Path(tmp_path_factory.mktemp("stack"))
    running = Stack.configure(workdir)
    source = workdir / "dossiers.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in dossier_records), encoding="utf-8")
    subprocess.run(
        [str(REPO / ".venv/bin/dossiers"), "import", str(source)], env=running.env, check=True, capture_output=True
    )
    try:
        running.start("actions")
        running.start("rasa")
        yield running
    finally:
        running.stop_all()


@dataclass
class RedisServer:
    """A real redis-server on a free loopback port, with no disk, that a test may restart."""

    directory: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            pytest.skip("redis-server not installed (apt-get install redis-server)")
        if not self.port:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                self.port = sock.getsockname()[1]
        command = [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", str(self.directory)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()
