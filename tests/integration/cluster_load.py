"""Realistic citizens through the balancer, for the cluster test and bench/bench_cluster.py.

Each citizen asks about a procedure, follows up 2-3 times, sometimes looks up a dossier, thinks
2-8 s between messages, over REST or socket.io (long-polling, which needs the balancer's sticky cookie; reconnecting like the widget, and
sending again what a lost connection left unanswered). Every message and reply is recorded, so
the trackers in PostgreSQL can be compared with what was sent afterwards."""

from __future__ import annotations

import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import requests
import socketio

from bot.channels.guard import channel_words

REPLY_DEADLINE_SECONDS = 5.0  # every citizen hears back within this
BUSY = {channel_words("busy", "vi"), channel_words("busy", "en")}
SLOW_DOWN = {channel_words("slow_down", "vi"), channel_words("slow_down", "en")}
OVERLOADED = {channel_words("overloaded", "vi"), channel_words("overloaded", "en")}

# (question, follow-ups): with and without diacritics, English, the aspects residents ask about
CONVERSATIONS = [
    ("làm giấy khai sinh cho con cần giấy tờ gì", ["lệ phí bao nhiêu", "nộp ở đâu", "mất mấy ngày"]),
    ("dang ky ket hon can gi", ["co mat phi khong", "lam online duoc khong", "bao lau thi xong"]),
    ("đăng ký thường trú ở đâu", ["cần mang theo gì", "có nộp online được không"]),
    ("how do I register a birth", ["how much does it cost", "where do I apply", "how long does it take"]),
    ("cấp lại căn cước bị mất", ["phí bao nhiêu", "làm ở đâu"]),
    ("xin giấy phép xây nhà", ["hồ sơ gồm những gì", "thời hạn giải quyết", "nộp ở đâu"]),
    ("đăng ký khai tử cho bố", ["cần giấy tờ gì", "có mất phí không"]),
    ("chung thuc ban sao giay to", ["le phi", "lam o dau"]),
    ("I want to register my marriage with a Vietnamese citizen", ["what documents do I need", "fees"]),
    ("đăng ký hộ kinh doanh", ["lệ phí", "bao lâu có kết quả", "làm online được không"]),
]
LOOKUP = ["tra cứu hồ sơ", "000.00.31.H04-250714-0012", "654321"]


@dataclass
class Turn:
    text: str
    sent_at: float
    latency: float | None = None  # seconds to the first reply; None: none within the deadline
    replies: list[dict[str, Any]] = field(default_factory=list)
    resent: bool = False
    error: str = ""

    @property
    def busy(self) -> bool:
        return any(r.get("text") in BUSY for r in self.replies)

    @property
    def limited(self) -> bool:
        """Refused before Rasa saw it (too fast, or the replica full): never in the tracker."""
        return any(r.get("text") in SLOW_DOWN | OVERLOADED for r in self.replies)

    @property
    def overloaded(self) -> bool:
        return any(r.get("text") in OVERLOADED for r in self.replies)


@dataclass
class Citizen:
    sender: str
    channel: str
    step: str = "question"  # of the turn being sent: question, follow_up, lookup
    turns: list[tuple[str, Turn]] = field(default_factory=list)  # (step, turn)


def script(rng: random.Random) -> list[tuple[str, str]]:
    question, follow_ups = rng.choice(CONVERSATIONS)
    steps = [("question", question)] + [
        ("follow_up", f) for f in rng.sample(follow_ups, min(len(follow_ups), rng.randint(2, 3)))
    ]
    if rng.random() < 0.25:
        steps += [("lookup", text) for text in LOOKUP]
    return steps


def source_address(index: int) -> str:
    """Each citizen its own loopback address (all of 127/8 is loopback on Linux): to the balancer
    and the per-client rate limit they are different households, as real citizens are."""
    return f"127.{1 + index // 65025 % 254}.{1 + index // 255 % 255}.{1 + index % 254}"


