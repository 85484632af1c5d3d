"""bot/lock_store.py with the real Rasa 3.6 (in its venv) and a real Redis: a Redis restart in the
middle of a turn delays the lock call instead of failing it; a Redis that stays away still fails."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHECK = """
import json, sys, time
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig
config = EndpointConfig(url="127.0.0.1", type="bot.lock_store.RetryingRedisLockStore", port=sys.argv[1], db=0)
store = LockStore.create(config)
ticket = store.issue_ticket("citizen-1", 30)
print("ready", flush=True)
sys.stdin.readline()  # the test stops Redis, then restarts it a second later
started = time.monotonic()
lock = store.get_lock("citizen-1")
print(json.dumps({"kind": type(store).__name__, "ticket": ticket, "lock": lock is not None,
                  "waited": time.monotonic() - started}), flush=True)
"""


def test_a_redis_restart_delays_the_lock_instead_of_dropping_the_turn(redis_server):
    check = subprocess.Popen(
        [str(REPO / ".venv-rasa/bin/python"), "-c", CHECK, str(redis_server.port)],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert check.stdout is not None and check.stdin is not None
    assert check.stdout.readline().strip() == "ready", check.stderr.read() if check.stderr else ""
    redis_server.stop()  # no disk: the restarted Redis has forgotten the ticket
    threading.Timer(1.0, redis_server.start).start()
    check.stdin.write("go\n")
    check.stdin.flush()
    found = json.loads(check.stdout.readline())
    check.wait(30)
    assert found["kind"] == "RetryingRedisLockStore"
    assert found["ticket"] == 0 and found["lock"] is False  # answered by the new Redis, not an error
    assert 0.8 < found["waited"] < 5  # it waited for the restart, within the retry budget
