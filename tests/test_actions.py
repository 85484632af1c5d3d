"""Every action of actions/ run in-process, as rasa-sdk runs it: a tracker built from a dict
(Tracker.from_dict, as RasaHQ/rasa-demo's tests do), a CollectingDispatcher, the real knowledge
index (var/index) and a real SQLite dossier database. Each test checks the events and the
messages sent; the forged ones check that a value of the wrong type or shape (a citizen can
shape entities; anyone who reaches the action server can post any tracker) is answered as if
it were absent, never with a crash (actions/boundary.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import dossiers as dossier_actions
from actions.dossiers import ActionLookupDossier, ValidateDossierForm
from actions.handoff import ActionHandoff
from actions.locality import ActionAnswerLocality
from actions.procedures import ActionAnswerProcedure, ActionShowCandidates
from actions.runtime import runtime
from bot.payloads import choose_payload
from dossiers import BackendUnavailable
from dossiers.db import make_engine
from dossiers.importer import import_file
from dossiers.sql_backend import SqlBackend
from dossiers.throttle import Rule, ThrottleRules
from handoff.conversation import handoff
from handoff.settings import handoff_settings
from tests.conftest import REPO, _dossier_records, identity_digits

DOMAIN: dict[str, Any] = {}
for part in sorted((REPO / "bot" / "domain").glob("*.yml")):
    for key, value in (yaml.safe_load(part.read_text(encoding="utf-8")) or {}).items():
        DOMAIN[key] = {**DOMAIN.get(key, {}), **value} if isinstance(value, dict) else value

BIRTH = "1.001193"  # Thủ tục đăng ký khai sinh
BIRTH_AGAIN = "1.004884"  # Thủ tục đăng ký lại khai sinh
CLIENT_KEY = "0123456789abcdef0123456789abcdef"
FORGED = [{"$ne": None}, ["1.001193"], 1001193, 1.001193, True, "1.001193; DROP TABLE", "x" * 5000]


def tracker(
    text: Any = "",
    intent: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    metadata: Any = None,
    events: list[dict[str, Any]] | None = None,
    sender: str = "test-actions",
    **slots: Any,
) -> Tracker:
    """The tracker Rasa posts to the action server for one turn: the latest message and the slots."""
    state = {
        "sender_id": sender,
        "slots": {
            "language": "vi",
            "procedure_code": None,
            "aspect": None,
            "candidates": None,
            "ward": None,
            "dossier_code": None,
            "identity_digits": None,
            "requested_slot": None,
            **slots,
        },
        "latest_message": {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0} if intent else {},
            "entities": entities or [],
            "metadata": {} if metadata is None else metadata,
        },
        "events": events or [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    return Tracker.from_dict(state)


def run(action: Action, state: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The events `action` returns and the messages it sends (JSON round trip, as over HTTP)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, state, DOMAIN))
    assert json.loads(json.dumps(events)) == events  # what rasa-sdk sends back must be JSON
    return events, dispatcher.messages


def custom(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The one payload of a one-message reply."""
    assert len(messages) == 1, messages
    return messages[0]["custom"]


def responses(messages: list[dict[str, Any]]) -> list[str | None]:
    return [m["response"] for m in messages]


@pytest.fixture(scope="module")
def knowledge():
    """The real index, loaded once for the module (a few seconds)."""
    if not (REPO / "var" / "index" / "manifest.json").exists():
        pytest.fail("var/index is missing: run `make setup` (make test does it for you)")
    loaded = runtime().knowledge()
    assert loaded is not None, runtime().status()
    return loaded


# ------------------------------------------------------------------ action_answer_procedure


def test_a_clear_question_is_answered_with_its_procedure_and_keeps_the_alternatives(knowledge) -> None:
    events, messages = run(ActionAnswerProcedure(), tracker("làm giấy khai sinh cho con cần gì", "ask_procedure"))
    answer = custom(messages)
    assert answer == {
        "type": "procedure",
        "code": BIRTH,
        "title": "Thủ tục đăng ký khai sinh",
        "aspect": "documents",
        "source_url": knowledge.get(BIRTH).source_url,
    }
    assert messages[0]["buttons"] == []
    assert "Giấy tờ cần chuẩn bị" in messages[0]["text"] and BIRTH in messages[0]["text"]
    assert events[:2] == [SlotSet("procedure_code", BIRTH), SlotSet("aspect", "documents")]
    (alternatives,) = events[2:]
    assert alternatives["name"] == "candidates" and 1 <= len(alternatives["value"]) <= 5
    assert BIRTH not in alternatives["value"] and all(knowledge.get(code) for code in alternatives["value"])


