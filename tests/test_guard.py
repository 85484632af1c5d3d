"""bot/channels/guard.py on its own (no Rasa, no server): what a channel accepts from a client,
what of a citizen's text reaches Rasa, and the polite replies when it cannot answer normally.
The channels that use it are exercised end to end in tests/integration/test_holes.py."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
import yaml

from bot.channels import guard
from bot.channels.guard import (
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    MAX_MESSAGE_CHARS,
    MAX_METADATA_BYTES,
    BadRequest,
    citizen_text,
    client_address,
    client_key,
    client_metadata,
    load_json,
    parse_body,
    refusal_for,
    reply_in_time,
)
from tests.conftest import REPO

MESSAGES = yaml.safe_load((REPO / "bot" / "channels" / "messages.yml").read_text(encoding="utf-8"))
CHOSEN = '/choose_procedure{"procedure_code": "1.001193"}'


def rejected(body: bytes) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        load_json(body)
    return caught.value


def body(**fields: Any) -> bytes:
    return json.dumps(fields, ensure_ascii=False).encode("utf-8")


# ------------------------------------------------------------------ the body


def test_a_body_up_to_16_kb_is_read_and_a_larger_one_is_413() -> None:
    filler = "a" * (MAX_BODY_BYTES - len(b'{"sender": "s", "message": ""}'))
    exact = body(sender="s", message=filler)
    assert len(exact) == MAX_BODY_BYTES == 16 * 1024
    assert load_json(exact)["message"] == filler
    error = rejected(body(sender="s", message=filler + "a"))
    assert error.status == 413 and "16384 bytes" in str(error)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant: str) -> None:
    error = rejected(b'{"sender": "s", "message": "x", "metadata": {"n": %s}}' % constant.encode())
    assert error.status == 400 and constant.lstrip("-") in str(error)


def test_nesting_deeper_than_the_limit_is_refused_before_it_costs_anything() -> None:
    def nested(depth: int) -> bytes:
        return b'{"sender": "s", "message": "x", "metadata": ' + b"[" * (depth - 1) + b"1" + b"]" * (depth - 1) + b"}"

    assert load_json(nested(MAX_JSON_DEPTH))["sender"] == "s"
    assert "nested too deeply" in str(rejected(nested(MAX_JSON_DEPTH + 1)))
    deep = rejected(b"[" * 8000 + b"]" * 8000)  # past the parser's own recursion limit, within 16 KB
    assert deep.status == 400


@pytest.mark.parametrize(
    "raw",
    [
        b'{"sender": "s", "message": "\\ud800"}',
        b'{"sender": "s", "\\udc00": 1}',
        b'{"sender": "s", "message": ["ok", "\\udfff x"]}',
    ],
)
def test_lone_surrogates_anywhere_are_refused(raw: bytes) -> None:
    error = rejected(raw)
    assert error.status == 400 and "not valid Unicode" in str(error)
    assert load_json(b'{"message": "\\ud83d\\ude00"}') == {"message": "😀"}  # a proper pair is text


@pytest.mark.parametrize(
    "raw, says", [(b"\xff\xfe{}", "UTF-8"), (b"{'sender': 1}", "not valid JSON"), (b"", "not valid JSON")]
)
def test_what_is_not_utf8_json_is_400(raw: bytes, says: str) -> None:
    error = rejected(raw)
    assert error.status == 400 and says in str(error)


@pytest.mark.parametrize(
    "raw",
    [
        b'["s", "x"]',
        body(message="x"),
        body(sender="  ", message="x"),
        body(sender="s" * 129, message="x"),
        body(sender=1, message="x"),
        body(sender="s", message=["x"]),
        body(sender="s", message=None),
    ],
)
def test_a_rest_body_needs_a_sender_and_a_text_message(raw: bytes) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_body(raw)
    assert caught.value.status == 400


def test_a_rest_body_is_read_into_sender_text_and_allowed_metadata() -> None:
    incoming = parse_body(body(sender="  web-1 ", message="lệ phí bao nhiêu", metadata={"ui_language": "en"}))
    assert (incoming.sender, incoming.text, incoming.metadata) == ("web-1", "lệ phí bao nhiêu", {"ui_language": "en"})
    assert parse_body(body(sender="s")).text == ""  # an empty message is refused politely later, not here


# ------------------------------------------------------------------ metadata


def test_metadata_keeps_only_the_allow_list_with_the_right_types() -> None:
    sent = {
        "ui_language": "en",
        "assisted": True,
        "phone": "0912345678",
        "name": "Nguyễn Văn An",
        "client_key": "0123456789abcdef0123456789abcdef",
        "language": "en",
        "nested": {"a": 1},
    }
    assert client_metadata(sent) == {"ui_language": "en", "assisted": True}  # the channel alone sets client_key
    assert client_metadata({"ui_language": "fr", "assisted": "true"}) == {}
    assert client_metadata({"ui_language": ["vi"], "assisted": 1}) == {}
    assert client_metadata(None) == {}


@pytest.mark.parametrize("raw", ["vi", ["ui_language", "vi"], 3, True])
def test_metadata_that_is_not_an_object_is_400(raw: Any) -> None:
    with pytest.raises(BadRequest) as caught:
        client_metadata(raw)
    assert caught.value.status == 400


def test_metadata_over_1_kb_is_413_even_when_nothing_of_it_would_be_kept() -> None:
    filler = "x" * (MAX_METADATA_BYTES - len('{"ui_language": "vi", "p": ""}'))
    assert client_metadata({"ui_language": "vi", "p": filler}) == {"ui_language": "vi"}
    with pytest.raises(BadRequest) as caught:
        client_metadata({"ui_language": "vi", "p": filler + "x"})
    assert caught.value.status == 413
    with pytest.raises(BadRequest) as caught:  # counted in UTF-8 bytes, not characters
        client_metadata({"p": "ệ" * (MAX_METADATA_BYTES // 3)})
    assert caught.value.status == 413


# ------------------------------------------------------------------ what reaches Rasa


@pytest.mark.parametrize(
    "typed",
    [
        CHOSEN,
        '/choose_procedure{ "procedure_code" : "1.001193" }',
        '  /choose_procedure{"procedure_code":"1.001193"}\n',
    ],
)
def test_a_clarification_pick_reaches_rasa_in_its_one_canonical_form(typed: str) -> None:
    assert citizen_text(typed) == CHOSEN


@pytest.mark.parametrize("typed", ["/restart", "/RESTART", " /Restart "])
def test_start_over_reaches_rasa_as_restart(typed: str) -> None:
    assert citizen_text(typed) == "/restart"


@pytest.mark.parametrize(
    "typed, read_as",
    [
        ("/greet", "greet"),
        ("/session_start", "session_start"),
        (
            '/check_dossier{"dossier_code": "000.00.31.H04-250714-0012"}',
            'check_dossier{"dossier_code": "000.00.31.H04-250714-0012"}',
        ),
        ('//choose_procedure{"procedure_code": "1.001193"}', 'choose_procedure{"procedure_code": "1.001193"}'),
        ('/choose_procedure{"procedure_code": "1.0011"}', 'choose_procedure{"procedure_code": "1.0011"}'),
        ('/choose_procedure{"procedure_code": 1.001193}', 'choose_procedure{"procedure_code": 1.001193}'),
        (
            '/choose_procedure{"procedure_code": "1.001193", "aspect": "fees"}',
            'choose_procedure{"procedure_code": "1.001193", "aspect": "fees"}',
        ),
        (CHOSEN + " please", 'choose_procedure{"procedure_code": "1.001193"} please'),
        ("/restart now", "restart now"),
        ("/ / /", ""),
    ],
)
def test_any_other_leading_slash_is_dropped_so_no_intent_or_entity_can_be_forced(typed: str, read_as: str) -> None:
    assert citizen_text(typed) == read_as
    assert not citizen_text(typed).startswith("/")


@pytest.mark.parametrize("typed", ["lệ phí bao nhiêu", "  nộp ở đâu  ", "1/2 số tiền", "a/b"])
def test_ordinary_text_reaches_rasa_unchanged(typed: str) -> None:
    assert citizen_text(typed) == typed


def test_client_key_is_a_keyed_hash_never_the_address() -> None:
    first, again, other = client_key("203.0.113.7"), client_key("203.0.113.7"), client_key("203.0.113.8")
    assert first == again != other
    assert first is not None and len(first) == 32 and int(first, 16) >= 0 and "203.0.113.7" not in first
    assert client_key(None) is None and client_key("") is None


def test_the_client_address_comes_from_forwarded_for_only_behind_our_balancer(monkeypatch) -> None:
    monkeypatch.setenv("RASA_TRUSTED_PROXIES", "10.0.0.5, 127.0.0.1")
    # the balancer appends the real peer last; anything before it is what the client claimed
    assert client_address("10.0.0.5", "198.51.100.1, 203.0.113.9") == "203.0.113.9"
    assert client_address("203.0.113.50", "198.51.100.1") == "203.0.113.50"  # not our balancer: ignored
    assert client_address("10.0.0.5", None) == "10.0.0.5"
    monkeypatch.delenv("RASA_TRUSTED_PROXIES")
    assert client_address("127.0.0.1", "198.51.100.1") == "127.0.0.1"  # trust none by default


# ------------------------------------------------------------------ polite replies


def test_refusal_for_empty_or_too_long_text_and_none_otherwise() -> None:
    assert refusal_for("") == refusal_for("  \n ") == MESSAGES["empty"]["vi"]
    assert refusal_for("a" * MAX_MESSAGE_CHARS) is None
    assert refusal_for("làm giấy khai sinh cần gì") is None
    long_vi = refusal_for("lệ phí " * 200)
    assert long_vi == MESSAGES["too_long"]["vi"].format(length=1400, limit=MAX_MESSAGE_CHARS)
    long_en = refusal_for("how much is the fee " * 60)
    assert long_en == MESSAGES["too_long"]["en"].format(length=1200, limit=MAX_MESSAGE_CHARS)


def collecting(replies: list[dict[str, Any]], *, delay: float = 0.0, error: Exception | None = None):
    """A stand-in for Rasa's handling of one message: waits, maybe fails, and says `replies`."""
    said: list[dict[str, Any]] = []
    done = asyncio.Event()

    async def handle() -> None:
        await asyncio.sleep(delay)
        said.extend(replies)
        done.set()
        if error is not None:
            raise error

    return handle, (lambda: list(said)), done


