"""Zalo channel benchmark on loopback: the real action server and Rasa server with the Zalo channel
on, a stand-in for Zalo's API (tests/integration/fake_zalo.py) that signs events and records replies.

    python bench/bench_zalo.py [--events 60] [--burst 30]

- webhook acknowledge time: signed POST → our 200 (Zalo wants it within 2 s; target p95 ≤ 50 ms),
  one event at a time and in a burst of concurrent events;
- event → reply: signed POST → the reply reaching Zalo's message API (p50/p95).
Figures only; tests/integration/test_zalo.py holds the bounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.integration.fake_zalo import FakeZalo  # noqa: E402
from tests.integration.stack import Stack  # noqa: E402

QUESTIONS = [
    "làm giấy khai sinh cho con cần gì",
    "đăng ký kết hôn ở đâu",
    "lệ phí cấp hộ chiếu bao nhiêu",
    "xin chào",
    "cấp đổi giấy phép lái xe mất bao lâu",
    "đăng ký thường trú cần giấy tờ gì",
]


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"n={len(values)} p50={statistics.median(ordered) * 1000:.0f} ms p95={p95 * 1000:.0f} ms max={ordered[-1] * 1000:.0f} ms"


def one_at_a_time(fake: FakeZalo, stack: Stack, count: int) -> tuple[list[float], list[float]]:
    acks, replies = [], []
    for n in range(count):
        user = str(7_100_000_000_000_000_000 + n)
        before = len(fake.replies_to(user))
        start = time.monotonic()
        answer = fake.post(stack.rasa_url, fake.event("user_send_text", user, QUESTIONS[n % len(QUESTIONS)]))
        acks.append(time.monotonic() - start)
        assert answer.status_code == 200, answer.text
        fake.wait_for(user, before + 1, seconds=60)
        replies.append([m["at"] for m in fake.sent if m["to"] == user][before] - start)
    return acks, replies


def burst(fake: FakeZalo, stack: Stack, count: int) -> list[float]:
    def post(n: int) -> float:
        body = fake.event("user_send_text", f"72{uuid.uuid4().int % 10**17}", QUESTIONS[n % len(QUESTIONS)])
        start = time.monotonic()
        assert fake.post(stack.rasa_url, body).status_code == 200
        return time.monotonic() - start

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(post, range(count)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--burst", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-zalo-") as tmp:
        stack = Stack.configure(Path(tmp))
        fake = FakeZalo.for_stack(stack).start()
        try:
            stack.start("actions")
            stack.start("rasa")
            one_at_a_time(fake, stack, 3)  # warm-up: the first answers pay for loading
            acks, replies = one_at_a_time(fake, stack, args.events)
            burst_acks = burst(fake, stack, args.burst)
            time.sleep(5)
            print("## Zalo channel on loopback (actions + Rasa, fake Zalo API)")
            print(f"webhook acknowledge, one at a time: {percentiles(acks)}  (target p95 ≤ 50 ms)")
            print(f"webhook acknowledge, {args.burst} at once: {percentiles(burst_acks)}")
            print(f"event → reply at Zalo's API: {percentiles(replies)}")
        finally:
            fake.stop()
            stack.stop_all()


if __name__ == "__main__":
    main()