class SourceAddressAdapter(requests.adapters.HTTPAdapter):
    """requests (socket.io's long-polling transport) from one local address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class RestTalker:
    def __init__(self, url: str, address: str) -> None:
        self.url = url
        self.client = httpx.Client(transport=httpx.HTTPTransport(local_address=address))

    def open(self, citizen: Citizen) -> None:
        return None

    def say(self, citizen: Citizen, text: str) -> Turn:
        turn = Turn(text, time.monotonic())
        try:
            answer = self.client.post(
                f"{self.url}/webhooks/rest/webhook", json={"sender": citizen.sender, "message": text}, timeout=10
            )
            if answer.status_code != 200:
                turn.error = f"HTTP {answer.status_code}"
            else:
                turn.replies = answer.json()
                turn.latency = time.monotonic() - turn.sent_at
        except httpx.HTTPError as error:
            turn.error = type(error).__name__
        return turn

    def close(self) -> None:
        self.client.close()


class SocketTalker:
    """One socket.io session; reconnects through the balancer and rejoins the session with its token."""

    def __init__(self, url: str, address: str) -> None:
        self.url = url
        self.session: dict[str, str] = {}
        self.received: list[tuple[float, dict[str, Any]]] = []
        self.confirmed = threading.Event()
        http = requests.Session()
        http.mount("http://", SourceAddressAdapter(address))
        self.client = socketio.Client(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1, http_session=http
        )
        self.client.on("connect", self._rejoin)
        self.client.on("session_confirm", self._confirmed)
        self.client.on("bot_uttered", lambda message: self.received.append((time.monotonic(), message)))

    def _rejoin(self) -> None:
        self.client.emit("session_request", dict(self.session) or {"session_id": None})

    def _confirmed(self, data: dict[str, str]) -> None:
        self.session = data
        self.confirmed.set()

    def open(self, citizen: Citizen) -> None:
        self.client.on("disconnect", self.confirmed.clear)
        self.client.connect(self.url, transports=["polling"], socketio_path="/socket.io", wait_timeout=10)
        if not self.confirmed.wait(10):
            raise RuntimeError("no session_confirm")
        citizen.sender = self.session["session_id"]

    def say(self, citizen: Citizen, text: str) -> Turn:
        """As the widget does: send once connected; if the connection is lost before the first
        reply, send again once it is back. The latency counts from the first send."""
        turn = Turn(text, time.monotonic())
        give_up = turn.sent_at + 3 * REPLY_DEADLINE_SECONDS
        while time.monotonic() < give_up:
            if not self.confirmed.wait(max(give_up - time.monotonic(), 0)):
                break
            before = len(self.received)
            try:
                self.client.emit("user_uttered", {"message": text, "session_id": citizen.sender})
            except socketio.exceptions.SocketIOError:
                turn.resent = True
                time.sleep(0.05)
                continue
            deadline = time.monotonic() + REPLY_DEADLINE_SECONDS
            while time.monotonic() < deadline and len(self.received) == before and self.confirmed.is_set():
                time.sleep(0.01)
            if len(self.received) > before:
                turn.latency = self.received[before][0] - turn.sent_at
                time.sleep(0.3)  # the rest of the turn's messages
                turn.replies = [m for _, m in self.received[before:]]
                return turn
            if self.confirmed.is_set():
                break  # connected all along, yet nothing came back in time: a real miss
            turn.resent = True
        turn.error = "no reply"
        return turn

    def close(self) -> None:
        self.client.disconnect()


@dataclass
class LoadResult:
    citizens: list[Citizen]
    seconds: float

    def turns(self) -> list[tuple[str, Turn]]:
        return [t for c in self.citizens for t in c.turns]

    def failures(self) -> list[str]:
        """Each turn without a reply within the deadline, or with an error."""
        found = []
        for citizen in self.citizens:
            for step, turn in citizen.turns:
                late = turn.latency is None or turn.latency > REPLY_DEADLINE_SECONDS
                if turn.error or late:
                    found.append(
                        f"{citizen.channel} {citizen.sender[:8]} {step}: {turn.error or f'{turn.latency:.1f} s'}"
                    )
        return found

    def count(self, predicate: Callable[[Turn], bool]) -> int:
        return sum(1 for _, t in self.turns() if predicate(t))

    def percentiles(self) -> dict[str, tuple[int, float, float]]:
        """step -> (turns, p50 ms, p95 ms) of the first reply."""
        table = {}
        for step in ("question", "follow_up", "lookup"):
            latencies = sorted(t.latency for s, t in self.turns() if s == step and t.latency is not None)
            if latencies:
                p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
                table[step] = (len(latencies), 1000 * statistics.median(latencies), 1000 * p95)
        return table


def run_load(
    url: str,
    citizens: int,
    seconds: float,
    socket_share: float = 0.5,
    think: tuple[float, float] = (2, 8),
    seed: int = 1,
    ramp_seconds: float = 10,
) -> LoadResult:
    """`citizens` at once for `seconds`: each runs conversations back to back until time is up."""
    rng = random.Random(seed)
    everyone: list[Citizen] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def live(index: int, own: random.Random) -> None:
        time.sleep(ramp_seconds * index / max(citizens, 1))
        while time.monotonic() < stop_at:
            channel = "socketio" if own.random() < socket_share else "rest"
            citizen = Citizen(sender=f"load-{uuid.uuid4().hex[:16]}", channel=channel)
            address = source_address(index)
            talker = SocketTalker(url, address) if channel == "socketio" else RestTalker(url, address)
            try:
                talker.open(citizen)
            except Exception as error:  # noqa: BLE001 - a citizen who cannot connect is a failure, recorded
                citizen.turns.append(("connect", Turn("", time.monotonic(), error=type(error).__name__)))
                with lock:
                    everyone.append(citizen)
                continue
            with lock:
                everyone.append(citizen)
            for step, text in script(own):
                if time.monotonic() >= stop_at:
                    break
                citizen.turns.append((step, talker.say(citizen, text)))
                time.sleep(own.uniform(*think))
            talker.close()

    started = time.monotonic()
    threads = [
        threading.Thread(target=live, args=(i, random.Random(rng.random())), daemon=True) for i in range(citizens)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return LoadResult(everyone, time.monotonic() - started)


def tracker_texts(database_url: str, senders: list[str]) -> dict[str, list[str]]:
    """sender -> the user texts of its tracker in PostgreSQL, in order (Rasa's `events` table)."""
    import json

    import psycopg

    found: dict[str, list[str]] = {s: [] for s in senders}
    with psycopg.connect(database_url) as db:
        rows = db.execute(
            "SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id = ANY(%s) ORDER BY id",
            (senders,),
        ).fetchall()
    for sender, data in rows:
        found[sender].append(json.loads(data).get("text") or "")
    return found


def lost_turns(result: LoadResult, database_url: str) -> list[str]:
    """Each answered message (not refused as too fast) missing from its conversation's tracker,
    in order; a message sent again after a lost connection may be there twice."""
    from bot.privacy import mask_text

    answered = {c.sender: c for c in result.citizens if any(t.latency is not None for _, t in c.turns)}
    stored = tracker_texts(database_url, list(answered))
    lost = []
    for sender, citizen in answered.items():
        texts, position = stored[sender], 0
        for step, turn in citizen.turns:
            if turn.latency is None or turn.limited:
                continue
            expected = mask_text(turn.text)
            while position < len(texts) and texts[position] != expected:
                position += 1
            if position == len(texts):
                lost.append(f"{citizen.channel} {sender[:8]} {step} {turn.text!r}")
                break
            position += 1
    return lost