def test_a_follow_up_answers_the_procedure_in_context(knowledge) -> None:
    events, messages = run(ActionAnswerProcedure(), tracker("lệ phí bao nhiêu", "ask_aspect", procedure_code=BIRTH))
    assert (custom(messages)["code"], custom(messages)["aspect"]) == (BIRTH, "fees")
    assert events == [SlotSet("procedure_code", BIRTH), SlotSet("aspect", "fees")]  # the alternatives stay


def test_a_follow_up_in_english_is_answered_in_english(knowledge) -> None:
    _, messages = run(
        ActionAnswerProcedure(), tracker("how much is the fee", "ask_aspect", procedure_code=BIRTH, language="en")
    )
    assert custom(messages)["aspect"] == "fees" and messages[0]["text"].startswith("Fees for")


def test_a_vague_question_is_asked_back_with_buttons_that_carry_their_payload(knowledge) -> None:
    events, messages = run(ActionAnswerProcedure(), tracker("cấp lại", "ask_procedure", procedure_code=None))
    choices = custom(messages)
    assert choices["type"] == "choices" and 2 <= len(choices["options"]) <= 5
    codes = [o["code"] for o in choices["options"]]
    titles = [knowledge.get(c).title for c in codes]
    assert choices["options"] == [{"code": c, "title": t, "payload": choose_payload(c)} for c, t in zip(codes, titles)]
    assert messages[0]["buttons"] == [{"title": t, "payload": choose_payload(c)} for c, t in zip(codes, titles)]
    assert events == [
        SlotSet("procedure_code", None),
        SlotSet("aspect", "overview"),
        SlotSet("candidates", codes),
        SlotSet("pending_question", "cấp lại"),  # read with a refinement typed instead of a tap
    ]


def test_a_refinement_typed_instead_of_a_tap_answers_the_offered_procedure_it_names(knowledge) -> None:
    events, messages = run(ActionAnswerProcedure(), tracker("cấp lại", "ask_procedure", aspect="fees"))
    offered = [o["code"] for o in custom(messages)["options"]]
    (card,) = [c for c in offered if "căn cước" in knowledge.get(c).title]  # one of them is the ID card's
    state = tracker("căn cước", "out_of_scope", candidates=offered, pending_question="cấp lại", aspect="overview")
    events, messages = run(ActionAnswerProcedure(), state)
    assert (custom(messages)["type"], custom(messages)["code"]) == ("procedure", card)
    assert SlotSet("pending_question", None) in events  # the choices are closed


def test_off_topic_without_open_choices_is_said_to_be_off_topic(knowledge) -> None:
    events, messages = run(ActionAnswerProcedure(), tracker("tối nay ăn gì", "out_of_scope"))
    assert (events, responses(messages)) == ([], ["utter_out_of_scope"])


@pytest.mark.parametrize(
    "text, language",
    [("bố tôi mới mất, phải làm những thủ tục gì", "vi"), ("my father passed away, what do I need to do", "en")],
)
def test_a_life_event_gets_a_guide_whose_steps_are_buttons(knowledge, text, language) -> None:
    events, messages = run(ActionAnswerProcedure(), tracker(text, "ask_life_event", language=language))
    guide = custom(messages)
    codes = [step["code"] for step in guide["steps"]]
    assert guide["type"] == "life_event" and guide["event"] == "death" and len(codes) >= 2
    assert [b["payload"] for b in messages[0]["buttons"]] == [choose_payload(c) for c in codes]
    assert all(code in messages[0]["text"] for code in codes)
    assert events == [SlotSet("procedure_code", None), SlotSet("candidates", codes)]


def test_a_work_permit_question_is_referred_not_answered_with_a_procedure(knowledge) -> None:
    _, messages = run(ActionAnswerProcedure(), tracker("how do I get a work permit", "ask_procedure", language="en"))
    assert custom(messages) == {"type": "referral", "topic": "work_permit"}
    assert "Department of Home Affairs" in messages[0]["text"]


