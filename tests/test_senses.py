"""bot.nlu.senses: what the classifier's intent becomes once the message's words are read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.nlu.senses import resolve_intent

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "text", ["hồ sơ gồm gì", "hồ sơ cần những gì", "làm hồ sơ ở đâu", "ho so gom nhung gi", "hồ sơ nộp ở đâu"]
)
def test_hồ_sơ_naming_an_aspect_asks_about_the_procedure(text):
    assert resolve_intent("check_dossier", text, has_dossier_code=False) == "ask_aspect"


@pytest.mark.parametrize(
    "text",
    [
        "hồ sơ của tôi đến đâu rồi",
        "tra cứu hồ sơ",
        "kiểm tra hồ sơ giúp tôi, nộp ở đâu cũng được",
        "hồ sơ nộp hôm qua được tiếp nhận chưa",
        "hs cua t dc duyet chua",
        "has my online application been accepted",
        "hồ sơ xong chưa",
    ],
)
def test_a_lookup_sense_keeps_the_lookup_even_with_aspect_words(text):
    assert resolve_intent("check_dossier", text, has_dossier_code=False) == "check_dossier"


@pytest.mark.parametrize("text", ["{{7*7}}", "' OR 1=1 --", "%00", "ok"])
def test_no_lookup_word_is_out_of_scope(text):
    assert resolve_intent("check_dossier", text, has_dossier_code=False) == "out_of_scope"


def test_a_dossier_code_makes_any_intent_a_lookup_but_keeps_the_code_intents():
    assert resolve_intent("ask_aspect", "phí H04.12.05-251120-1042", has_dossier_code=True) == "check_dossier"
    assert (
        resolve_intent("inform_dossier_code", "H04.12.05-251120-1042", has_dossier_code=True) == "inform_dossier_code"
    )


@pytest.mark.parametrize(
    "intent, text",
    [
        ("deny", "free không"),
        ("deny", "không, tôi hỏi lệ phí"),
        ("thank", "cảm ơn, mất bao lâu"),
        ("affirm", "ừ, nộp online được không"),
    ],
)
def test_a_follow_up_naming_an_aspect_asks_about_it(intent, text):
    assert resolve_intent(intent, text, has_dossier_code=False) == "ask_aspect"


@pytest.mark.parametrize(
    "intent, text", [("deny", "không phải"), ("ask_human", "gặp cán bộ ở đâu"), ("greet", "chào bạn")]
)
def test_other_intents_are_kept(intent, text):
    assert resolve_intent(intent, text, has_dossier_code=False) == intent


def _examples(path: Path, intent: str) -> list[tuple[str, bool]]:
    found = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        if item.get("intent") != intent:
            continue
        for line in item["examples"].splitlines():
            raw = line.strip()[2:]
            found.append((re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", raw), "(dossier_code)" in raw))
    return found


@pytest.mark.parametrize("path", [REPO / "data/nlu/check_dossier.yml", REPO / "tests/nlu/heldout.yml"])
def test_every_lookup_example_keeps_its_lookup(path):
    """The class, not one sentence: no lookup question the classifier gets right is turned away."""
    lost = [
        text
        for text, code in _examples(path, "check_dossier")
        if resolve_intent("check_dossier", text, code) != "check_dossier"
    ]
    assert lost == []


def test_a_longer_off_topic_message_with_an_aspect_word_stays_off_topic():
    assert resolve_intent("out_of_scope", "what's the price of gold today", has_dossier_code=False) == "out_of_scope"
