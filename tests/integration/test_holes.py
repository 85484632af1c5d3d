"""The holes an attack on the running assistant found, each checked through the real Rasa server
and action server: personal data in what is written down, forged payloads and slots, oversized
and malformed bodies, session takeover over socket.io, what the Rasa server exposes."""

from __future__ import annotations

import json
import re
import threading
import time

import httpx
import pytest
import socketio

from tests.conftest import identity_digits
from tests.integration.stack import payload, payloads, text_of

PERSONAL = {
    "id_full_stop": "001234567962",
    "id_dashed": "001234567891",
    "phone_433": "0912345680",
    "phone_plus84": "0987654321",
    "email": "nguyen.van.an.1985@gmail.com",
    "name": "Trần Thị Bích Ngọc",
}


def digits_leak(blob: bytes, number: str) -> bool:
    """The number appears as a digit run, whatever separators were typed between its digits."""
    pattern = rb"[\s.\-]?".join(re.escape(d.encode()) for d in number)
    return re.search(rb"(?<!\d)" + pattern + rb"(?!\d)", blob) is not None


def test_personal_data_never_reaches_the_tracker_store_or_the_logs(stack, dossier_records):
    record = dossier_records[2]
    conversation = [
        f"Số căn cước: {PERSONAL['id_full_stop']}.",
        "tra cứu hồ sơ",
        f"mã của tôi là {record['code']}, cccd 001-234-567-891",  # typed while the code is asked
        f"căn cước của tôi là {record['applicant_id_number']}.",  # the identity step, full stop included
        "sđt của tôi 0912 345 680, email nguyen.van.an.1985@gmail.com",
        "tên tôi là Trần Thị Bích Ngọc, muốn làm giấy khai sinh cho con",
    ]
    for text in conversation:
        stack.say("h-privacy", text)
    metadata = {"phone": "+84 987 654 321", "id": PERSONAL["id_dashed"], "name": PERSONAL["name"], "assisted": True}
    stack.say("h-privacy", "xin chào", metadata=metadata)

    stored = stack.stored_bytes()
    assert b"h-privacy" in stored  # the conversation really is in there
    for what, number in [
        *((k, v) for k, v in PERSONAL.items() if v[0].isdigit()),
        ("id", record["applicant_id_number"]),
    ]:
        assert not digits_leak(stored, number), what
    for word in (b"nguyen.van.an.1985", b"gmail.com", "Bích Ngọc".encode(), "Trần Thị".encode()):
        assert word not in stored, word
    assert not digits_leak(stored, identity_digits(3))
    # metadata: only the allow-list is kept
    events = [e for e in stack.tracker("h-privacy")["events"] if e["event"] == "user"]
    assert set(events[-1].get("metadata") or {}) <= {"assisted", "ui_language", "client_key"}


def test_an_action_failure_or_a_forged_entity_never_dumps_the_tracker(stack):
    marker = "0915556677"
    stack.say("h-forged", f"sdt {marker} làm giấy khai sinh cho con cần gì")
    for body in ({"a": 1}, 42, ["1.001193"], None, "1.001193 OR 1=1"):
        text = "/choose_procedure" + json.dumps({"procedure_code": body})
        reply = stack.say("h-forged", text)
        assert text_of(reply) and "bận" not in text_of(reply), body
    # A direct call with slots of the wrong types: no 500, no echo of the body.
    call = {
        "next_action": "action_answer_procedure",
        "sender_id": "h-direct",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "h-direct",
            "slots": {
                "procedure_code": {"x": 1},
                "candidates": "1.001193",
                "language": ["en"],
                "aspect": 7,
                "ward": {"w": marker},
            },
            "latest_message": {
                "text": {"t": marker},
                "intent": "ask",
                "entities": [{"entity": "procedure_code", "value": [1]}],
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        },
    }
    forged = httpx.post(f"{stack.actions_url}/webhook", json=call, timeout=30)
    assert forged.status_code == 401 and marker not in forged.text  # not from Rasa: no action runs
    response = httpx.post(f"{stack.actions_url}/webhook", json=call, headers=stack.action_headers, timeout=30)
    assert response.status_code < 500 and marker not in response.text
    lookup = {**call, "next_action": "action_lookup_dossier"}
    lookup["tracker"]["slots"] = {"dossier_code": ["x"], "identity_digits": {"d": 1}}
    response = httpx.post(f"{stack.actions_url}/webhook", json=lookup, headers=stack.action_headers, timeout=30)
    assert response.status_code < 500 and marker not in response.text
    logs = stack.log("rasa").read_bytes() + stack.log("actions").read_bytes()
    assert not digits_leak(logs, marker)
    assert b'"events"' not in logs and b"latest_message" not in logs


