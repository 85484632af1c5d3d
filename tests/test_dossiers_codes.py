"""Dossier code parsing, identity digits and masking (dossiers/codes.py)."""

from __future__ import annotations

import unicodedata

import pytest

from dossiers.codes import IDENTITY_DIGITS, extract_identity_digits, mask_name, mask_phone, normalize_code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("000.00.31.H04-250714-0012", "000.00.31.H04-250714-0012"),
        ("000.00.31.h04 - 250714 - 0012", "000.00.31.H04-250714-0012"),
        ("  g22.39-250915-0123  ", "G22.39-250915-0123"),
        ("Mã hồ sơ của tôi là g22.39 -250915- 0123 nhé", "G22.39-250915-0123"),
        ("hồ sơ:G22.39-250915-0123.", "G22.39-250915-0123"),
        ("G22.39 – 250915 — 0123", "G22.39-250915-0123"),  # en/em dashes from phone keyboards
        ("Ｇ２２.３９－２５０９１５－０１２３", "G22.39-250915-0123"),  # full-width
        (
            "https://dichvucong.bacninh.gov.vn/tra-cuu?ma_ho_so=000.00.31.H04-250714-0012&lang=vi",
            "000.00.31.H04-250714-0012",
        ),
        ("quét QR: https://motcua.example.vn/hs?ma_ho_so=000.00.31.h04%2D250714%2D0012", "000.00.31.H04-250714-0012"),
        ("motcua.example.vn/tra-cuu?maHoSo=g22.39-250915-0123", "G22.39-250915-0123"),
        ("G22.39-240229-0001", "G22.39-240229-0001"),  # leap day
        ("G22.39-250230-0001 hay là G22.39-250228-0001", "G22.39-250228-0001"),  # first one impossible
    ],
)
def test_normalize_code_accepts_citizen_forms(text: str, expected: str) -> None:
    assert normalize_code(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "xin chào, tôi muốn hỏi hồ sơ",
        "G22.39-250230-0123",  # 30 February
        "G22.39-250229-0123",  # 2025 is not a leap year
        "G22.39-251301-0123",  # month 13
        "G22.39-250015-0123",  # month 0
        "G22.39-250932-0123",  # day 32
        "G22.39-250915-012",  # serial too short
        "G22.39-250915-01234",  # serial too long
        "G22.39-25091-0123",
        "250915-0123",  # no agency id
        "0912345678-250915-0123",  # a phone number is not an agency id
        "G22.39_250915_0123",
        "https://example.vn/?ma_ho_so=nothing-here",
    ],
)
def test_normalize_code_rejects_junk_and_impossible_dates(text: str | None) -> None:
    assert normalize_code(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("567962", "567962"),
        ("6 số cuối là 730047 ạ", "730047"),
        ("567 962", "567962"),
        ("１２３４５６", "123456"),  # full-width
        # the whole 12-digit ID number, in every grouping residents use: only its last 6
        ("001234567962", "567962"),
        ("001 234 567 962", "567962"),
        ("0012.3456.7962", "567962"),
        ("001-234-567-962", "567962"),
        ("001 - 234 - 567 - 962", "567962"),
        ("0012 3456 7962", "567962"),
        ("CCCD của tôi: 001234567962.", "567962"),
        ("số căn cước 001.234.567.962, cảm ơn", "567962"),
        ("CCCD-001-234-567-962,", "567962"),
        ("hồ sơ G22.39-250915-0123, số cuối 654321", "654321"),  # the code's digits are not the ID
        ("hồ sơ 000.00.31.H04-250714-0012 CCCD 001234567962", "567962"),
        ("CCCD 027123456789, 6 số cuối 456789", "456789"),  # two forms, same answer
    ],
)
def test_extract_identity_digits(text: str, expected: str) -> None:
    assert extract_identity_digits(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "1234",
        "12345",
        "1234567",
        "0912345678",
        "0912 345 678",
        "02712345678",
        "0271234567890",
        "123456 và 654321",  # two candidates
        "CCCD 027123456789, 6 số cuối 111111",  # they disagree
        "không nhớ",
        "12a456",
        "15-09-2025",
    ],
)
def test_extract_identity_digits_rejects(text: str | None) -> None:
    assert extract_identity_digits(text) is None


def test_identity_digits_constant_is_six() -> None:
    assert IDENTITY_DIGITS == 6


def test_mask_name_keeps_first_letter_of_each_word() -> None:
    assert mask_name("Nguyễn Văn An") == "N***** V** A*"
    assert mask_name("  trần   thị  bích ") == "t*** t** b***"
    assert mask_name("Lê") == "L*"
    assert mask_name("") == ""
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn An")
    assert mask_name(decomposed) == "N***** V** A*"  # diacritics count once
    assert mask_name(mask_name("Đặng Thị Thu Hà")) == "Đ*** T** T** H*"


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("0912345678", "09******78"),
        ("091 234 5678", "09******78"),
        ("+84 912 345 678", "09******78"),
        ("84912345678", "09******78"),
        ("0222.3812.345", "02*******45"),
        ("09******78", "09******78"),
        ("12345", None),
        ("", None),
        (None, None),
        ("abc", None),
    ],
)
def test_mask_phone(phone: str | None, expected: str | None) -> None:
    assert mask_phone(phone) == expected
