"""HTTP backend against a real local server speaking the documented provincial API
(stdlib http.server in a thread, on a free 127.0.0.1 port)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from dossiers.db import ThrottleFailure, make_engine
from dossiers.http_backend import HttpBackend, HttpConfig
from dossiers.model import BackendUnavailable, Dossier, Locked, NotFound
from dossiers.throttle import SqlThrottleStore, ThrottlePolicy

TOKEN = "test-token"
CODE = "000.00.31.H04-250714-0012"
RECORD = {
    "code": CODE,
    "procedure_code": "1.004222",
    "procedure_title": "Đăng ký thường trú",
    "received_date": "2025-07-14",
    "appointment_date": "2025-07-23",
    "status_code": 6,
    "current_unit": "Công an phường Kinh Bắc",
    "supplement": None,
    "fee_paid": False,
    "pickup_place": "Bộ phận Một cửa UBND phường Kinh Bắc",
    "applicant_name": "Trần Thị Bích",  # the provincial system may send it clear
    "applicant_phone": "0987654321",
    "province_internal_id": 88123,  # extra fields are ignored
}


@dataclass
class FakeProvince:
    """State of the fake provincial system: dossiers, behaviour switches, request log."""

    dossiers: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    delay: float = 0.0
    fail_first: int = 0  # answer 503 to this many requests first
    body_override: str | None = None
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def make_handler(state: FakeProvince) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, payload: Any) -> None:
            body = payload if isinstance(payload, str) else json.dumps(payload)
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append((self.path, self.headers.get("Authorization", ""), body))
            if state.delay:
                state.release.wait(state.delay)
            if len(state.requests) <= state.fail_first:
                return self._send(503, {"error": "busy"})
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._send(401, {"error": "unauthorized"})
            parts = self.path.removeprefix("/api/v1").strip("/").split("/")
            if len(parts) != 3 or parts[0] != "dossiers" or parts[2] != "verify":
                return self._send(404, {"error": "not_found"})
            digits, record = state.dossiers.get(parts[1], (None, None))
            if record is None or body.get("id_last6") != digits:
                return self._send(404, {"error": "not_found"})
            return self._send(200, state.body_override or record)

    return Handler


@pytest.fixture
def province() -> Iterator[tuple[FakeProvince, str]]:
    state = FakeProvince(dossiers={CODE: ("567962", RECORD)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    state.release.set()  # wake slow handlers
    server.shutdown()
    server.server_close()


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2025, 9, 16, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def policy(tmp_path: Path) -> ThrottlePolicy:
    return ThrottlePolicy(SqlThrottleStore(make_engine(f"sqlite:///{tmp_path / 'throttle.sqlite'}")), clock=FakeClock())


def backend_for(base_url: str, policy: ThrottlePolicy, **config: Any) -> HttpBackend:
    return HttpBackend(HttpConfig(base_url=base_url, token=config.pop("token", TOKEN), **config), policy)


def test_verified_lookup_returns_masked_dossier(province: tuple[FakeProvince, str], policy: ThrottlePolicy) -> None:
    state, url = province
    result = backend_for(url, policy).lookup("000.00.31.h04 - 250714 - 0012", "001 234 567 962", "c1", "ip-1")
    assert isinstance(result, Dossier)
    assert (result.code, result.status_code, result.fee_paid) == (CODE, 6, False)
    assert result.applicant_name == "T*** T** B***" and result.applicant_phone == "09******21"
    path, auth, body = state.requests[0]
    assert path == f"/api/v1/dossiers/{CODE}/verify" and "567962" not in path  # digits only in the body
    assert auth == f"Bearer {TOKEN}" and body == {"id_last6": "567962"}  # never the whole ID number


def test_wrong_digits_and_unknown_code_are_both_not_found(
    province: tuple[FakeProvince, str], policy: ThrottlePolicy
) -> None:
    _, url = province
    backend = backend_for(url, policy)
    assert backend.lookup(CODE, "999999", "c2", "ip-2") == NotFound()
    assert backend.lookup("G22.39-250915-0123", "567962", "c3", "ip-3") == NotFound()


def test_throttle_applies_and_stops_calling_the_api(province: tuple[FakeProvince, str], policy: ThrottlePolicy) -> None:
    state, url = province
    backend = backend_for(url, policy)
    results = [backend.lookup(CODE, f"00000{n}", f"c4-{n}", "ip-4") for n in range(4)]  # new sender each time
    assert results[:3] == [NotFound()] * 3
    assert results[3] == Locked(policy.clock() + timedelta(seconds=30))
    assert isinstance(backend.lookup(CODE, "567962", "c4-new", "ip-4"), Locked)
    assert len(state.requests) == 3  # no check while a wait is pending


def test_slow_server_gives_backend_unavailable_within_3_seconds(
    province: tuple[FakeProvince, str], policy: ThrottlePolicy
) -> None:
    state, url = province
    state.delay = 10
    backend = backend_for(url, policy)  # default timeout 3 s, 2 retries
    assert backend.config.timeout == 3.0 and backend.config.retries == 2
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        backend.lookup(CODE, "567962", "c5", "ip-5")
    assert 2.5 <= time.monotonic() - started <= 3.5
    with Session(policy.store.engine) as session:
        assert session.scalar(select(func.count()).select_from(ThrottleFailure)) == 0  # not the citizen's fault


def test_server_down_gives_backend_unavailable_quickly(policy: ThrottlePolicy) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        backend_for(f"http://127.0.0.1:{port}", policy, timeout=1.0).lookup(CODE, "567962", "c6")
    assert time.monotonic() - started <= 1.2


def test_retries_overcome_a_brief_outage(province: tuple[FakeProvince, str], policy: ThrottlePolicy) -> None:
    state, url = province
    state.fail_first = 2
    assert isinstance(backend_for(url, policy).lookup(CODE, "567962", "c7"), Dossier)
    assert len(state.requests) == 3


def test_persistent_5xx_stops_after_the_retries(province: tuple[FakeProvince, str], policy: ThrottlePolicy) -> None:
    state, url = province
    state.fail_first = 100
    with pytest.raises(BackendUnavailable, match="503"):
        backend_for(url, policy).lookup(CODE, "567962", "c8")
    assert len(state.requests) == 3  # 1 try + 2 retries


@pytest.mark.parametrize(
    ("override", "token"),
    [
        (None, "wrong-token"),  # 401
        ("not json", TOKEN),
        (json.dumps({**RECORD, "status_code": 42}), TOKEN),
        (json.dumps({**RECORD, "code": "G22.39-250915-0123"}), TOKEN),  # another dossier
    ],
    ids=["bad-token", "not-json", "bad-status", "other-dossier"],
)
def test_bad_answers_are_backend_unavailable(
    province: tuple[FakeProvince, str], policy: ThrottlePolicy, override: str | None, token: str
) -> None:
    state, url = province
    state.body_override = override
    with pytest.raises(BackendUnavailable):
        backend_for(url, policy, token=token).lookup(CODE, "567962", "c9")


def test_throttle_store_down_is_backend_unavailable(province: tuple[FakeProvince, str], tmp_path: Path) -> None:
    class DownStore(SqlThrottleStore):
        def exclusive(self):
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("disk I/O error"))

    state, url = province
    policy = ThrottlePolicy(DownStore(make_engine(f"sqlite:///{tmp_path / 'down.sqlite'}")), clock=FakeClock())
    with pytest.raises(BackendUnavailable, match="throttle"):
        backend_for(url, policy).lookup(CODE, "567962", "c10", "ip-10")
    assert state.requests == []  # an unguarded check never runs
