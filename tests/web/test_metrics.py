"""The web app's /metrics (web/metrics.py): aggregates read from the real stores when scraped, and
only for the monitoring system (a token, or loopback)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from analytics import store
from tests.test_analytics import KEY, answered
from web.app import create_app
from web.catalog import Catalog
from web.settings import Settings

TOKEN = "metrics-test-token"


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    analytics_url = f"sqlite:///{tmp_path / 'analytics.sqlite'}"
    monkeypatch.setenv("ANALYTICS_DATABASE_URL", analytics_url)
    recorder = store.TurnRecorder(analytics_url, KEY)
    for n in range(3):
        recorder.observe(f"s{n}", answered("1.001193", time.time() - 60 + n))
    recorder.flush()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.sqlite'}", secret_key="k" * 32, metrics_token=TOKEN)
    app = create_app(settings, Catalog(settings.knowledge_index))
    app.state.handoff.store.offer("c1", "rest", "vi", "Phường Kinh Bắc", "TT", "q")
    chat = app.state.handoff.store.latest("c1")
    app.state.handoff.store.queue(chat.id, "Phường Kinh Bắc", "TT")
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


def test_metrics_need_the_token_away_from_loopback(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 403  # the test client is no loopback address
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_metrics_report_turns_queue_and_latency(client: TestClient) -> None:
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert 'assistant_turns_total{status="answered"} 3.0' in text
    assert 'assistant_handoff_queue{centre="Phường Kinh Bắc"} 1.0' in text
    assert 'assistant_reply_latency_ms{quantile="0.95"} 120.0' in text
    assert "assistant_callbacks_open 0.0" in text