def test_a_pick_answers_the_aspect_asked_before_the_question_back(knowledge) -> None:
    entities = [{"entity": "procedure_code", "value": BIRTH_AGAIN}]
    pick = tracker(
        choose_payload(BIRTH_AGAIN), "choose_procedure", entities, aspect="fees", candidates=[BIRTH, BIRTH_AGAIN]
    )
    events, messages = run(ActionAnswerProcedure(), pick)
    assert (custom(messages)["code"], custom(messages)["aspect"]) == (BIRTH_AGAIN, "fees")
    # The other offered one stays a candidate, for "không phải".
    assert events == [SlotSet("procedure_code", BIRTH_AGAIN), SlotSet("aspect", "fees"), SlotSet("candidates", [BIRTH])]


def test_a_pick_of_a_code_the_index_does_not_have_is_no_pick_and_no_question(knowledge) -> None:
    pick = tracker(choose_payload("9.999999"), "choose_procedure", [{"entity": "procedure_code", "value": "9.999999"}])
    events, messages = run(ActionAnswerProcedure(), pick)
    assert events == [] and custom(messages) == {"type": "no_answer"}
    assert runtime().localities.hotline in messages[0]["text"]


def test_an_off_topic_question_gets_no_answer_with_the_hotline(knowledge) -> None:
    events, messages = run(ActionAnswerProcedure(), tracker("hôm nay thời tiết thế nào", "ask_procedure"))
    assert events == [] and custom(messages) == {"type": "no_answer"}
    assert runtime().localities.hotline in messages[0]["text"]


@pytest.mark.parametrize("forged", FORGED)
def test_forged_slots_are_absent_values(knowledge, forged: Any) -> None:
    """A procedure_code, aspect and ward of the wrong type, candidates as a string, language as a
    list: the aspect question then has nothing in context and nothing offered, so no answer."""
    state = tracker(
        "lệ phí bao nhiêu",
        "ask_aspect",
        procedure_code=forged,
        aspect=forged,
        ward=forged,
        candidates="1.001193,1.004884",
        language=["en"],
    )
    events, messages = run(ActionAnswerProcedure(), state)
    assert events == [] and custom(messages) == {"type": "no_answer"}
    assert responses(messages) == [None]  # an answer, not utter_action_failed
    assert "Xin lỗi" in messages[0]["text"]  # the language list reads as the default, Vietnamese


@pytest.mark.parametrize("forged", FORGED)
def test_a_forged_procedure_code_entity_is_no_pick(knowledge, forged: Any) -> None:
    pick = tracker(
        f"/choose_procedure{json.dumps({'procedure_code': forged})}",
        "choose_procedure",
        [{"entity": "procedure_code", "value": forged}],
        candidates=[BIRTH, BIRTH_AGAIN],
    )
    events, messages = run(ActionAnswerProcedure(), pick)
    assert events == [] and custom(messages) == {"type": "no_answer"} and responses(messages) == [None]


@pytest.mark.parametrize("text", [{"text": "lệ phí"}, ["đăng ký khai sinh"], 42, None])
def test_a_latest_message_text_that_is_not_text_is_an_empty_question(knowledge, text: Any) -> None:
    events, messages = run(ActionAnswerProcedure(), tracker(text, "ask_procedure", metadata=["x"]))
    assert events == [] and custom(messages) == {"type": "no_answer"}