@pytest.mark.parametrize(
    "body, status",
    [
        (json.dumps({"sender": "h-big", "message": "xin chào", "metadata": {"x": "y" * 10_000_000}}).encode(), 413),
        (json.dumps({"sender": "h-big", "message": "xin chào", "metadata": {"x": "y" * 30_000}}).encode(), 413),
        (json.dumps({"sender": "h-big", "message": "xin chào", "metadata": {"x": "y" * 2_000}}).encode(), 413),
        (json.dumps({"sender": "h-big", "message": "xin chào", "metadata": "phone"}).encode(), 400),
        (b'{"sender": "h-deep", "message": "hi", "metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400),
        (b'{"sender": "h-nan", "message": "hi", "metadata": {"x": NaN}}', 400),
        (b'{"sender": "h-inf", "message": "hi", "metadata": {"x": Infinity}}', 400),
        (b'{"sender": "h-surrogate", "message": "xin ch\\ud800o"}', 400),
    ],
)
def test_bodies_beyond_the_limits_are_refused_clearly(stack, body, status):
    response = httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == status
    assert "Traceback" not in response.text


def test_metadata_does_not_grow_the_tracker_store(stack):
    before = sum(p.stat().st_size for p in stack.workdir.glob("tracker.db*"))
    for _i in range(5):
        stack.say("h-meta", "xin chào", metadata={f"k{j}": "v" * 40 for j in range(20)})
    after = sum(p.stat().st_size for p in stack.workdir.glob("tracker.db*"))
    assert after - before < 200_000
    events = [e for e in stack.tracker("h-meta")["events"] if e["event"] == "user"]
    assert all(not any(k.startswith("k") for k in (e.get("metadata") or {})) for e in events)


@pytest.mark.parametrize(
    "text",
    [
        '/check_dossier{"dossier_code": "000.00.31.H04-250714-0012"}',
        '/inform_identity_digits{"identity_digits": "123456"}',
        '/greet{"language": "en"}',
        "/session_start",
        "/back",
        "/ask_human@1.0",
    ],
)
def test_a_citizen_cannot_force_an_intent_or_a_slot(stack, text):
    sender = f"h-force-{abs(hash(text)) % 10_000}"
    reply = stack.say(sender, text)
    assert text_of(reply) and "bận" not in text_of(reply)
    tracker = stack.tracker(sender)
    user = [e for e in tracker["events"] if e["event"] == "user"][-1]
    assert user["parse_data"]["intent"].get("confidence", 0) < 1.0  # classified, not dictated
    assert all(e.get("extractor") not in (None, "RegexMessageHandler") for e in user["parse_data"]["entities"])
    assert tracker["slots"].get("identity_digits") is None


def test_a_pick_answers_only_a_procedure_the_index_has(stack):
    reply = stack.say("h-pick", '/choose_procedure{"procedure_code": "9.999999"}')
    assert not any(p["type"] == "procedure" for p in payloads(reply))
    assert text_of(reply) and "bận" not in text_of(reply)
    # a deep link from a procedure page picks a procedure the bot has not offered yet
    assert (
        payload(stack.say("h-pick", '/choose_procedure{"procedure_code": "1.001193"}'), "procedure")["code"]
        == "1.001193"
    )


def test_restart_starts_over_with_a_reply(stack):
    stack.say("h-restart", "làm giấy khai sinh cho con cần gì")
    assert stack.tracker("h-restart")["slots"]["procedure_code"] == "1.001193"
    reply = stack.say("h-restart", "/restart")
    assert "bắt đầu lại" in text_of(reply)
    assert stack.tracker("h-restart")["slots"]["procedure_code"] is None
    assert text_of(stack.say("h-restart", "xin chào"))


def test_dossier_code_and_lookup_words_open_the_lookup(stack, dossier_records):
    for i, record in enumerate(dossier_records):
        for template in ("tra cứu hồ sơ {}", "tra cuu ho so {}", "kiểm tra hồ sơ mã {}", "check my dossier {}"):
            reply = stack.say(f"h-lookup-{i}-{len(template)}", template.format(record["code"]))
            assert payload(reply, "ask")["slot"] == "identity_digits", template


@pytest.mark.parametrize(
    "text", ["{{7*7}}", "' OR 1=1 --", "<script>alert(1)</script>", "${jndi:ldap://x}", "%00", "../../etc/passwd"]
)
def test_injection_looking_strings_do_not_open_the_dossier_form(stack, text):
    sender = f"h-inject-{abs(hash(text)) % 10_000}"
    reply = stack.say(sender, text)
    assert not any(p.get("type") == "ask" for p in payloads(reply))
    assert "49" not in text_of(reply)
    assert stack.tracker(sender).get("active_loop", {}).get("name") is None


def test_rasa_listens_on_loopback_and_hides_its_token_and_version(stack):
    import psutil

    rasa = psutil.Process(stack.processes["rasa"].pid)
    family = [rasa, *rasa.children(recursive=True)]
    assert all("test-token" not in " ".join(p.cmdline()) for p in family)
    listening = {c.laddr for p in family for c in p.net_connections(kind="tcp") if c.status == "LISTEN"}
    assert listening and all(addr.ip == "127.0.0.1" for addr in listening), listening
    assert httpx.get(f"{stack.rasa_url}/version").status_code == 404
    assert "version" not in httpx.get(f"{stack.rasa_url}/").text
    assert httpx.get(f"{stack.rasa_url}/version", params={"token": "test-token"}).status_code == 200


def test_cors_answers_only_the_configured_web_origin(stack):
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    body = {"sender": "h-cors", "message": "xin chào"}
    evil = httpx.post(url, json=body, headers={"Origin": "https://evil.example"}, timeout=30)
    assert "access-control-allow-origin" not in evil.headers
    ours = f"http://127.0.0.1:{stack.env['WEB_PORT']}"
    allowed = httpx.post(url, json=body, headers={"Origin": ours}, timeout=30)
    assert allowed.headers.get("access-control-allow-origin") == ours


def _socket(stack) -> tuple[socketio.Client, list, list]:
    client, confirms, replies = socketio.Client(reconnection=False), [], []
    client.on("session_confirm", confirms.append)
    client.on("bot_uttered", replies.append)
    client.connect(stack.rasa_url, transports=["polling"], socketio_path="/socket.io", wait_timeout=20)
    return client, confirms, replies


def _wait(items: list, count: int = 1, seconds: float = 20.0) -> list:
    deadline = time.monotonic() + seconds
    while len(items) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return items


def test_a_known_socketio_session_id_does_not_give_its_conversation(stack):
    owner, confirms, owner_replies = _socket(stack)
    try:
        owner.emit("session_request", {"session_id": None})
        session = _wait(confirms)[0]
        assert session["session_id"] and session["session_token"]
        owner.emit(
            "user_uttered", {"message": "làm giấy khai sinh cho con cần gì", "session_id": session["session_id"]}
        )
        assert _wait(owner_replies)

        thief, thief_confirms, thief_replies = _socket(stack)
        try:
            thief.emit("session_request", {"session_id": session["session_id"]})  # the id alone
            stolen = _wait(thief_confirms)[0]
            assert stolen["session_id"] != session["session_id"]
            owner_before = len(owner_replies)
            thief.emit("user_uttered", {"message": "lệ phí bao nhiêu", "session_id": session["session_id"]})
            assert _wait(thief_replies)  # answered, in the thief's own new session
            owner.emit("user_uttered", {"message": "mất bao lâu", "session_id": session["session_id"]})
            _wait(owner_replies, owner_before + 1)
            assert len(owner_replies) == owner_before + 1  # the owner saw only its own answer
        finally:
            thief.disconnect()
        texts = [e["text"] for e in stack.tracker(session["session_id"])["events"] if e["event"] == "user"]
        assert "lệ phí bao nhiêu" not in texts and "mất bao lâu" in texts

        again, again_confirms, _ = _socket(stack)  # the owner's browser after a reload keeps its session
        try:
            again.emit("session_request", session)
            assert _wait(again_confirms)[0]["session_id"] == session["session_id"]
        finally:
            again.disconnect()
    finally:
        owner.disconnect()


def test_no_log_line_carries_a_request_body(stack):
    logs = (stack.log("rasa").read_bytes() + stack.log("actions").read_bytes()).decode("utf-8", "replace")
    assert "request_body" not in logs and "Failed to parse arguments in line" not in logs
    assert not re.search(r"(?<![\w.])\d{12}(?![\w])", logs)
    assert all(len(line) <= 2_100 for line in logs.splitlines())


WORST_CASE = [
    "é" * 999,
    "🙂" * 1000,
    "a🙂é1 " * 200,
    "1 " * 500,
    "ả" * 1000,
    "xin chào " * 111,
    "đ." * 500,
    "\u0300" * 1000,
    "𝔸" * 1000,
    "0912345678 " * 90,
]


def _parse_seconds(stack, text: str) -> float:
    best = float("inf")
    for _ in range(3):  # the cost of the message, not the machine's noise
        started = time.monotonic()
        httpx.post(
            f"{stack.rasa_url}/model/parse", params={"token": "test-token"}, json={"text": text}, timeout=30
        ).raise_for_status()
        best = min(best, time.monotonic() - started)
    return best


def test_the_costliest_messages_parse_within_200_ms(stack):
    costs = {text[:8]: _parse_seconds(stack, text) for text in WORST_CASE}
    print("parse seconds:", {k: round(v, 3) for k, v in costs.items()})
    assert max(costs.values()) <= 0.2, costs


def test_two_clients_sending_worst_case_messages_do_not_stall_a_citizen(stack):
    stop = threading.Event()

    def attack(i: int) -> None:
        while not stop.is_set():
            for text in WORST_CASE:
                httpx.post(
                    f"{stack.rasa_url}/webhooks/rest/webhook",
                    json={"sender": f"h-attack-{i}", "message": text},
                    timeout=30,
                )

    attackers = [threading.Thread(target=attack, args=(i,), daemon=True) for i in range(2)]
    for thread in attackers:
        thread.start()
    try:
        time.sleep(1)
        waits = []
        for question in ["làm giấy khai sinh cho con cần gì", "lệ phí bao nhiêu", "xin chào", "mất bao lâu"] * 5:
            started = time.monotonic()
            assert text_of(stack.say("h-victim", question))
            waits.append(time.monotonic() - started)
    finally:
        stop.set()
        for thread in attackers:
            thread.join(timeout=30)
    p95 = sorted(waits)[int(0.95 * len(waits)) - 1]
    print(f"citizen under attack: p50 {sorted(waits)[len(waits) // 2]:.3f} s, p95 {p95:.3f} s")
    assert p95 < 1.0
