"""End-to-end benchmark over REST: the real action server + Rasa server (the same scripts `make run`
uses), one citizen at a time and twenty at once, side by side with a bare Rasa 3.6 baseline.

    python bench/bench_e2e.py [--index DIR] [--requests 100] [--duration 30] [--env KEY=VALUE]
                              [--no-baseline] [--no-breakdown]

Sections: start time (both servers started together, like honcho, until "xin chào" is answered);
one citizen at a time per category; 20 concurrent senders in a closed loop (ours, then the
baseline: a minimal Rasa project whose only answer is a trivial rasa-sdk action, plus its
static-response floor; the project is bench/baseline/); a breakdown of where the time goes (Rasa
/model/parse alone, the action server's /webhook alone with a captured request body). All servers
listen on free loopback ports (process handling: tests/integration/processes.py) and are stopped
at the end, also on Ctrl-C or errors. Figures only; nothing is asserted.

One file of ~540 lines on purpose: a benchmark that reads top to bottom (measurements, servers,
breakdown, report, main); the baseline project and the process handling live elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from knowledge.settings import get_settings  # noqa: E402
from tests.integration.processes import (  # noqa: E402
    cpu_seconds,
    free_port,
    rss_mb,
    start_group,
    stop_process_group,
)
from tests.integration.stack import Stack  # noqa: E402

RASA_BIN = REPO / ".venv-rasa" / "bin" / "rasa"
BASELINE_PROJECT = REPO / "bench" / "baseline"  # the bare Rasa project we compare with
APP_PYTHON = REPO / ".venv" / "bin" / "python"
TOKEN = "test-token"  # Stack.configure sets RASA_TOKEN to this
BUSY_TEXTS = {t for t in yaml.safe_load((REPO / "bot/channels/messages.yml").read_text("utf-8"))["busy"].values()}

GREETING = "xin chào"
ISSUE_2 = "làm giấy khai sinh cho con cần gì"
PROCEDURE_QUESTIONS = [
    # Vietnamese with diacritics
    "thủ tục đăng ký kết hôn cần giấy tờ gì",
    "đăng ký tạm trú cần những gì",
    "làm hộ chiếu ở đâu",
    "đăng ký khai tử cho bố tôi thế nào",
    "xin giấy xác nhận tình trạng hôn nhân",
    "đăng ký thành lập hộ kinh doanh cần gì",
    "thủ tục tách hộ",
    "rút bảo hiểm xã hội một lần cần giấy tờ gì",
    "cấp lại sổ đỏ bị mất",
    # without diacritics / teen-code
    "lam ho chieu can gi",
    "dang ky thuong tru o dau",
    "thu tuc ket hon can giay to gi",
    "khai bao tam vang nhu the nao",
    "tach thua dat can nhung gi",
    "dang ky tam tru can giay to j",
    # English
    "how do I register my baby's birth",
    "how to get a passport",
    "what documents do I need to register a marriage",
    "how do I register temporary residence",
    "how to register a household business",
]
FOLLOW_UPS = ["thế lệ phí bao nhiêu?", "nộp online được không?", "mất bao lâu"]
TARGETS = {"procedure": "p50 ≤ 70 ms, p95 ≤ 120 ms", "follow-up": "p95 ≤ 80 ms", "ratio": "ours/baseline ≥ 0.7"}


# ---------------------------------------------------------------- measurements
@dataclass
class Sample:
    seconds: float
    ok: bool = True  # HTTP 200 with a JSON list
    empty: bool = False
    busy: bool = False  # the channel guard's "system is busy" fallback
    procedure: bool = False  # carries a procedure payload


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)

    def ms(self) -> np.ndarray:
        return np.array([s.seconds for s in self.samples if s.ok]) * 1000

    def pct(self, q: float) -> float:
        values = self.ms()
        return float(np.percentile(values, q)) if len(values) else float("nan")

    def count(self, attr: str) -> int:
        return sum(bool(getattr(s, attr)) for s in self.samples)

    @property
    def errors(self) -> int:
        return sum(not s.ok for s in self.samples)


def judge(messages: Any, seconds: float) -> Sample:
    if not isinstance(messages, list):
        return Sample(seconds, ok=False)
    texts = [m.get("text") for m in messages if m.get("text")]
    kinds = [(m.get("custom") or {}).get("type") for m in messages]
    return Sample(seconds, empty=not messages, busy=any(t in BUSY_TEXTS for t in texts), procedure="procedure" in kinds)


def say(client: httpx.Client, url: str, sender: str, text: str) -> Sample:
    start = time.perf_counter()
    try:
        response = client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
        seconds = time.perf_counter() - start
        return judge(response.json(), seconds) if response.status_code == 200 else Sample(seconds, ok=False)
    except (httpx.HTTPError, ValueError):
        return Sample(time.perf_counter() - start, ok=False)


def timed_post(client: httpx.Client, url: str, body: dict[str, Any]) -> Sample:
    start = time.perf_counter()
    try:
        ok = client.post(url, json=body).status_code == 200
    except httpx.HTTPError:
        ok = False
    return Sample(time.perf_counter() - start, ok=ok)


Turn = tuple[str, str, str | None]  # (sender, text, category or None when not timed)


def solo_turns(requests: int, warmup: int) -> Iterator[Turn]:
    """Each category gets `warmup` untimed and `requests` timed turns; conversations stay short
    (a fresh sender per question, three follow-ups after each procedure question)."""
    for category, texts in (("greeting", [GREETING]), ("issue 2", [ISSUE_2]), ("procedure", PROCEDURE_QUESTIONS)):
        for i in range(warmup + requests):
            yield f"solo-{category[:5]}-{i}", texts[i % len(texts)], category if i >= warmup else None
    asked = 0
    for conversation in range(10**6):  # bounded by `asked`
        sender = f"solo-follow-{conversation}"
        yield sender, PROCEDURE_QUESTIONS[conversation % len(PROCEDURE_QUESTIONS)], None
        for text in FOLLOW_UPS:
            yield sender, text, "follow-up" if asked >= warmup else None
            asked += 1
        if asked >= warmup + requests:
            return


def run_solo(url: str, turns: Iterator[Turn]) -> dict[str, Series]:
    results: dict[str, Series] = {}
    with httpx.Client(timeout=30) as client:
        for sender, text, category in turns:
            sample = say(client, url, sender, text)
            if category:
                results.setdefault(category, Series()).samples.append(sample)
    return results


def repeat_post(
    url: str,
    body_for: Callable[[int], dict[str, Any]],
    requests: int,
    warmup: int,
    headers: dict[str, str] | None = None,
) -> Series:
    series = Series()
    with httpx.Client(timeout=30, headers=headers) as client:
        for i in range(warmup + requests):
            sample = timed_post(client, url, body_for(i))
            if i >= warmup:
                series.samples.append(sample)
    return series


# ---------------------------------------------------------------- closed loop, N senders
Conversation = Callable[[int], list[str]]  # conversation number -> its messages


def our_conversation(n: int) -> list[str]:
    return [PROCEDURE_QUESTIONS[n % len(PROCEDURE_QUESTIONS)], *FOLLOW_UPS]


def baseline_conversation(_: int) -> list[str]:
    return ["hello"] * 4


@dataclass
class LoadResult:
    series: Series
    seconds: float

    @property
    def rate(self) -> float:
        return len(self.series.samples) / self.seconds


async def closed_loop(
    url: str, conversation: Conversation, senders: int, duration: float, max_requests: int, tag: str
) -> LoadResult:
    series, counter = Series(), iter(range(max_requests))
    deadline = time.monotonic() + duration
    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)

    async def sender(client: httpx.AsyncClient, who: int) -> None:
        for n in range(10**6):  # bounded by the deadline and max_requests
            sender_id = f"{tag}-{who}-{n}"
            for text in conversation(n * senders + who):
                if time.monotonic() > deadline or next(counter, None) is None:
                    return
                start = time.perf_counter()
                try:
                    response = await client.post(
                        f"{url}/webhooks/rest/webhook", json={"sender": sender_id, "message": text}
                    )
                    seconds = time.perf_counter() - start
                    series.samples.append(
                        judge(response.json(), seconds) if response.status_code == 200 else Sample(seconds, ok=False)
                    )
                except (httpx.HTTPError, ValueError):
                    series.samples.append(Sample(time.perf_counter() - start, ok=False))

    start = time.monotonic()
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(sender(client, who) for who in range(senders)))
    return LoadResult(series, time.monotonic() - start)


# ---------------------------------------------------------------- servers
def wait_for_reply(url: str, text: str, deadline: float, want: Callable[[Sample], bool]) -> float:
    """Seconds (monotonic clock) when `text` first got a wanted reply; polls every 0.2 s."""
    with httpx.Client(timeout=10) as client:
        while time.monotonic() < deadline:
            sample = say(client, url, f"probe-{time.monotonic_ns()}", text)
            if sample.ok and want(sample):
                return time.monotonic()
            time.sleep(0.2)
    raise TimeoutError(f"{url}: no answer to {text!r} in time")


def answered(sample: Sample) -> bool:
    return not sample.empty and not sample.busy


def start_ours_like_make_run(stack: Stack) -> dict[str, float]:
    """Both processes at once (as honcho does); times from that moment."""
    t0 = time.monotonic()
    for name in ("actions", "rasa"):
        stack.spawn(name)
    deadline = t0 + 300
    greeted = wait_for_reply(stack.rasa_url, GREETING, deadline, answered)
    answered_issue = wait_for_reply(stack.rasa_url, ISSUE_2, deadline, lambda s: s.procedure)
    for name, process in stack.processes.items():
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{stack.log(name).read_text(errors='replace')[-3000:]}")
    return {"xin chào answered": greeted - t0, "first procedure answer": answered_issue - t0}


@dataclass
class Baseline:
    """A copy of bench/baseline/ in a temp dir (a minimal Rasa 3.6 project: NLU + RulePolicy + one
    trivial rasa-sdk action), trained and served there."""

    root: Path
    rasa_port: int = field(default_factory=free_port)
    actions_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RASA_TOKEN")}
        return {
            **env,
            "RASA_TELEMETRY_ENABLED": "false",
            "BASELINE_ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
        }

    def train(self) -> float:
        shutil.copytree(
            BASELINE_PROJECT,
            self.root,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__", ".rasa", "models"),
        )
        start = time.monotonic()
        subprocess.run(
            [
                str(RASA_BIN),
                "train",
                "--config",
                "config.yml",
                "--domain",
                "domain.yml",
                "--data",
                "data",
                "--out",
                "models",
                "--fixed-model-name",
                "baseline",
            ],
            cwd=self.root,
            env=self.env(),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        return time.monotonic() - start

    def start(self) -> None:
        commands = {
            "baseline-actions": [
                str(APP_PYTHON),
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "--port",
                str(self.actions_port),
            ],
            "baseline-rasa": [
                str(RASA_BIN),
                "run",
                "--model",
                "models/baseline.tar.gz",
                "--port",
                str(self.rasa_port),
                "--enable-api",
                "--auth-token",
                TOKEN,
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
            ],
        }
        for name, command in commands.items():
            self.processes[name] = start_group(command, cwd=self.root, env=self.env(), log=self.root / f"{name}.log")
        wait_for_reply(self.url, "hello", time.monotonic() + 240, lambda s: not s.empty and not s.busy)

    def stop_all(self) -> None:
        for process in self.processes.values():
            stop_process_group(process)
        self.processes.clear()


def wait_idle(processes: list[subprocess.Popen], limit: float = 60.0) -> float:
    """Abandoned turns (the guard answered "busy") keep running inside Rasa; let them finish so
    they do not eat into the next measurement. Returns the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        before = sum(cpu_seconds(p) for p in processes)
        time.sleep(1.0)
        if sum(cpu_seconds(p) for p in processes) - before < 0.1:
            break
    return time.monotonic() - start