def test_a_failing_action_says_sorry_and_logs_nothing_of_the_tracker(knowledge, monkeypatch, caplog) -> None:
    def broken(query: str, **_: object) -> None:
        raise RuntimeError(f"search failed for {query!r}")

    monkeypatch.setattr(knowledge, "search", broken)
    with caplog.at_level(logging.DEBUG):
        events, messages = run(ActionAnswerProcedure(), tracker("căn cước 027195734711 cấp lại", "ask_procedure"))
    assert events == [] and responses(messages) == ["utter_action_failed"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "action.failed: action_answer_procedure RuntimeError" in logged and "734711" not in logged


# ------------------------------------------------------------------ action_show_candidates

OFFERED = ["1.004222", "1.001193", "1.000894", "1.004194", "1.004884"]  # what "đăng ký" offers


def test_not_that_one_offers_the_other_candidates(knowledge) -> None:
    events, messages = run(
        ActionShowCandidates(), tracker("không phải", "deny", procedure_code=OFFERED[0], candidates=OFFERED)
    )
    others = OFFERED[1:]
    assert [o["code"] for o in custom(messages)["options"]] == others
    assert [b["payload"] for b in messages[0]["buttons"]] == [choose_payload(c) for c in others]
    assert events == [SlotSet("procedure_code", None), SlotSet("candidates", others)]


def test_not_that_one_in_english(knowledge) -> None:
    _, messages = run(ActionShowCandidates(), tracker("not that one", "deny", candidates=OFFERED[:2], language="en"))
    assert messages[0]["text"].startswith("Which of these procedures do you mean?")


@pytest.mark.parametrize("candidates", [None, [], "1.001193", {"1.001193": True}, [BIRTH], ["9.999999"], 7])
def test_nothing_else_to_offer_asks_for_more_words(knowledge, candidates: Any) -> None:
    events, messages = run(
        ActionShowCandidates(), tracker("không phải", "deny", procedure_code=BIRTH, candidates=candidates)
    )
    assert responses(messages) == ["utter_no_candidates"] and messages[0]["custom"] == {}
    assert events == [SlotSet("procedure_code", None)]


def test_forged_entries_among_the_candidates_are_left_out(knowledge) -> None:
    forged = [{"code": BIRTH}, 1.004884, ["1.000894"], "9.999999", BIRTH_AGAIN, "1.004884 "]
    events, messages = run(
        ActionShowCandidates(),
        tracker("không phải", "deny", procedure_code=FORGED[0], candidates=forged, language={"en": 1}),
    )
    assert [o["code"] for o in custom(messages)["options"]] == [BIRTH_AGAIN]
    assert events == [SlotSet("procedure_code", None), SlotSet("candidates", [BIRTH_AGAIN])]
    assert messages[0]["text"].startswith("Bạn đang hỏi về thủ tục nào")


# ------------------------------------------------------------------ action_handoff


def test_asking_for_a_person_offers_one_with_consent(knowledge) -> None:
    events, messages = run(ActionHandoff(), tracker("cho tôi nói chuyện với cán bộ", "ask_human"))
    assert events == []
    assert custom(messages)["type"] == "handoff_offer"
    assert "Trung tâm Phục vụ hành chính công" in messages[0]["text"]  # no ward known yet: its centre asked later
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/affirm", "/deny"]
    chat = handoff().store.latest("test-actions")
    assert chat.status == "offered" and chat.centre == ""


def test_handoff_in_english_names_the_residents_ward_centre(knowledge) -> None:
    ward = runtime().localities.find_ward("xã Lệ Viễn cũ").ward
    events, messages = run(
        ActionHandoff(), tracker("I want to talk to a human", "ask_human", language="en", ward=ward.name)
    )
    assert events == [] and custom(messages)["centre"] == ward.service_center
    assert messages[0]["text"].startswith("Hand this conversation over")
    assert handoff().store.latest("test-actions").centre == ward.full_name


@pytest.mark.parametrize("forged", FORGED)
def test_handoff_with_forged_slots_still_offers_a_person(knowledge, forged: Any) -> None:
    events, messages = run(ActionHandoff(), tracker("gặp cán bộ", "ask_human", ward=forged, language=forged))
    assert events == [] and custom(messages)["type"] == "handoff_offer"


def test_handoff_store_down_gives_the_hotline_and_hours(knowledge, monkeypatch) -> None:
    monkeypatch.setenv("HANDOFF_DATABASE_URL", "sqlite:////proc/no-such-dir/handoff.sqlite")
    handoff.cache_clear()
    handoff_settings.cache_clear()
    localities = runtime().localities
    events, messages = run(ActionHandoff(), tracker("gặp cán bộ", "ask_human"))
    assert custom(messages) == {"type": "handoff", "hotline": localities.hotline, "hours": localities.hours_in("vi")}


def _failed_turn(text: str, intent: str, reply_type: str) -> list[dict[str, Any]]:
    return [
        {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}},
        {"event": "bot", "text": "…", "data": {"custom": {"type": reply_type}}},
    ]


