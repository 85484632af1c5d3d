"""The attacks of the "close the holes" issue, measured against the real servers on loopback:

1. worst-case parse: the slowest messages a client can send (within the channel's limit),
   best of 5 through Rasa's /model/parse;
2. other citizens' latency while 2 clients send worst-case messages in a loop;
3. guess rate: one client guessing dossier digits as fast as it can, changing its sender id
   every time (the attack that once made ~400 guesses a minute with no lock);
4. restart: time until each process killed with SIGKILL under supervisord answers again.

    .venv/bin/python bench/bench_attack.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import _dossier_records  # noqa: E402  (one set of test dossiers)
from tests.integration.stack import Stack, stop_process_group, wait_until_up  # noqa: E402
from tests.integration.test_holes import WORST_CASE  # noqa: E402
from tests.integration.test_supervision import start_supervised  # noqa: E402

QUESTIONS = ["làm giấy khai sinh cho con cần gì", "lệ phí bao nhiêu", "xin chào", "mất bao lâu"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def worst_case_parse(stack: Stack) -> None:
    costs = {}
    for text in WORST_CASE:
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            httpx.post(f"{stack.rasa_url}/model/parse", params={"token": "test-token"}, json={"text": text}, timeout=30)
            best = min(best, time.perf_counter() - started)
        costs[repr(text[:6])] = best * 1000
    worst = max(costs, key=costs.get)
    print(
        f"1. worst-case parse: {costs[worst]:.0f} ms ({worst}); all: "
        + ", ".join(f"{k} {v:.0f}" for k, v in costs.items())
    )


def latency_under_attack(stack: Stack, seconds: float) -> None:
    def citizen(waits: list[float], stop: threading.Event) -> None:
        turn = 0
        while not stop.is_set():
            started = time.perf_counter()
            stack.say("b-victim", QUESTIONS[turn % len(QUESTIONS)])
            waits.append(time.perf_counter() - started)
            turn += 1
            time.sleep(0.2)

    def attacker(i: int, stop: threading.Event) -> None:
        while not stop.is_set():
            for text in WORST_CASE:
                httpx.post(
                    f"{stack.rasa_url}/webhooks/rest/webhook",
                    json={"sender": f"b-attack-{i}", "message": text},
                    timeout=30,
                )

    for attackers in (0, 2):
        waits: list[float] = []
        stop = threading.Event()
        threads = [threading.Thread(target=attacker, args=(i, stop)) for i in range(attackers)]
        threads.append(threading.Thread(target=citizen, args=(waits, stop)))
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join()
        print(
            f"2. citizen with {attackers} attackers: {len(waits)} turns, p50 {statistics.median(waits) * 1000:.0f} ms, "
            f"p95 {percentile(waits, 0.95) * 1000:.0f} ms"
        )


def guess_rate(stack: Stack, seconds: float) -> None:
    code = _dossier_records()[0]["code"]
    outcomes: dict[str, int] = {}
    started = time.monotonic()
    guess = 0
    while time.monotonic() - started < seconds:
        sender = f"b-guess-{guess}"
        stack.say(sender, f"tra cứu hồ sơ {code}", client="127.0.0.9")
        reply = stack.say(sender, f"{guess:06d}", client="127.0.0.9")
        kinds = [m["custom"]["type"] for m in reply if m.get("custom")]
        kind = kinds[0] if kinds else "other"
        outcomes[kind] = outcomes.get(kind, 0) + 1
        guess += 1
    minutes = (time.monotonic() - started) / 60
    checked = outcomes.get("dossier_not_found", 0) + outcomes.get("dossier_status", 0)
    print(
        f"3. one client, new sender id per guess, {minutes:.1f} min: {guess} tries, {checked} digit checks "
        f"({checked / minutes:.1f}/min; a day allows at most 10), outcomes {outcomes}"
    )


def restart_times(workdir: Path) -> None:
    supervised = start_supervised(workdir, token="bench-token")
    try:
        for name in ("actions", "web", "rasa"):
            os.kill(supervised.pid(name), signal.SIGKILL)
            killed = time.monotonic()
            time.sleep(1)
            wait_until_up(supervised.health(name), supervised.process, timeout=120, log=supervised.log)
            print(f"4. {name}: killed with SIGKILL, answering again after {time.monotonic() - killed:.1f} s")
    finally:
        stop_process_group(supervised.process, timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-attack-"))
    stack = Stack.configure(workdir)
    source = workdir / "dossiers.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in _dossier_records()), encoding="utf-8")
    subprocess.run(
        [str(REPO / ".venv/bin/dossiers"), "import", str(source)], env=stack.env, check=True, capture_output=True
    )
    try:
        stack.start("actions")
        stack.start("rasa")
        worst_case_parse(stack)
        latency_under_attack(stack, args.seconds)
        guess_rate(stack, args.seconds)
    finally:
        stack.stop_all()
    restart_times(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
