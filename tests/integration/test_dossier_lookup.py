"""Dossier status lookup through the real servers: identity check, every status, lockout,
back-end down, and no ID digits left in the stored conversations or the logs."""

from __future__ import annotations

import re
import socket
import time

import pytest

from tests.conftest import identity_digits
from tests.integration.stack import payload, payloads, text_of


def lookup(stack, sender: str, code: str, digits: str, client: str = "127.0.0.1"):
    assert payload(stack.say(sender, f"tra cứu hồ sơ {code}", client=client), "ask")["slot"] == "identity_digits"
    return stack.say(sender, digits, client=client)


def test_happy_path_shows_masked_name_status_and_next_step(stack, dossier_records):
    record = dossier_records[4]  # status 5: documents to add
    assert payload(stack.say("d-happy", "hồ sơ của tôi đến đâu rồi"), "ask")["slot"] == "dossier_code"
    assert payload(stack.say("d-happy", record["code"].lower()), "ask")["slot"] == "identity_digits"
    reply = stack.say("d-happy", f"6 số cuối là {identity_digits(5)}")
    status = payload(reply, "dossier_status")
    assert status["code"] == record["code"] and status["status_code"] == 5
    assert status["appointment_date"] == record["appointment_date"] and status["overdue"] is False
    text = text_of(reply)
    assert "Nguyễn Văn An" not in text and "N***** V** A*" in text
    assert record["supplement"] in text  # what to add, for status 5


@pytest.mark.parametrize("status", range(1, 11))
def test_every_status_is_rendered(stack, dossier_records, status):
    record = dossier_records[status - 1]
    reply = lookup(stack, f"d-status-{status}", record["code"], identity_digits(status))
    shown = payload(reply, "dossier_status")
    assert shown["status_code"] == status and shown["status"]
    assert shown["overdue"] is (status == 4)
    assert shown["status"] in text_of(reply)


def test_qr_link_and_english(stack, dossier_records):
    record = dossier_records[8]
    link = f"https://dichvucong.bacninh.gov.vn/tra-cuu?ma_ho_so={record['code']}"
    assert payload(stack.say("d-qr", f"check my application {link}"), "ask")["slot"] == "identity_digits"
    reply = stack.say("d-qr", identity_digits(9))
    assert payload(reply, "dossier_status")["status_code"] == 9
    assert record["pickup_place"] in text_of(reply)


def test_wrong_digits_and_unknown_code_get_the_same_answer(stack, dossier_records):
    wrong = text_of(lookup(stack, "d-wrong", dossier_records[0]["code"], "111111", "127.0.0.7"))
    unknown = text_of(lookup(stack, "d-unknown", "000.00.31.H04-250101-9999", identity_digits(1), "127.0.0.7"))
    assert wrong == unknown and "Không tìm thấy" in wrong


def test_wrong_format_is_explained_with_an_example(stack):
    stack.say("d-format", "tra cứu hồ sơ")
    reply = stack.say("d-format", "hs so 12345")
    assert "000.00.31.H04-250714-0012" in text_of(reply) and payload(reply, "ask")["slot"] == "dossier_code"
    stack.say("d-format", "000.00.31.H04-250714-0012")
    reply = stack.say("d-format", "12")
    assert payload(reply, "ask")["slot"] == "identity_digits" and "4" in text_of(reply)


def test_failed_checks_make_the_next_one_wait(stack, dossier_records):
    code = dossier_records[1]["code"]
    kinds = [p["type"] for attempt in range(4) for p in payloads(lookup(stack, "d-lock", code, "111111", "127.0.0.2"))]
    assert kinds.count("dossier_not_found") == 3 and kinds[-1] == "dossier_locked"
    # even the right digits are refused while the wait runs, and the wait is short
    reply = lookup(stack, "d-lock", code, identity_digits(2), "127.0.0.2")
    locked = payload(reply, "dossier_locked")
    assert "dossier_status" not in [p["type"] for p in payloads(reply)] and 0 < locked["wait_seconds"] <= 60