def run_in_time(replies: list[dict[str, Any]], text: str = "lệ phí bao nhiêu", **kwargs: Any):
    async def scenario():
        handle, collected, done = collecting(replies, **{k: kwargs.pop(k) for k in ("delay", "error") if k in kwargs})
        answered = await reply_in_time(handle, collected, text, "r-1", **kwargs)
        finished = await asyncio.wait_for(done.wait(), timeout=5)  # shielded: the handling goes on
        return answered, finished

    return asyncio.run(scenario())


def test_an_answer_in_time_is_passed_on_as_it_is() -> None:
    answer = [{"recipient_id": "r-1", "text": "Lệ phí: miễn phí."}]
    assert run_in_time(answer, timeout=1.0) == (answer, True)


def test_a_slow_answer_gets_a_polite_reply_in_time_and_still_finishes() -> None:
    answered, finished = run_in_time([{"recipient_id": "r-1", "text": "late"}], delay=0.5, timeout=0.05)
    assert answered == [{"recipient_id": "r-1", "text": MESSAGES["busy"]["vi"]}]
    assert finished  # the tracker gets the whole turn even though the citizen was answered first


def test_a_full_process_refuses_a_new_message_at_once_and_counts_turns_back_down() -> None:
    turns = guard.TurnsInFlight(limit=1)

    async def scenario():
        started: list[str] = []

        async def slow() -> None:
            started.append("slow")
            await asyncio.sleep(0.3)

        async def other() -> None:
            started.append("other")

        first = asyncio.ensure_future(reply_in_time(slow, lambda: [], "a", "r-1", timeout=1.0, turns=turns))
        await asyncio.sleep(0.05)
        refused = await reply_in_time(other, lambda: [], "lệ phí", "r-2", timeout=1.0, turns=turns)
        await first
        await asyncio.sleep(0.01)
        return started, refused, turns.count

    started, refused, left = asyncio.run(scenario())
    assert started == ["slow"]  # the refused message never reached Rasa
    assert refused == [{"recipient_id": "r-2", "text": MESSAGES["overloaded"]["vi"]}]
    assert left == 0


def test_a_silent_handler_gets_a_polite_reply_in_the_citizens_language() -> None:
    answered, _ = run_in_time([], text="how much is the fee", timeout=1.0)
    assert answered == [{"recipient_id": "r-1", "text": MESSAGES["busy"]["en"]}]


def test_a_failing_handler_gets_a_polite_reply_and_nothing_of_the_error_leaks(caplog) -> None:
    secret = "Traceback: tracker {'identity_digits': '734711'}"
    with caplog.at_level(logging.DEBUG, logger=guard.__name__):
        answered, _ = run_in_time([], error=RuntimeError(secret), timeout=1.0)
    assert answered == [{"recipient_id": "r-1", "text": MESSAGES["busy"]["vi"]}]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "reply.failure: RuntimeError" in logged
    assert "734711" not in logged + json.dumps(answered) and "Traceback" not in logged


def test_a_handler_that_said_something_before_failing_keeps_it_and_adds_nothing() -> None:
    partial = [{"recipient_id": "r-1", "text": "Lệ phí: miễn phí."}]
    answered, _ = run_in_time(partial, error=ValueError("x"), timeout=1.0)
    assert answered == partial