def test_a_second_failure_running_offers_a_person(knowledge) -> None:
    question = "xin giấy phép nuôi rồng"
    once = tracker(
        question,
        "ask_procedure",
        events=[{"event": "user", "text": question, "parse_data": {"intent": {"name": "ask_procedure"}}}],
    )
    _, first = run(ActionAnswerProcedure(), once)
    assert [m["custom"]["type"] for m in first] == ["no_answer"]
    earlier = _failed_turn("xin phép nuôi rồng", "ask_procedure", "no_answer")
    twice = tracker(
        question,
        "ask_procedure",
        events=[*earlier, {"event": "user", "text": question, "parse_data": {"intent": {"name": "ask_procedure"}}}],
    )
    _, second = run(ActionAnswerProcedure(), twice)
    assert [m["custom"]["type"] for m in second] == ["no_answer", "handoff_offer"]


def test_no_to_choices_twice_offers_a_person(knowledge) -> None:
    history = [
        *_failed_turn("khai sinh", "ask_procedure", "choices"),
        *_failed_turn("không phải", "deny", "choices"),
        {"event": "user", "text": "không phải", "parse_data": {"intent": {"name": "deny"}}},
    ]
    _, messages = run(
        ActionShowCandidates(),
        tracker("không phải", "deny", events=history, candidates=[BIRTH, BIRTH_AGAIN], procedure_code=BIRTH),
    )
    assert [m["custom"]["type"] for m in messages] == ["choices", "handoff_offer"]


# ------------------------------------------------------------------ action_answer_locality


def test_a_former_commune_is_told_its_new_ward_and_where_to_submit(knowledge) -> None:
    events, messages = run(ActionAnswerLocality(), tracker("tôi ở xã Lệ Viễn cũ thì nộp ở đâu", "ask_locality"))
    ward = runtime().localities.find_ward("xã Lệ Viễn cũ").ward
    assert custom(messages) == {
        "type": "locality",
        "found": True,
        "ward": "Xã An Lạc",
        "former_unit": "Xã Lệ Viễn",
        "service_center": ward.service_center,
    }
    assert events == [SlotSet("ward", ward.name)]
    assert "Xã Lệ Viễn (cũ) nay thuộc Xã An Lạc" in messages[0]["text"]


def test_the_procedure_in_context_is_named_in_the_locality_answer(knowledge) -> None:
    _, messages = run(
        ActionAnswerLocality(), tracker("xa tam di cu gio thuoc xa nao", "ask_locality", procedure_code=BIRTH)
    )
    assert custom(messages)["ward"] == "Xã Bảo Đài"
    assert f'"Thủ tục đăng ký khai sinh" ({BIRTH})' in messages[0]["text"]


def test_an_unknown_place_is_asked_again(knowledge) -> None:
    events, messages = run(ActionAnswerLocality(), tracker("tôi ở sao Hỏa thì nộp ở đâu", "ask_locality"))
    assert events == [] and custom(messages) == {"type": "locality", "found": False}
    assert "Tôi chưa nhận ra tên xã/phường" in messages[0]["text"]


@pytest.mark.parametrize("forged", FORGED)
def test_locality_with_forged_slots_answers_without_the_procedure(knowledge, forged: Any) -> None:
    events, messages = run(
        ActionAnswerLocality(), tracker("xã Lệ Viễn cũ", "ask_locality", procedure_code=forged, language=forged)
    )
    assert custom(messages)["ward"] == "Xã An Lạc" and len(events) == 1
    assert "Thủ tục" not in messages[0]["text"]


# ------------------------------------------------------------------ dossiers: the form and the lookup

RECORDS = _dossier_records()
OVERDUE = next(r for r in RECORDS if r["status_code"] == 4)
FORGET = [SlotSet("identity_digits", None), SlotSet("dossier_code", None)]
RETRY = [SlotSet("identity_digits", None)]  # a failed check keeps the code, so the digits can be typed again


