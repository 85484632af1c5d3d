"""knowledge/language.py: which language one message is written in, the one decision of the assistant."""

from __future__ import annotations

import pytest

from knowledge.language import current_words, detect_language, vietnamese_syllables


@pytest.mark.parametrize(
    "text", ["Làm giấy khai sinh cần gì?", "ĐĂNG KÝ TẠM TRÚ", "lệ phí", "Đ", "ừ", "how long does đăng ký take"]
)
def test_any_vietnamese_mark_or_d_stroke_means_vietnamese(text: str) -> None:
    assert detect_language(text) == "vi"


@pytest.mark.parametrize(
    "text",
    [
        "lam giay khai sinh can gi",
        "dang ky tam tru o dau",
        "le phi bao nhieu",
        "cho hoi thu tuc ket hon",
        "ko biet nop o dau",
    ],
)
def test_vietnamese_typed_without_diacritics(text: str) -> None:
    assert detect_language(text) == "vi"


@pytest.mark.parametrize(
    "text", ["How do I register a birth?", "what documents do I need", "renew my passport", "I want to talk to a human"]
)
def test_english(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["", "   ", "ok", "1234", "?!", "can to do an", "000.00.31.H04-250714-0012", "ok ❤️"])
def test_no_evidence_either_way_is_none(text: str) -> None:
    """ "can", "to", "do", "an" are words in both languages; an emoji's variation selector is no accent."""
    assert detect_language(text) is None


def test_more_vietnamese_words_than_english_ones_wins() -> None:
    assert detect_language("thu tuc cap lai ho chieu online") == "vi"  # "online" is in both word lists
    assert detect_language("how much is the le phi") == "en"


def test_the_word_list_is_written_from_todays_knowledge() -> None:
    """`python -m knowledge.language` rewrites syllables.txt after the curated knowledge changes."""
    assert sorted(vietnamese_syllables()) == current_words()


def test_chat_shorthand_counts_as_vietnamese() -> None:
    assert detect_language("lam cccd cho con 15t can j") == "vi"
    assert detect_language("bn oi dang ky online dc ko") == "vi"