def test_a_new_sender_id_per_guess_does_not_escape_the_wait(stack, dossier_records):
    code = dossier_records[7]["code"]
    kinds = [p["type"] for i in range(6) for p in payloads(lookup(stack, f"d-rotate-{i}", code, "222222", "127.0.0.3"))]
    assert kinds.count("dossier_not_found") == 3 and kinds.count("dossier_locked") == 3


def test_the_owner_is_not_locked_out_by_someone_guessing_their_code(stack, dossier_records):
    record = dossier_records[8]
    for i in range(3):  # a guesser from another address spends its free failures on the owner's code
        lookup(stack, f"d-guesser-{i}", record["code"], "333333", "127.0.0.4")
    reply = lookup(stack, "d-owner", record["code"], identity_digits(9), "127.0.0.5")
    assert payload(reply, "dossier_status")["status_code"] == 9


def test_the_whole_id_number_is_accepted_and_the_digits_can_be_typed_again(stack, dossier_records):
    record = dossier_records[5]
    grouped = " ".join(record["applicant_id_number"][i : i + 3] for i in range(0, 12, 3)) + "."
    assert payload(lookup(stack, "d-whole", record["code"], grouped, "127.0.0.6"), "dossier_status")["status_code"] == 6


def test_backend_down_answers_clearly_within_5_seconds(stack, dossier_records):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    stack.stop("actions")
    stack.env["DOSSIER_API_URL"] = f"http://127.0.0.1:{dead}"
    try:
        stack.start("actions")
        stack.say("d-down", f"tra cứu hồ sơ {dossier_records[2]['code']}")
        started = time.monotonic()
        reply = stack.say("d-down", identity_digits(3))
        assert time.monotonic() - started < 5
        assert payload(reply, "dossier_unavailable") and "thử lại" in text_of(reply)
    finally:
        stack.stop("actions")
        del stack.env["DOSSIER_API_URL"]
        stack.start("actions")


def test_no_id_digits_in_the_tracker_store_or_the_logs(stack, dossier_records):
    record = dossier_records[6]
    lookup(stack, "d-privacy", record["code"], f"căn cước của tôi {record['applicant_id_number']}")
    lookup(stack, "d-privacy", record["code"], identity_digits(7))
    # The tracker store writes ahead to tracker.db-wal before checkpointing into tracker.db.
    stored = b"".join(p.read_bytes() for p in stack.workdir.glob("tracker.db*"))
    assert b"d-privacy" in stored  # the conversation really is stored there
    logs = stack.log("rasa").read_bytes() + stack.log("actions").read_bytes()
    for status in range(1, 11):
        # standalone digits only: timestamps, confidences and ids are long and may contain them
        secret = re.compile(rb"(?<![\w.])" + identity_digits(status).encode() + rb"(?!\w)")
        assert not secret.search(stored), status
        assert not secret.search(logs), status


def test_after_a_mismatch_the_digits_typed_again_are_checked_directly(stack, dossier_records):
    record = dossier_records[2]
    assert payloads(lookup(stack, "d-retry", record["code"], "111111", "127.0.0.8"))[0]["type"] == "dossier_not_found"
    status = payload(stack.say("d-retry", identity_digits(3), client="127.0.0.8"), "dossier_status")
    assert status["code"] == record["code"] and status["status_code"] == 3
    # a success forgets the code: digits alone now start nothing but the question for a code
    assert payload(stack.say("d-retry", identity_digits(3), client="127.0.0.8"), "ask")["slot"] == "dossier_code"


def test_after_a_mismatch_a_new_code_asks_for_its_digits(stack, dossier_records):
    first, second = dossier_records[6], dossier_records[7]
    assert payloads(lookup(stack, "d-recode", first["code"], "111111", "127.0.0.9"))[0]["type"] == "dossier_not_found"
    assert payload(stack.say("d-recode", second["code"], client="127.0.0.9"), "ask")["slot"] == "identity_digits"
    status = payload(stack.say("d-recode", identity_digits(8), client="127.0.0.9"), "dossier_status")
    assert status["code"] == second["code"]
