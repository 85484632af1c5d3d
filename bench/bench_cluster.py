"""The production profile under load and faults, on loopback (cluster/, `make cluster-up`).

    python bench/bench_cluster.py [--citizens 200] [--seconds 180] [--only load faults fuzz]

- load: realistic citizens (tests/integration/cluster_load.py: a procedure question, 2-3
  follow-ups, some dossier lookups, 2-8 s think time; half REST, half socket.io) through HAProxy,
  against one Rasa replica and against two; p50/p95 of the first reply per step, errors, "busy"
  replies, and every tracker in PostgreSQL compared with what was sent;
- faults, each while the load runs: kill -9 of a Rasa replica, kill -9 of an action server,
  a Redis restart, a PostgreSQL restart, the web app stopped; how long the balancer took to stop
  sending to the dead process, how long until the supervisor had it back, and lost turns;
- fuzz: ≥ 10,000 varied bad inputs through the balancer: 5xx, stack traces, servers up, and
  how much the tracker store grew against the messages it accepted.
tests/integration/test_cluster.py holds the short version with bounds.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.integration.cluster_control import Cluster  # noqa: E402
from tests.integration.cluster_load import LoadResult, lost_turns, run_load  # noqa: E402

SETTLE_SECONDS = 5  # turns still under way when the load stops are saved before the comparison


def report(name: str, result: LoadResult, database_url: str) -> None:
    time.sleep(SETTLE_SECONDS)
    turns = result.turns()
    busy = result.count(lambda t: t.busy)
    overloaded = result.count(lambda t: t.overloaded)
    limited = result.count(lambda t: t.limited) - overloaded
    answered = result.count(lambda t: t.latency is not None and not t.busy and not t.limited)
    failures = result.failures()
    lost = lost_turns(result, database_url)
    print(
        f"\n{name}: {len(result.citizens)} conversations, {len(turns)} messages in {result.seconds:.0f} s, "
        f"{answered / result.seconds:.1f} answered a second; failures {len(failures)}, busy {busy}, "
        f"overloaded {overloaded}, rate-limited {limited}, lost turns {len(lost)}"
    )
    print(f"  {'step':<10} {'turns':>6} {'p50 ms':>8} {'p95 ms':>8}")
    for step, (count, p50, p95) in result.percentiles().items():
        print(f"  {step:<10} {count:>6} {p50:>8.0f} {p95:>8.0f}")
    for line in failures[:5] + lost[:5]:
        print(f"    {line}")


def with_cluster(rasa: int, actions: int, run: Callable[[Cluster], None]) -> None:
    state = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    state.chmod(0o755)
    cluster = Cluster.configure(state, rasa=rasa, actions=actions)
    started = time.monotonic()
    try:
        cluster.up()
        print(f"\ncluster: {rasa} Rasa, {actions} action servers, 1 web app; up in {time.monotonic() - started:.0f} s")
        run(cluster)
    finally:
        cluster.down()
        shutil.rmtree(state, ignore_errors=True)


def load(args: argparse.Namespace) -> None:
    for replicas in args.replicas:

        def run(cluster: Cluster, replicas: int = replicas) -> None:
            for citizens in args.citizens:
                result = run_load(cluster.profile.url, citizens, args.seconds, ramp_seconds=20)
                where = f"{replicas} Rasa + {replicas} action server(s)"
                report(f"load, {citizens} citizens, {where}", result, cluster.database_url)

        with_cluster(replicas, replicas, run)


def fault_table(args: argparse.Namespace) -> None:
    def run(cluster: Cluster) -> None:
        faults: list[tuple[str, Callable[[], None], str, str]] = [
            ("kill -9 a Rasa replica", lambda: cluster.kill("rasa-1"), "rasa1", "rasa_by_sender"),
            ("kill -9 an action server", lambda: cluster.kill("actions-1"), "actions1", "actions"),
            ("restart Redis", lambda: cluster.ctl("restart", "redis"), "", ""),
            ("restart PostgreSQL", lambda: cluster.ctl("restart", "postgres"), "", ""),
            (
                "stop the web app (5 s)",
                lambda: (cluster.ctl("stop", "web-0"), time.sleep(5), cluster.ctl("start", "web-0")),
                "web0",
                "web",
            ),
        ]
        for name, fault, server, backend in faults:
            timings: dict[str, float] = {}

            def inject(fault=fault, server=server, backend=backend, timings=timings) -> None:
                time.sleep(args.fault_after)
                threading.Thread(target=fault, daemon=True).start()
                if server:
                    timings["down"] = cluster.wait_state(server, "DOWN", timeout=30, backend=backend)
                    timings["back"] = timings["down"] + cluster.wait_state(server, "UP", timeout=300, backend=backend)

            injector = threading.Thread(target=inject)
            injector.start()
            result = run_load(cluster.profile.url, args.fault_citizens, args.fault_seconds, ramp_seconds=10)
            injector.join()
            if server:
                print(
                    f"\n[{name}] balancer marked it down after {timings['down']:.1f} s; back up after {timings['back']:.0f} s"
                )
            report(f"[{name}] under load", result, cluster.database_url)
            web = httpx.get(f"{cluster.profile.url}/healthz", timeout=10).status_code
            print(f"  after: web {web}; {cluster.ctl('status').count('RUNNING')} processes running")

    with_cluster(2, 2, run)


def fuzz_inputs(count: int, rng: random.Random) -> list[tuple[str, bytes, dict[str, str]]]:
    """(path, body, headers): malformed JSON, wrong types, huge bodies, long and control-character
    messages, invalid UTF-8, template and SQL injection strings, forged payloads."""
    words = [
        "{{7*7}}",
        "${7*7}",
        "' OR 1=1 --",
        "'; DROP TABLE events; --",
        "<script>alert(1)</script>",
        '/choose_procedure{"procedure_code":"x"}',
        "/ask_human",
        "/restart",
        "/session_start",
        '/inform{"identity_digits":"000000"}',
        "\x00\x01\x1b[31m",
        "\u202e",
        "🙂" * 50,
        "a" * 10_000,
        "làm giấy khai sinh",
        "tra cứu hồ sơ",
        "%s%s%n",
        "../../etc/passwd",
        "null",
    ]
    bodies: list[tuple[str, bytes, dict[str, str]]] = []
    for i in range(count):
        sender = f"fuzz-{i % 400}"
        kind = i % 10
        text = rng.choice(words) + (rng.choice(words) if rng.random() < 0.3 else "")
        if kind == 0:
            body = b'{"sender": "' + sender.encode() + b'", "message": '  # truncated JSON
        elif kind == 1:
            body = f'{{"sender": {rng.choice(["1", "null", "[]", "{}", "true"])}, "message": "x"}}'.encode()
        elif kind == 2:
            body = f'{{"sender": "{sender}", "message": {rng.choice(["1", "null", "[1]", "{}", "1e999"])}}}'.encode()
        elif kind == 3:
            body = (
                b'{"sender": "' + sender.encode() + b'", "message": "' + b"x" * rng.choice([70_000, 1_000_000]) + b'"}'
            )
        elif kind == 4:
            body = b'{"sender": "' + sender.encode() + b'", "message": "\xff\xfe\xc3\x28"}'
        elif kind == 5:
            body = rng.randbytes(rng.randint(1, 300))
        elif kind == 6:
            body = f"sender={sender}&message={text}".encode("utf-8", "surrogatepass")  # a form, not JSON
        elif kind == 7:
            depth = rng.choice([20, 500, 5000])
            body = (
                b'{"sender": "'
                + sender.encode()
                + b'", "message": "hi", "metadata": '
                + b"[" * depth
                + b"]" * depth
                + b"}"
            )
        else:  # 20 %: well-formed, with attack strings, payloads, control characters and long texts
            import json

            body = json.dumps(
                {"sender": sender, "message": text, "metadata": rng.choice([{}, {"x": "y"}, None])}
            ).encode()
        headers = {"content-type": rng.choice(["application/json", "text/plain", "application/x-www-form-urlencoded"])}
        bodies.append(("/webhooks/rest/webhook", body, headers))
    return bodies


def fuzz(args: argparse.Namespace) -> None:
    def run(cluster: Cluster) -> None:
        import psycopg

        url = cluster.profile.url
        with psycopg.connect(cluster.database_url) as db:
            before = db.execute("SELECT count(*) FROM events WHERE type_name = 'user'").fetchone()[0]
        inputs = fuzz_inputs(args.fuzz, random.Random(7))
        statuses: dict[int, int] = {}
        traces = accepted = 0
        lock = threading.Lock()

        def send(chunk: list[tuple[str, bytes, dict[str, str]]]) -> None:
            nonlocal traces, accepted
            with httpx.Client(timeout=30) as client:
                for path, body, headers in chunk:
                    try:
                        answer = client.post(f"{url}{path}", content=body, headers=headers)
                    except httpx.HTTPError:
                        code, text = -1, ""
                    else:
                        code, text = answer.status_code, answer.text
                    with lock:
                        statuses[code] = statuses.get(code, 0) + 1
                        traces += "Traceback" in text or 'File "' in text
                        accepted += code == 200 and '"text"' in text

        started = time.monotonic()
        workers = [threading.Thread(target=send, args=(inputs[i::16],)) for i in range(16)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        with psycopg.connect(cluster.database_url) as db:
            after = db.execute("SELECT count(*) FROM events WHERE type_name = 'user'").fetchone()[0]
        fives = sum(n for code, n in statuses.items() if code >= 500 or code < 0)
        print(
            f"\nfuzz: {len(inputs)} inputs in {time.monotonic() - started:.0f} s; statuses {dict(sorted(statuses.items()))}"
        )
        print(
            f"  5xx or no answer: {fives}; stack traces in replies: {traces}; "
            f"user events stored: +{after - before} for {accepted} replied messages"
        )
        print(f"  after: {cluster.ctl('status').count('RUNNING')} processes running")

    with_cluster(2, 2, run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, nargs="+", default=[200, 60], help="one run per number")
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2], help="Rasa and action servers, each")
    parser.add_argument("--fault-citizens", type=int, default=100)
    parser.add_argument("--fault-seconds", type=float, default=60)
    parser.add_argument("--fault-after", type=float, default=20)
    parser.add_argument("--fuzz", type=int, default=10_000)
    parser.add_argument("--only", nargs="*", default=["load", "faults", "fuzz"])
    args = parser.parse_args()
    print(f"bench_cluster on {os.cpu_count()} cores")
    for part, run in (("load", load), ("faults", fault_table), ("fuzz", fuzz)):
        if part in args.only:
            run(args)


if __name__ == "__main__":
    main()
