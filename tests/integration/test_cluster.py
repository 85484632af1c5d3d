"""The production profile on loopback (cluster/): PostgreSQL, Redis, 2 Rasa servers, 2 action
servers and the web app under supervisord behind HAProxy. Short versions of the benchmark's runs
(bench/bench_cluster.py): the balancer's routes, a socket.io message across replicas, and a load
during which one Rasa replica is killed, with every tracker in PostgreSQL compared afterwards."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.cluster_control import Cluster
from tests.integration.cluster_load import lost_turns, run_load
from tests.integration.socket_citizen import SocketCitizen

pytestmark = pytest.mark.skipif(
    not (shutil.which("redis-server") and shutil.which("haproxy")),
    reason="redis-server and haproxy are needed (make cluster-packages, or .ci/run installs them)",
)


@pytest.fixture(scope="module")
def cluster():
    state = Path(tempfile.mkdtemp(prefix="cluster-"))
    state.chmod(0o755)  # PostgreSQL runs as its own user and must reach its data directory
    running = Cluster.configure(state)
    try:
        running.up()
        yield running
    finally:
        running.down()
        shutil.rmtree(state, ignore_errors=True)


def test_the_balancer_serves_chat_and_web_but_never_rasas_api(cluster):
    url = cluster.profile.url
    assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
    reply = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": "c-routes", "message": "xin chào"}, timeout=20)
    assert reply.status_code == 200 and reply.json() and reply.json()[0].get("text")
    token = cluster.secret("RASA_TOKEN")
    for path in (
        "/conversations/c-routes/tracker",
        "/model/parse",
        "/status",
        "/webhook",
        "/webhooks/callback/webhook",
    ):
        assert httpx.get(f"{url}{path}", params={"token": token}, timeout=10).status_code == 404, path
    huge = b'{"sender": "c-huge", "message": "' + b"a" * 100_000 + b'"}'
    assert httpx.post(f"{url}/webhooks/rest/webhook", content=huge, timeout=10).status_code == 413
    action = f"http://127.0.0.1:{cluster.profile.action_ports()[0]}/webhook"
    forged = {"next_action": "action_lookup_dossier", "sender_id": "x", "tracker": {"sender_id": "x", "slots": {}}}
    assert httpx.post(action, json=forged, timeout=10).status_code == 401  # only Rasa may run an action


def test_a_message_from_either_replica_reaches_a_widget_on_the_other(cluster):
    """socket.io's Redis manager: what any replica emits reaches the socket, wherever it is held."""
    citizen = SocketCitizen(cluster.profile.url).connect()
    try:
        token = cluster.secret("RASA_TOKEN")
        for index, port in enumerate(cluster.profile.rasa_ports()):
            event = [{"event": "bot", "text": f"from replica {index}"}]
            posted = httpx.post(
                f"http://127.0.0.1:{port}/conversations/{citizen.session_id}/tracker/events",
                params={"token": token, "output_channel": "socketio", "execute_side_effects": "true"},
                json=event,
                timeout=20,
            )
            assert posted.status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(citizen.received) < 2:
            time.sleep(0.05)
        assert sorted(m.get("text") for _, m in citizen.received) == ["from replica 0", "from replica 1"]
    finally:
        citizen.disconnect()


def test_a_replica_killed_and_redis_restarted_under_load_lose_no_turn(cluster):
    found: dict[str, float] = {}

    def faults() -> None:
        time.sleep(12)
        cluster.kill("rasa-1")
        found["down_after"] = cluster.wait_state("rasa1", "DOWN", timeout=10)
        time.sleep(10)
        cluster.ctl("restart", "redis")  # locks, rate limits and socket.io's queue all live there

    injector = threading.Thread(target=faults)
    injector.start()
    citizens = int(os.environ.get("CLUSTER_TEST_CITIZENS", "20"))
    result = run_load(cluster.profile.url, citizens=citizens, seconds=45, think=(2, 5))
    injector.join()
    time.sleep(3)  # a turn held up by the dead replica's lock finishes
    assert found["down_after"] <= 5  # the balancer stops sending to it within 5 s
    assert len(result.turns()) > 100
    assert result.failures() == []  # every message got a reply (maybe the "busy" one) within 5 s
    assert lost_turns(result, cluster.database_url) == []
    cluster.wait_state("rasa1", "UP", timeout=240)  # supervisord brought it back
