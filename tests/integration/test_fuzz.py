"""A stranger's inputs, generated: 2,000+ requests of every kind through the real REST channel.
No 5xx, no stack trace, every reply within 5 s, and afterwards no personal number typed in
them can be found in the tracker store, the dossier database or the logs."""

from __future__ import annotations

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.integration.test_holes import digits_leak

COUNT = 2_000
SEED = 20261201
INJECTIONS = [
    "{{7*7}}",
    "{% raw %}",
    "${7*7}",
    "' OR 1=1 --",
    "'; DROP TABLE events; --",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "../../etc/passwd",
    "%00",
    "\\x00",
    "${jndi:ldap://127.0.0.1/a}",
    "{{config.__class__}}",
    "\u202eabc",
    "\u200b\u200b",
    "\ufeff",
    "NaN",
    "null",
    "[]",
    "{}",
]
WORDS = [
    "làm",
    "giấy",
    "khai sinh",
    "cho con",
    "cần gì",
    "lệ phí",
    "bao nhiêu",
    "hộ chiếu",
    "tra cứu",
    "hồ sơ",
    "how",
    "much",
    "passport",
    "đăng ký",
    "tạm trú",
    "xe máy",
    "sổ đỏ",
    "ở đâu",
    "online",
    "không",
    "ạ",
]
PAYLOADS = [
    '/choose_procedure{"procedure_code": %s}',
    '/check_dossier{"dossier_code": %s}',
    '/greet{"language": %s}',
    "/restart %s",
    "/session_start%s",
    "/back %s",
    "/%s",
    "/ask_human@%s",
    "//%s",
]


class Corpus:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.secrets: list[str] = []  # personal numbers typed: none may be found stored

    def id_number(self) -> str:
        number = f"0{self.rng.randint(1, 96):02d}" + "".join(self.rng.choice("0123456789") for _ in range(9))
        self.secrets.append(number)
        groups = self.rng.choice([[12], [3, 3, 3, 3], [4, 4, 4], [3, 3, 6], [6, 6]])
        sep = self.rng.choice(["", " ", ".", "-"])
        parts, at = [], 0
        for size in groups:
            parts.append(number[at : at + size])
            at += size
        return sep.join(parts) + self.rng.choice(["", ".", ",", ")", " ạ"])

    def phone(self) -> str:
        number = "09" + "".join(self.rng.choice("0123456789") for _ in range(8))
        self.secrets.append(number)
        prefix = self.rng.choice(["0", "+84 ", "84", "(+84) "])
        body = number[1:]
        sep = self.rng.choice(["", " ", ".", "-"])
        grouped = sep.join([body[:3], body[3:6], body[6:]]) if self.rng.random() < 0.7 else body
        return prefix + grouped

    def text(self) -> str:
        kind = self.rng.randrange(8)
        if kind == 0:
            return self.rng.choice(INJECTIONS) + " " + " ".join(self.rng.sample(WORDS, 3))
        if kind == 1:
            return self.rng.choice(PAYLOADS) % json.dumps(
                self.rng.choice([1, "x", None, [1], {"a": 1}, "1.001193", True])
            )
        if kind == 2:
            return "".join(
                chr(
                    self.rng.choice(
                        [self.rng.randint(1, 0x7F), self.rng.randint(0x80, 0x2FFF), self.rng.randint(0x1F300, 0x1FAFF)]
                    )
                )
                for _ in range(self.rng.randint(1, 400))
            )
        if kind == 3:
            return self.rng.choice(["é", "🙂", "a", "1 ", "ả", "đ", "\t", "a🙂é1 "]) * self.rng.randint(100, 1100)
        if kind == 4:
            return f"số căn cước của tôi là {self.id_number()} sđt {self.phone()}"
        if kind == 5:
            return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(1, 30)))
        if kind == 6:
            return f"tra cứu hồ sơ {self.rng.choice(['000.00.31.H04', 'G22.39', 'BN'])}-2507{self.rng.randint(10, 31)}-{self.rng.randint(0, 9999):04d}"
        return "".join(self.rng.choice("\x00\x01\x1b\x7f\r\n ") for _ in range(self.rng.randint(1, 20))) + "xin chào"

    def body(self, i: int) -> bytes:
        kind = self.rng.randrange(10)
        sender = f"fz-{i % 300}"
        if kind == 0:
            return bytes(self.rng.randrange(256) for _ in range(self.rng.randint(0, 200)))
        if kind == 1:
            good = json.dumps({"sender": sender, "message": self.text()}).encode()
            return good[: self.rng.randint(0, len(good))]
        if kind == 2:
            return json.dumps(
                {
                    "sender": self.rng.choice([None, 1, "", " ", "x" * 200, ["a"], {"a": 1}]),
                    "message": self.rng.choice([None, 1, [], {}, True, "xin chào"]),
                }
            ).encode()
        if kind == 3:
            meta = self.rng.choice(
                [
                    {"phone": self.phone()},
                    {"id": self.id_number()},
                    "x",
                    [1],
                    {"assisted": "yes"},
                    {"ui_language": "en", "client_key": "f" * 32},
                    {"x": "y" * 3000},
                ]
            )
            return json.dumps({"sender": sender, "message": self.text(), "metadata": meta}, ensure_ascii=False).encode()
        if kind == 4:
            return b'{"sender": "%s", "message": "a", "metadata": %s}' % (sender.encode(), b"[" * 3000 + b"]" * 3000)
        if kind == 5:
            return self.rng.choice(
                [
                    b'{"sender": "s", "message": NaN}',
                    b'{"sender": "s", "message": "\\udc00"}',
                    b'{"sender": "s", "message": "x", "metadata": {"a": -Infinity}}',
                ]
            )
        return json.dumps({"sender": sender, "message": self.text()}, ensure_ascii=self.rng.random() < 0.5).encode()


def test_fuzzed_inputs_get_no_5xx_no_trace_and_leave_no_personal_number(stack):
    corpus = Corpus(SEED)
    bodies = [corpus.body(i) for i in range(COUNT)]
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    # From an address of its own: its failed dossier checks must not slow the other tests' lookups.
    http = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.50"), timeout=30)

    def send(body: bytes) -> tuple[int, float, str]:
        started = time.monotonic()
        response = http.post(url, content=body, headers={"Content-Type": "application/json"})
        return response.status_code, time.monotonic() - started, response.text

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(send, bodies))
    http.close()
    elapsed = time.monotonic() - started
    statuses = [status for status, _, _ in results]
    slowest = max(seconds for _, seconds, _ in results)
    print(
        f"fuzz: {COUNT} requests in {elapsed:.0f} s, slowest {slowest:.2f} s, statuses "
        f"{ {s: statuses.count(s) for s in set(statuses)} }"
    )
    assert all(status < 500 for status in statuses)
    assert slowest < 5.0
    assert not any("Traceback" in text or 'File "' in text for _, _, text in results)
    assert statuses.count(200) > COUNT // 3  # most of the corpus reached Rasa, not only the guards

    assert httpx.get(f"{stack.actions_url}/health", timeout=10).status_code == 200
    assert httpx.get(f"{stack.rasa_url}/status", params={"token": "test-token"}, timeout=10).status_code == 200
    stored = stack.stored_bytes()
    leaked = [secret for secret in corpus.secrets if digits_leak(stored, secret)]
    assert not leaked, f"{len(leaked)} of {len(corpus.secrets)} personal numbers found stored, e.g. {leaked[:3]}"