# ---------------------------------------------------------------- breakdown
def captured_action_body(stack: Stack, sender: str, text: str) -> dict[str, Any]:
    """Say `text` as `sender`, then rebuild the body Rasa posted to the action server for it, as
    Rasa's RemoteAction sends it: the tracker as it stood just before the action ran (the /tracker
    `until` filter) plus the domain."""
    tracker_url = f"{stack.rasa_url}/conversations/{sender}/tracker"

    def events(until: float | None = None) -> dict[str, Any]:
        params = {"token": TOKEN, "include_events": "ALL", **({"until": until} if until is not None else {})}
        return httpx.get(tracker_url, params=params, timeout=30).json()

    known = len(events()["events"])
    stack.say(sender, text)
    after = events()["events"]
    at = next(
        i
        for i in range(known, len(after))
        if after[i].get("event") == "action" and after[i].get("name") not in ("action_listen", "action_session_start")
    )
    domain = httpx.get(
        f"{stack.rasa_url}/domain", params={"token": TOKEN}, headers={"Accept": "application/json"}, timeout=30
    ).json()
    return {
        "next_action": after[at]["name"],
        "sender_id": sender,
        "tracker": events(after[at - 1]["timestamp"]),
        "domain": domain,
        "version": "3.6.21",
    }


def breakdown(stack: Stack, requests: int, warmup: int) -> dict[str, Series]:
    parse_url = f"{stack.rasa_url}/model/parse?token={TOKEN}"
    questions = PROCEDURE_QUESTIONS
    bodies = [captured_action_body(stack, f"capture-{i}", q) for i, q in enumerate(questions)]
    stack.say("capture-follow", ISSUE_2)
    follow_body = captured_action_body(stack, "capture-follow", FOLLOW_UPS[0])
    webhook = f"{stack.actions_url}/webhook"
    return {
        "rasa /model/parse, greeting": repeat_post(parse_url, lambda i: {"text": GREETING}, requests, warmup),
        "rasa /model/parse, procedure": repeat_post(
            parse_url, lambda i: {"text": questions[i % len(questions)]}, requests, warmup
        ),
        "actions /webhook, procedure": repeat_post(
            webhook, lambda i: bodies[i % len(bodies)], requests, warmup, stack.action_headers
        ),
        "actions /webhook, follow-up": repeat_post(
            webhook, lambda i: follow_body, requests, warmup, stack.action_headers
        ),
    }


