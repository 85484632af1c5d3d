"""What recording turns costs a reply.

    python bench/bench_analytics.py [--turns 2000] [--e2e 80]

- in process: `TurnRecorder.observe` on a turn's events, as the tracker store calls it on each save
  (the writing itself happens in a thread), p50/p95 per turn; target ≤ 2 ms p95;
- end to end (`--e2e N`, 0 to skip): the same N REST turns through the real servers with
  ANALYTICS_ENABLED=0 and =1, reply latency p50/p95 side by side.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from analytics.store import TurnRecorder  # noqa: E402
from tests.integration.stack import Stack  # noqa: E402

SAMPLE_ID = "0" * 12  # an ID-number shape for the masking to work on, no real-looking number
QUESTIONS = ["làm giấy khai sinh cho con cần gì", "lệ phí bao nhiêu", "đăng ký kết hôn ở đâu", "xin chào", "không phải"]


def turn_events(n: int) -> list[dict]:
    at = time.time()
    return [
        {"event": "user", "timestamp": at, "text": f"làm giấy khai sinh cho con số {n} cần gì, căn cước {SAMPLE_ID}",
         "input_channel": "socketio",
         "parse_data": {"intent": {"name": "ask_procedure", "confidence": 0.93},
                        "entities": [{"entity": "language", "value": "vi"}]}},
        {"event": "action", "timestamp": at + 0.01, "name": "action_answer_procedure"},
        {"event": "slot", "timestamp": at + 0.2, "name": "procedure_code", "value": "1.001193"},
        {"event": "bot", "timestamp": at + 0.2, "text": "Thủ tục đăng ký khai sinh ... " * 20,
         "data": {"custom": {"type": "procedure", "code": "1.001193", "aspect": "documents"}}},
        {"event": "action", "timestamp": at + 0.21, "name": "action_listen"},
    ]  # fmt: skip


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"n={len(values)} p50={statistics.median(ordered) * 1000:.3f} ms p95={p95 * 1000:.3f} ms"


def in_process(turns: int, workdir: Path) -> list[float]:
    recorder = TurnRecorder(f"sqlite:///{workdir / 'analytics.sqlite'}", "bench-key")
    costs = []
    for n in range(turns):
        events = turn_events(n)
        start = time.perf_counter()
        recorder.observe(f"sender-{n % 50}", events)
        costs.append(time.perf_counter() - start)
    recorder.flush(timeout=60)
    return costs


def end_to_end(turns: int, workdir: Path, enabled: str) -> list[float]:
    stack = Stack.configure(workdir, ANALYTICS_ENABLED=enabled)
    try:
        stack.start("actions")
        stack.start("rasa")
        for question in QUESTIONS:  # warm-up
            stack.say("warm", question)
        latencies = []
        for n in range(turns):
            start = time.perf_counter()
            stack.say(f"bench-{n // 5}", QUESTIONS[n % len(QUESTIONS)])
            latencies.append(time.perf_counter() - start)
        return latencies
    finally:
        stack.stop_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--e2e", type=int, default=80)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as tmp:
        workdir = Path(tmp)
        print("## Turn records")
        print(f"observe() per turn, in process: {percentiles(in_process(args.turns, workdir))}  (target p95 ≤ 2 ms)")
        if args.e2e:
            for enabled in ("0", "1"):
                run_dir = workdir / f"e2e-{enabled}"
                run_dir.mkdir()
                print(
                    f"REST turn with ANALYTICS_ENABLED={enabled}: {percentiles(end_to_end(args.e2e, run_dir, enabled))}"
                )


if __name__ == "__main__":
    main()
