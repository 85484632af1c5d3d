"""Live handoff benchmark on loopback: the real action server, Rasa server and web app (the
scripts `make run` uses), a citizen on the socket.io channel as the widget talks to it, and a staff
member on the console's JSON API.

    python bench/bench_handoff.py [--messages 60] [--citizens 10]

- staff message → citizen widget: from the console's POST /staff/api/chats/{id}/messages to the
  `bot_uttered` on the citizen's socket (web app → Rasa's events API → our socket.io channel);
  target p95 ≤ 1 s;
- queue refresh: from the citizen's "queued" reply until the chat is in GET /staff/api/queue, polled
  as fast as the API answers (the console polls every second, so a new chat shows within 1 s plus
  this), and the time one queue request takes.
Figures only; tests/web/test_handoff_browser.py holds the short version with a bound.
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
from handoff.store import HandoffStore  # noqa: E402
from tests.integration.processes import stop_process_group  # noqa: E402
from tests.integration.socket_citizen import SocketCitizen  # noqa: E402
from tests.integration.stack import Stack  # noqa: E402
from tests.integration.staff_client import StaffClient  # noqa: E402
from tests.web.conftest import start_web  # noqa: E402

WARD = "Phường Kinh Bắc"
STAFF, PASSWORD = "cb.kinhbac", "mat-khau-du-dai-1"


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"n={len(values)} p50={statistics.median(ordered) * 1000:.0f} ms "
        f"p95={p95 * 1000:.0f} ms max={ordered[-1] * 1000:.0f} ms"
    )


def queue_citizen(stack: Stack) -> tuple[SocketCitizen, float]:
    """A citizen who asks for a person and is queued; returns when the "queued" reply arrived."""
    citizen = SocketCitizen(stack.rasa_url).connect()
    citizen.say("cho tôi gặp cán bộ", wait_for="handoff_offer")
    citizen.say("/affirm", wait_for="handoff_ask_ward")
    before = len(citizen.received)
    citizen.say("phường Kinh Bắc", wait_for="handoff_queued")
    queued_at, _ = citizen.wait_for("handoff_queued", after=before)
    return citizen, queued_at


def measure_queue(
    stack: Stack, staff: StaffClient, citizens: int
) -> tuple[list[float], list[float], list[SocketCitizen]]:
    appear, request, seated = [], [], []
    for _ in range(citizens):
        citizen, queued_at = queue_citizen(stack)
        seated.append(citizen)
        while True:
            start = time.monotonic()
            chats = staff.queue()
            request.append(time.monotonic() - start)
            if staff.chat_of(citizen.session_id, chats):
                appear.append(time.monotonic() - queued_at)
                break
            if time.monotonic() - queued_at > 30:
                raise SystemExit("a queued chat did not reach the console within 30 s")
    return appear, request, seated


def measure_messages(staff: StaffClient, citizen: SocketCitizen, chat_id: str, count: int) -> list[float]:
    latencies = []
    for n in range(count):
        before = len(citizen.received)
        start = time.monotonic()
        staff.post(f"/staff/api/chats/{chat_id}/messages", {"text": f"Tin nhắn số {n}"})
        arrived, _ = citizen.wait_for("agent_message", after=before, seconds=10)
        latencies.append(arrived - start)
        time.sleep(0.05)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=60, help="staff messages timed")
    parser.add_argument("--citizens", type=int, default=10, help="citizens queued, for the queue refresh")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-handoff-") as tmp:
        workdir = Path(tmp)
        stack = Stack.configure(workdir)
        web = None
        citizens: list[SocketCitizen] = []
        try:
            stack.start("actions")
            stack.start("rasa")
            web = start_web(
                workdir,
                stack.rasa_url,
                WEB_PORT=stack.env["WEB_PORT"],
                **{k: stack.env[k] for k in ("HANDOFF_DATABASE_URL", "HANDOFF_KEY", "STAFF_HOURS", "RASA_TOKEN")},
            )
            created = web.accounts(
                "create", STAFF, "--role", "staff", "--centre", WARD, "--password-stdin", password=PASSWORD + "\n"
            )
            assert created.returncode == 0, created.stderr
            staff = StaffClient(web.url)
            staff.login(STAFF, PASSWORD)
            staff.post("/staff/api/presence", {"status": "online"})

            appear, request, citizens = measure_queue(stack, staff, args.citizens)
            first = citizens[0]
            chat = staff.chat_of(first.session_id)
            staff.post(f"/staff/api/chats/{chat['id']}/claim", {"display_name": "Chị Lan"})
            first.wait_for("agent_joined", seconds=10)
            latencies = measure_messages(staff, first, chat["id"], args.messages)
            store = HandoffStore.from_url(stack.env["HANDOFF_DATABASE_URL"])
            undelivered = len(store.undelivered())

            print("## Live handoff on loopback (actions + Rasa + web app, socket.io citizen, console API)")
            print(f"staff message → widget: {percentiles(latencies)}  (target p95 ≤ 1000 ms)")
            print(f"queued → in the console's queue (API polled back to back): {percentiles(appear)}")
            print(f"GET /staff/api/queue with {args.citizens} open chats: {percentiles(request)}")
            print("the console polls every 1 s: a new chat shows within 1 s + the figure above")
            print(f"undelivered staff events left: {undelivered}")
        finally:
            for citizen in citizens:
                citizen.disconnect()
            if web is not None:
                stop_process_group(web.process)
            stack.stop_all()


if __name__ == "__main__":
    main()