def response_validation_ms(action_response: dict[str, Any]) -> dict[str, float]:
    """Rasa's RemoteAction checks every action server reply with `jsonschema.validate`, which
    re-checks the schema itself each call; timed against a validator built once."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(RASA_BIN.with_name("python")), str(BASELINE_PROJECT / "validation_probe.py")],
        input=json.dumps(action_response),
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else {}


async def action_server_load(
    url: str, bodies: list[dict[str, Any]], senders: int, duration: float, headers: dict[str, str]
) -> LoadResult:
    """The action server alone under the same closed loop (no Rasa in front)."""
    series, deadline = Series(), time.monotonic() + duration

    async def sender(client: httpx.AsyncClient, who: int) -> None:
        for n in range(10**6):
            if time.monotonic() > deadline:
                return
            start = time.perf_counter()
            try:
                ok = (await client.post(url, json=bodies[(n + who) % len(bodies)])).status_code == 200
            except httpx.HTTPError:
                ok = False
            series.samples.append(Sample(time.perf_counter() - start, ok=ok))

    start = time.monotonic()
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=senders), headers=headers) as client:
        await asyncio.gather(*(sender(client, who) for who in range(senders)))
    return LoadResult(series, time.monotonic() - start)


# ---------------------------------------------------------------- printing
def load_average() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def row(name: str, series: Series, note: str = "") -> str:
    return (
        f"  {name:<34} {len(series.samples):>5} {series.pct(50):>8.1f} {series.pct(95):>8.1f} "
        f"{series.ms().max() if len(series.ms()) else float('nan'):>8.1f} {series.errors:>4} "
        f"{series.count('empty'):>5} {series.count('busy'):>4} {series.count('procedure'):>6}  {note}"
    )


HEADER = (
    f"  {'':<34} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'err':>4} {'empty':>5} {'busy':>4} {'w/proc':>6}"
)


def print_load(name: str, result: LoadResult) -> None:
    s = result.series
    print(
        f"  {name:<26} {result.rate:>7.1f} msg/s  n={len(s.samples):<5} p50 {s.pct(50):7.1f} ms  "
        f"p95 {s.pct(95):7.1f} ms  max {s.ms().max() if len(s.ms()) else float('nan'):7.1f} ms  "
        f"errors {s.errors}  empty {s.count('empty')}  busy {s.count('busy')}  "
        f"w/procedure {s.count('procedure')}"
    )


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


# ---------------------------------------------------------------- main
def interrupt(*_: object) -> None:
    raise KeyboardInterrupt  # SIGTERM takes the same clean-up path as Ctrl-C


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=get_settings().index)  # KNOWLEDGE_INDEX, as the servers read it
    parser.add_argument("--requests", type=int, default=100, help="timed requests per one-at-a-time category")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per concurrent run")
    parser.add_argument("--max-requests", type=int, default=5000, help="bound per concurrent run")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for our two servers, e.g. OMP_NUM_THREADS=1 (repeatable)",
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-breakdown", action="store_true")
    args = parser.parse_args()
    index = args.index if args.index.is_absolute() else (REPO / args.index)
    for needed in (REPO / "models/assistant.tar.gz", index / "manifest.json", RASA_BIN, APP_PYTHON):
        if not needed.exists():
            sys.exit(f"{needed} is missing: run `make setup`")
    os.environ.update(RASA_TELEMETRY_ENABLED="false", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    signal.signal(signal.SIGTERM, interrupt)
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        workdir = Path(tmp)
        extra = dict(item.split("=", 1) for item in args.env)
        stack = Stack.configure(workdir, KNOWLEDGE_INDEX=str(index), **extra)
        baseline = Baseline(workdir / "baseline")
        baseline.root.mkdir()
        try:
            run(args, index, stack, baseline)
        except KeyboardInterrupt:
            print("\ninterrupted: stopping the servers", file=sys.stderr)
            sys.exit(130)
        finally:
            stack.stop_all()
            baseline.stop_all()


def run(args: argparse.Namespace, index: Path, stack: Stack, baseline: Baseline) -> None:
    print("== bench_e2e: end-to-end over REST (POST /webhooks/rest/webhook, loopback) ==")
    print(f"load before: {load_average()}   cores: {os.cpu_count()}")
    print(
        f"index: {index}  ({json.loads((index / 'manifest.json').read_text())['procedures']} procedures)"
        + (f"   extra env: {' '.join(args.env)}" if args.env else "")
    )
    if not args.no_baseline:
        print(f"baseline trained in {baseline.train():.1f} s (rasa train, temp dir)")

    print("\n-- c. start time (action server + Rasa server started together, as `make run` does) --")
    started = start_ours_like_make_run(stack)
    print(f"  first answered '{GREETING}'        {started['xin chào answered']:6.1f} s")
    print(f"  first answered procedure question {started['first procedure answer']:6.1f} s")

    print(
        f"\n-- a. one citizen at a time (keep-alive client; {args.warmup} warm-up, then "
        f"{args.requests} timed per category) --"
    )
    solo = run_solo(stack.rasa_url, solo_turns(args.requests, args.warmup))
    print(HEADER)
    notes = {"procedure": f"target {TARGETS['procedure']}", "follow-up": f"target {TARGETS['follow-up']}"}
    for category, series in solo.items():
        print(row(f"ours: {category}", series, notes.get(category, "")))

    base_solo: dict[str, Series] = {}
    if not args.no_baseline:
        baseline.start()
        base_solo = run_solo(
            baseline.url,
            (
                (f"bsolo-{i // 4}", text, cat if i >= args.warmup else None)
                for cat, text in (("sdk action", "hello"), ("static floor", "ping"))
                for i in range(args.warmup + args.requests)
            ),
        )
        for category, series in base_solo.items():
            print(row(f"baseline: {category}", series))

    print(
        f"\n-- b. {args.senders} citizens at once (closed loop, no think time, {args.duration:.0f} s or "
        f"{args.max_requests} requests) --"
    )
    ours = asyncio.run(
        closed_loop(stack.rasa_url, our_conversation, args.senders, args.duration, args.max_requests, "load")
    )
    print_load("ours (procedure+follow-ups)", ours)
    base = None
    if not args.no_baseline:
        waited = wait_idle(list(stack.processes.values()))
        if waited > 2:
            print(f"  (waited {waited:.0f} s for our servers to finish abandoned turns)")
        base = asyncio.run(
            closed_loop(baseline.url, baseline_conversation, args.senders, args.duration, args.max_requests, "bload")
        )
        print_load("baseline (one sdk action)", base)
        print(f"  ratio ours/baseline: {ours.rate / base.rate:.2f}  (target ≥ 0.7)")
    print(
        "  RSS MB: "
        + ", ".join(f"{n} {rss_mb(p):.0f}" for n, p in [*stack.processes.items(), *baseline.processes.items()])
    )

    if not args.no_breakdown:
        print("\n-- breakdown: each server alone, one at a time (captured action request bodies) --")
        parts = breakdown(stack, args.requests, args.warmup)
        print(HEADER)
        for name, series in parts.items():
            print(row(name, series))
        bodies = [captured_action_body(stack, f"capture-load-{i}", q) for i, q in enumerate(PROCEDURE_QUESTIONS[:5])]
        reply = httpx.post(
            f"{stack.actions_url}/webhook", json=bodies[0], headers=stack.action_headers, timeout=30
        ).json()
        validation = response_validation_ms(reply)
        if validation:
            print(
                f"  rasa: validating one action reply (jsonschema.validate, as RemoteAction does) "
                f"{validation['validate']:.1f} ms; with a validator built once {validation['cached']:.2f} ms"
            )
        alone = asyncio.run(
            action_server_load(f"{stack.actions_url}/webhook", bodies, args.senders, 10, stack.action_headers)
        )
        print_load("actions alone, 20 at once", alone)

    print_summary(solo, base_solo, ours, base, started)
    print(f"\nload after: {load_average()}")


def print_summary(
    solo: dict[str, Series],
    base_solo: dict[str, Series],
    ours: LoadResult,
    base: LoadResult | None,
    started: dict[str, float],
) -> None:
    proc, follow = solo["procedure"], solo["follow-up"]
    print("\n-- summary vs targets --")
    print(f"  procedure question p50 {proc.pct(50):6.1f} ms (≤ 70)   {verdict(proc.pct(50) <= 70)}")
    print(f"  procedure question p95 {proc.pct(95):6.1f} ms (≤ 120)  {verdict(proc.pct(95) <= 120)}")
    print(f"  follow-up p95          {follow.pct(95):6.1f} ms (≤ 80)   {verdict(follow.pct(95) <= 80)}")
    if base is not None:
        ratio = ours.rate / base.rate
        print(
            f"  20-at-once throughput  {ours.rate:6.1f} vs {base.rate:.1f} msg/s = {ratio:.2f} (≥ 0.7)  "
            f"{verdict(ratio >= 0.7)}"
        )
    if "static floor" in base_solo:
        print(
            f"  bare Rasa static floor p50 {base_solo['static floor'].pct(50):6.1f} ms; "
            f"trivial sdk action p50 {base_solo['sdk action'].pct(50):6.1f} ms"
        )
    print(f"  start to first answered '{GREETING}' {started['xin chào answered']:.1f} s")


if __name__ == "__main__":
    main()