@pytest.fixture
def dossier_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A real SQLite mirror with the test dossiers, imported as `dossiers import` does."""
    source = tmp_path / "dossiers.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in RECORDS), encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'dossiers.sqlite'}")
    report = import_file(engine, source)
    assert (report.created, report.errors) == (len(RECORDS), [])
    monkeypatch.setattr(dossier_actions, "_backend", SqlBackend(engine))
    return engine


class Recorder:
    """A back-end stand-in that records what the action asks and answers with `answer`."""

    def __init__(self, answer: Any = None, delay: float = 0.0) -> None:
        self.answer, self.delay, self.calls = answer, delay, []

    def lookup(self, code: str, digits: str, conversation: str, client_key: str | None = None) -> Any:
        self.calls.append((code, digits, conversation, client_key))
        time.sleep(self.delay)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def form_turn(text: Any, requested: str, candidate: Any = None, **slots: Any) -> Tracker:
    """A turn inside dossier_form: Rasa puts its slot candidate last among the events."""
    events = [{"event": "user", "text": "..."}]
    if candidate is not None:
        events.append({"event": "slot", "name": requested, "value": candidate})
    return tracker(text, "inform", events=events, requested_slot=requested, **slots)


def test_the_form_finds_a_dossier_code_in_what_the_citizen_typed() -> None:
    typed = f"tra cứu hồ sơ {OVERDUE['code'].lower()}"
    events, messages = run(ValidateDossierForm(), form_turn(typed, "dossier_code"))
    assert events == [SlotSet("dossier_code", OVERDUE["code"])] and messages == []


def test_the_form_refuses_a_code_that_is_none_and_shows_the_shape() -> None:
    events, messages = run(ValidateDossierForm(), form_turn("không nhớ mã", "dossier_code", candidate="không nhớ mã"))
    assert events == [SlotSet("dossier_code", None)] and responses(messages) == ["utter_invalid_dossier_code"]


def test_the_form_takes_the_last_6_id_digits_or_the_whole_id_number() -> None:
    digits = identity_digits(4)
    for typed in (digits, f"027 195 {digits[:3]} {digits[3:]}"):
        state = form_turn(typed, "identity_digits", candidate=typed, dossier_code=OVERDUE["code"])
        events, messages = run(ValidateDossierForm(), state)
        assert events == [SlotSet("identity_digits", digits)] and messages == []
    events, messages = run(
        ValidateDossierForm(), form_turn("12", "identity_digits", candidate="12", dossier_code=OVERDUE["code"])
    )
    assert events == [SlotSet("identity_digits", None)] and responses(messages) == ["utter_invalid_identity_digits"]


@pytest.mark.parametrize("forged", FORGED)
def test_the_form_treats_forged_candidates_as_wrong_answers(forged: Any) -> None:
    events, messages = run(ValidateDossierForm(), form_turn(forged, "dossier_code", candidate=forged))
    assert events == [SlotSet("dossier_code", None)] and responses(messages) == ["utter_invalid_dossier_code"]
    events, messages = run(
        ValidateDossierForm(), form_turn(forged, "identity_digits", candidate=forged, dossier_code=OVERDUE["code"])
    )
    assert events == [SlotSet("identity_digits", None)] and responses(messages) == ["utter_invalid_identity_digits"]


def test_the_lookup_tells_the_status_and_forgets_the_digits(knowledge, dossier_db) -> None:
    state = tracker(
        "734711",
        "inform",
        metadata={"client_key": CLIENT_KEY},
        dossier_code=OVERDUE["code"],
        identity_digits=identity_digits(4),
    )
    events, messages = run(ActionLookupDossier(), state)
    assert events == FORGET
    assert custom(messages) == {
        "type": "dossier_status",
        "code": OVERDUE["code"],
        "status_code": 4,
        "status": "Đang xử lý",
        "appointment_date": OVERDUE["appointment_date"],
        "overdue": True,
    }
    text = messages[0]["text"]
    assert "đã quá hạn" in text and "Nguyễn Văn An" not in text and identity_digits(4) not in text


def test_the_lookup_in_english(knowledge, dossier_db) -> None:
    record = next(r for r in RECORDS if r["status_code"] == 9)
    state = tracker("x", "inform", language="en", dossier_code=record["code"], identity_digits=identity_digits(9))
    _, messages = run(ActionLookupDossier(), state)
    assert custom(messages)["status"] == "Result ready" and "What to do next: Collect the result" in messages[0]["text"]


def test_wrong_digits_find_nothing_and_then_have_to_wait(knowledge, dossier_db, monkeypatch) -> None:
    strict = ThrottleRules(code=Rule(free=1, first_delay=timedelta(minutes=2), max_delay=timedelta(minutes=5)))
    monkeypatch.setattr(dossier_actions, "_backend", SqlBackend(dossier_db, rules=strict))
    wrong = tracker("000000", "inform", dossier_code=OVERDUE["code"], identity_digits="000000")
    events, messages = run(ActionLookupDossier(), wrong)
    assert events == RETRY and custom(messages) == {"type": "dossier_not_found"}
    events, messages = run(ActionLookupDossier(), wrong)
    locked = custom(messages)
    assert events == RETRY and locked["type"] == "dossier_locked" and 60 < locked["wait_seconds"] <= 120
    assert "2 phút" in messages[0]["text"]


@pytest.mark.parametrize("failure", [BackendUnavailable("down"), "slow"])
def test_a_source_that_is_down_or_slow_gets_the_hotline_in_time(knowledge, monkeypatch, failure: Any) -> None:
    backend = Recorder(delay=1.0) if failure == "slow" else Recorder(failure)  # slow: "not found", too late
    monkeypatch.setattr(dossier_actions, "_backend", backend)
    monkeypatch.setattr(dossier_actions, "LOOKUP_TIMEOUT_SECONDS", 0.1)
    events, messages = run(
        ActionLookupDossier(), tracker("x", "inform", dossier_code=OVERDUE["code"], identity_digits=identity_digits(4))
    )
    assert events == FORGET and custom(messages) == {"type": "dossier_unavailable"}
    assert runtime().localities.hotline in messages[0]["text"] and len(backend.calls) == 1


def test_the_lookup_passes_only_a_well_formed_client_key(knowledge, monkeypatch) -> None:
    backend = Recorder(None)
    monkeypatch.setattr(dossier_actions, "_backend", backend)
    for metadata in ({"client_key": CLIENT_KEY}, {"client_key": "203.0.113.7"}, {"client_key": ["x"]}, "x", None):
        run(
            ActionLookupDossier(),
            tracker(
                "x", "inform", metadata=metadata, sender="s-1", dossier_code=OVERDUE["code"], identity_digits="734711"
            ),
        )
    asked = (OVERDUE["code"], "734711", "s-1")
    assert backend.calls == [(*asked, CLIENT_KEY)] + [(*asked, None)] * 4


@pytest.mark.parametrize("forged", [f for f in FORGED if not isinstance(f, str) or len(f) > 200] + [None, ""])
def test_the_lookup_without_a_usable_code_or_digits_asks_nothing_and_forgets(knowledge, monkeypatch, forged) -> None:
    backend = Recorder(AssertionError("no lookup without both values"))
    monkeypatch.setattr(dossier_actions, "_backend", backend)
    for slots in (
        {"dossier_code": forged, "identity_digits": "734711"},
        {"dossier_code": OVERDUE["code"], "identity_digits": forged},
    ):
        events, messages = run(ActionLookupDossier(), tracker("x", "inform", **slots))
        assert events == FORGET and messages == [] and backend.calls == []


def _digits_entity(value: str, entity: str = "identity_digits") -> list[dict[str, Any]]:
    return [{"entity": entity, "value": value, "start": 0, "end": len(value)}]


@pytest.mark.parametrize(
    "slots, entities, expected",
    [
        ({"dossier_code": OVERDUE["code"]}, _digits_entity("123456"), {"identity_digits": "123456"}),  # a retry
        ({"dossier_code": OVERDUE["code"]}, _digits_entity("123456", "id_number"), {"identity_digits": "123456"}),
        ({}, _digits_entity("123456"), {}),  # no code yet: the form asks for it first, the digits are not kept
        ({"dossier_code": OVERDUE["code"], "requested_slot": "identity_digits"}, _digits_entity("123456"), {}),
        ({"dossier_code": OVERDUE["code"]}, _digits_entity(OVERDUE["code"], "dossier_code"), {}),  # a new code
    ],
)
def test_digits_typed_right_after_a_failed_check_are_the_new_answer(slots, entities, expected) -> None:

    form = dossier_actions.ValidateDossierForm()
    found = asyncio.run(
        form.extract_identity_digits(
            CollectingDispatcher(), tracker("123456", "inform_identity_digits", entities, **slots), {}
        )
    )
    assert found == expected
