"""The walking skeleton end to end: real Rasa server + real action server over REST."""

from __future__ import annotations

import httpx

from tests.integration.stack import payload, text_of


def test_health_endpoints_report_what_is_loaded(stack):
    assert httpx.get(f"{stack.rasa_url}/status", params={"token": "test-token"}).status_code == 200
    assert httpx.get(f"{stack.rasa_url}/status").status_code == 401  # the HTTP API wants the token
    health = httpx.get(f"{stack.actions_url}/health").json()
    assert health["status"] == "ok" and health["knowledge_loaded"] is True
    assert health["procedures"] >= 60 and health["model"]


def test_greeting_in_vietnamese(stack):
    reply = stack.say("p-greet", "xin chào")
    assert "Xin chào" in text_of(reply)


def test_birth_question_is_answered_from_the_knowledge_base_with_citation(stack):
    reply = stack.say("p-birth", "làm giấy khai sinh cho con cần gì")
    answer = payload(reply, "procedure")
    assert answer["code"] == "1.001193"
    assert answer["aspect"] == "documents"
    assert answer["source_url"].startswith("https://dichvucong.gov.vn/")
    text = text_of(reply)
    assert "1.001193" in text and answer["source_url"] in text
    assert len([m for m in reply if m.get("text")]) == 1  # one readable message, not fragments


def test_slot_setting_action_keeps_the_procedure_for_follow_ups(stack):
    stack.say("p-slots", "thủ tục đăng ký kết hôn")
    tracker = httpx.get(f"{stack.rasa_url}/conversations/p-slots/tracker", params={"token": "test-token"}).json()
    assert tracker["slots"]["procedure_code"] == "1.000894"
    assert payload(stack.say("p-slots", "lệ phí bao nhiêu"), "procedure")["code"] == "1.000894"


def test_form_validation_action_rejects_a_bad_code_and_asks_again(stack):
    assert payload(stack.say("p-form", "tra cứu hồ sơ"), "ask")["slot"] == "dossier_code"
    reply = stack.say("p-form", "abc123")
    assert "000.00.31.H04-250714-0012" in text_of(reply)  # the example of a valid code
    assert payload(reply, "ask")["slot"] == "dossier_code"
    reply = stack.say("p-form", "mã của tôi là 000.00.31.h04 - 250714 - 0012")
    assert payload(reply, "ask")["slot"] == "identity_digits"


def test_malformed_requests_get_a_clear_4xx(stack):
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    cases = [
        b"{not json",
        '{"sender": "x", "message": "xin ch\xe0o"}'.encode("latin-1"),  # not UTF-8
        b'{"message": "hi"}',  # no sender
        b'{"sender": "x", "message": 42}',
        b'["sender", "message"]',
    ]
    for body in cases:
        response = httpx.post(url, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, body
        assert response.json()["error"]


def test_empty_and_huge_messages_get_a_polite_reply(stack):
    assert "thủ tục" in text_of(stack.say("p-empty", "   "))
    reply = stack.say("p-huge", "thủ tục khai sinh " * 600)  # ~10,000 characters
    assert "dài quá" in text_of(reply)
    assert "Xin chào" in text_of(stack.say("p-huge", "xin chào"))  # and the conversation goes on
