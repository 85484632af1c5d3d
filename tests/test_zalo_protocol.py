"""The Zalo protocol rules (bot/channels/zalo_protocol.py), without Rasa or a network."""

from __future__ import annotations

import hashlib
import json

import pytest

from bot.channels import zalo_protocol as zalo

APP, KEY = "4318000000000000001", "oa-secret"
BODY = json.dumps(
    {
        "event_name": "user_send_text",
        "app_id": APP,
        "sender": {"id": "7219800000000000123"},
        "recipient": {"id": "579745863508352884"},
        "message": {"text": "làm giấy khai sinh", "msg_id": "abc"},
        "timestamp": "1699003881354",
    },
    ensure_ascii=False,
).encode()


def test_the_signature_is_sha256_of_app_id_body_timestamp_and_oa_key() -> None:
    expected = hashlib.sha256(APP.encode() + BODY + b"1699003881354" + KEY.encode()).hexdigest()
    assert zalo.signed_header(APP, BODY, "1699003881354", KEY) == f"mac={expected}"
    assert zalo.verify(f"mac={expected}", APP, BODY, "1699003881354", KEY)
    assert zalo.verify(f"mac={expected.upper()}", APP, BODY, "1699003881354", KEY)


@pytest.mark.parametrize(
    "header", [None, "", "mac=", "sha256=abc", "mac=" + "0" * 64, zalo.signed_header(APP, BODY, "1", KEY)]
)
def test_a_wrong_signature_is_refused(header: str | None) -> None:
    assert not zalo.verify(header, APP, BODY, "1699003881354", KEY)


def test_a_changed_body_breaks_the_signature() -> None:
    header = zalo.signed_header(APP, BODY, "1699003881354", KEY)
    assert not zalo.verify(header, APP, BODY.replace(b"khai sinh", "khai tử".encode()), "1699003881354", KEY)


def test_events_keep_large_ids_as_strings() -> None:
    raw = BODY.replace(b'"7219800000000000123"', b"7219800000000000123")  # a number in the JSON
    event = zalo.parse_event(raw)
    assert event.user_id == "7219800000000000123" and event.msg_id == "abc" and event.text == "làm giấy khai sinh"
    assert event.timestamp_ms == 1699003881354


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"timestamp": null}', "xin chào".encode("utf-16")])
def test_a_body_without_a_timestamp_is_a_bad_event(body: bytes) -> None:
    with pytest.raises(zalo.BadEvent):
        zalo.raw_timestamp(body)


def test_freshness_window() -> None:
    event = zalo.parse_event(BODY)
    assert zalo.fresh(event, event.timestamp_ms + 299_000)
    assert not zalo.fresh(event, event.timestamp_ms + 301_000)
    assert not zalo.fresh(event, event.timestamp_ms - 301_000)


def test_long_texts_are_clipped_and_links_kept() -> None:
    long = "\n".join(f"Dòng {n}: giấy tờ cần chuẩn bị" for n in range(200))
    assert len(zalo.clip(long)) <= zalo.MAX_TEXT and zalo.clip(long).endswith("chuẩn bị")
    tail = "\n\nChi tiết: https://example.vn/thu-tuc/1.001193"
    kept = zalo.clip_keeping_tail(long, tail)
    assert len(kept) <= zalo.MAX_TEXT and kept.endswith(tail)
    assert zalo.clip_keeping_tail("ngắn", tail) == "ngắn" + tail


def test_choices_are_numbered_lines() -> None:
    text = zalo.numbered("Bạn hỏi thủ tục nào?", ["Khai sinh", "Khai tử"], "Gõ 1 hoặc 2 để chọn.")
    assert text.splitlines() == ["Bạn hỏi thủ tục nào?", "", "1. Khai sinh", "2. Khai tử", "", "Gõ 1 hoặc 2 để chọn."]


def test_zalo_error_codes() -> None:
    assert zalo.error_code({"error": 0}) == 0
    assert zalo.error_code({"error": -216, "message": "Access token is invalid"}) in zalo.TOKEN_EXPIRED
    assert zalo.error_code(None) == -1 and zalo.error_code("<html>") == -1
