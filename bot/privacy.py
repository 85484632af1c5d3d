"""Mask personal data in everything written down: stored conversations and log records.

Masking is the default and only known safe shapes are kept: in text, every digit of a
run of 4 or more digits (in any grouping) becomes "*", emails become "***@***" and the
name after a cue ("tên tôi là ...", "my name is ...") keeps only each word's first
letter. Dossier codes, procedure codes, dates, times, fees, the hotline and a few other
reference shapes survive, so stored bot texts stay readable.

The live turn still sees what the citizen typed (the action needs the ID digits once);
only what is stored (tracker store) or logged is masked. Plain Python (stdlib only, valid
on Python 3.10): the Rasa process imports it, and it is tested without Rasa.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Dict, List, Optional, Tuple

from knowledge.language import LANGUAGES

__all__ = [
    "ALLOWED_METADATA",
    "clean_metadata",
    "install_log_masking",
    "mask_event",
    "mask_text",
    "mask_value",
]

MASK = "*"
EMAIL_MASK = "***@***"
SECRET_SLOT_MASK = "******"
LOG_WITHHELD = "[log message withheld]"
MAX_LOG_MESSAGE_CHARS = 2000
MIN_PERSONAL_DIGITS = 4  # ID tails typed for the identity check are 4 digits
MAX_NAME_WORDS = 5
MAX_MASK_PASSES = 8
MAX_VALUE_DEPTH = 64  # deeper nesting is not a Rasa event: withheld rather than recursed into

_DIGIT = re.compile(r"\d")
_ASCII_DIGITS_TO_MASK = str.maketrans("0123456789", MASK * 10)  # faster than a regex for the usual case

# ---------------------------------------------------------------------------------------
# Emails: the whole address goes, domain included (a personal domain identifies too).
# The lookbehind makes every attempt start at the beginning of a run (linear time); so an
# address glued to the previous one ("a@b.vn+c@d.vn") is taken in the same match.
_EMAIL = re.compile(r"(?<![\w.%+*-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)+(?:[\w.%+-]*@[\w-]+(?:\.[\w-]+)+)*")

# ---------------------------------------------------------------------------------------
# Names after a cue. Cues are matched on a folded copy of the text (same length, accents
# and "đ" folded, ASCII lower case), so "tên tôi là", "ten toi la" and "TÊN TÔI LÀ" agree.


def _fold_table() -> Dict[int, str]:
    table: Dict[int, str] = {}
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        base = unicodedata.normalize("NFD", chr(code))[0]
        if base.isascii() and base.isalpha():
            table[code] = base.lower()
    table[ord("đ")] = table[ord("Đ")] = "d"
    table[ord("’")] = "'"
    return table


_FOLD = _fold_table()
_S = r"[ \t]+"
_CUE = re.compile(
    r"(?<![\w*])(?:"  # "*" counts as a letter or digit: masked text is judged like the original
    rf"ten(?:{_S}cua)?{_S}(?:toi|minh|em)(?:{_S}la|(?=[ \t]*:))"  # tên tôi là, tên của mình là
    rf"|(?:toi|minh|em){_S}ten(?:{_S}la)?"  # tôi tên (là), mình tên là, em tên là
    rf"|ten{_S}la"  # tên là
    rf"|ho(?:{_S}va)?{_S}ten(?:{_S}(?:cua{_S})?(?:toi|minh|em|nguoi{_S}nop(?:{_S}ho{_S}so)?))?(?:{_S}la)?"
    r"|ten(?=[ \t]*:)"  # tên:   ("tên" alone is everywhere: "tên thủ tục")
    rf"|nguoi{_S}nop(?:{_S}ho{_S}so)?(?=[ \t]*:)"  # người nộp (hồ sơ):
    rf"|my{_S}name(?:{_S}is|'s)|i{_S}am{_S}called|i'm{_S}called|full{_S}name(?:{_S}is)?"
    r"|name(?=[ \t]*:)"
    r")(?![\w*])[ \t]*(?:[:\-–][ \t]*)?",
    re.IGNORECASE,
)
_CUE_HINTS = ("ten", "name", "called", "nop")  # one is in every cue: skips the scan otherwise
# A name word: letters, or an already masked word ("N*****") so masking twice changes nothing.
_NAME_WORD = re.compile(r"[^\W\d_]\*+|[^\W\d_](?:[^\W\d_]|['’-])*")
_NAME_GAP = re.compile(r"[ \t]+")
# Words that follow a name in a sentence: the name ends there. Compared in lower case with
# the accents as typed; unaccented forms (and English words) only where they are not also a
# Vietnamese name written without accents: "tu" (Tú), "nam" (Nam), "lam" (Lâm), "minh"
# (Minh), "dang" (Đặng), "sau" (Sáu), "luc" (Lực), "the" (Thế), "to" (Tô), "my" (Mỹ) are
# not listed, so they are masked as part of the name.
_NAME_STOP_WORDS = frozenset(
    [
        "muốn",
        "cần",
        "hỏi",
        "ở",
        "sinh",
        "số",
        "và",
        "là",
        "tôi",
        "mình",
        "em",
        "chị",
        "ông",
        "bà",
        "cháu",
        "đang",
        "làm",
        "để",
        "cho",
        "của",
        "với",
        "tại",
        "xin",
        "nhé",
        "nhá",
        "ạ",
        "à",
        "ơi",
        "thì",
        "có",
        "không",
        "được",
        "đến",
        "từ",
        "hiện",
        "quê",
        "nơi",
        "sống",
        "điện",
        "ngày",
        "tháng",
        "tuổi",
        "nay",
        "hôm",
        "giúp",
        "cảm",
        "chào",
        "bạn",
        "nhỉ",
        "vậy",
        "đây",
        "này",
        "gì",
        "nào",
        "sao",
        "khi",
        "lúc",
        "trước",
        "vừa",
        "đã",
        "sẽ",
        "nên",
        "vì",
        "mà",
        "hay",
        "hoặc",
        "rồi",
        "cũng",
        "nhưng",
        "muon",
        "can",
        "hoi",
        "so",
        "va",
        "toi",
        "em",
        "de",
        "cho",
        "cua",
        "voi",
        "xin",
        "nhe",
        "khong",
        "duoc",
        "den",
        "o",
        "noi",
        "tuoi",
        "hom",
        "giup",
        "chao",
        "ban",
        "ngay",
        "roi",
        "khi",
        "truoc",
        "vua",
        "da",
        "se",
        "nen",
        "gi",
        "nao",
        "hay",
        "hoac",
        "sdt",
        "đt",
        "dt",
        "cccd",
        "cmnd",
        "email",
        "mail",
        "and",
        "i",
        "i'm",
        "im",
        "want",
        "wants",
        "need",
        "needs",
        "from",
        "is",
        "am",
        "please",
        "would",
        "like",
        "live",
        "living",
        "born",
        "with",
        "in",
        "at",
        "of",
        "here",
        "phone",
        "id",
        "number",
        "calling",
        "who",
        "will",
        "could",
        "have",
        "has",
        "but",
        "or",
        "call",
        "me",
        "you",
        "this",
        "it",
        "was",
        "for",
    ]
)

# ---------------------------------------------------------------------------------------
# Known safe shapes. Each must not be glued to another number, or it would protect part of
# a personal number: "not preceded/followed by a digit, or by a digit and one separator".
# "*" counts as a digit there, so a shape next to already masked digits is judged the same
# way in every pass. Weak shapes (short, common digit groupings) must not be joined to a
# digit in any way a number is (see _NUMBER, _joined): "0011 1800 1096" is an ID number,
# not the hotline.
_D = r"[\d*]"
# Every pattern starts with a character (not a lookbehind) so the regex engine can skip to
# candidates quickly; the "not glued before" test then looks back from that first digit.
_FIRST = rf"\d(?<!{_D}\d)(?<!{_D}[.,/\-]\d)"
_AFTER = rf"(?!{_D})(?![.,/\-]{_D})"
# Dates and times are often written as ranges ("7:30-11:30", "14/7-20/7"): a dash next to
# them is allowed; the number on the other side is judged on its own.
_DATE_FIRST = rf"\d(?<!{_D}\d)(?<!{_D}[.,/]\d)"
_DATE_AFTER = rf"(?!{_D})(?![.,/]{_D})"
_DASH = r"[\-‐‑‒–—]"
_DASHES = ("-", "‐", "‑", "‒", "–", "—")
_CURRENCY = r"(?:đồng|dong|vnđ|vnd|đ|d|₫|k|nghìn|nghin|ngàn|ngan|triệu|trieu|tr|tỷ|ty|usd)"
_UNIT = (
    r"(?:ngày|ngay|tháng|thang|năm|nam|tuần|tuan|giờ|gio|phút|phut"
    r"|days?|weeks?|months?|years?|hours?|minutes?)"
)
_MONTHS = (
    r"january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_YEAR_CUES = rf"năm|nam|year|in|since|từ|tu|đến|den|{_MONTHS}"
_YEAR_CUE = re.compile(rf"(?<![\w*])(?:{_YEAR_CUES})[ \t]+\Z", re.IGNORECASE)
# No leading zero and at most 8 plain digits, so "0912345680 đ" is still a phone.
_FEE_AMOUNT = re.compile(r"(?:[1-9]\d{0,2}(?:\.\d{3})+|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d{0,7}|0)(?:[.,]\d{1,3})?")


def _valid_day(year: int, month: int, day: int) -> bool:
    if not 1900 <= year <= 2099:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _dossier_ok(m: re.Match[str]) -> bool:
    # A bare number before the date is more likely a phone fragment than an agency id.
    ymd = m["day"]
    return any(c.isalpha() for c in m["agency"]) and _valid_day(2000 + int(ymd[:2]), int(ymd[2:4]), int(ymd[4:]))


def _dmy_ok(m: re.Match[str]) -> bool:
    return _valid_day(int(m["y"]), int(m["m"]), int(m["d"]))


def _month_year_ok(m: re.Match[str]) -> bool:
    return 1 <= int(m["m"]) <= 12 and 1900 <= int(m["y"]) <= 2099


def _day_month_ok(m: re.Match[str]) -> bool:
    return _valid_day(2000, int(m["m"]), int(m["d"]))  # 2000: a leap year, so 29/2 is a day


def _time_ok(m: re.Match[str]) -> bool:
    return int(m["h"]) <= 23


def _fee_ok(m: re.Match[str]) -> bool:
    return _FEE_AMOUNT.fullmatch(m["amount"]) is not None


def _thousands_ok(m: re.Match[str]) -> bool:
    return sum(c.isdecimal() for c in m.group()) <= 7


def _year_ok(m: re.Match[str]) -> bool:
    start = m.start()
    return _YEAR_CUE.search(m.string, max(0, start - 24), start) is not None


@dataclass(frozen=True)
class _Shape:
    name: str
    pattern: re.Pattern[str]
    valid: Optional[Callable[[re.Match[str]], bool]] = None
    # Substrings one of which the shape contains: a cheap test that skips most scans.
    hints: Tuple[str, ...] = ()
    weak: bool = False


_SHAPES: Tuple[_Shape, ...] = (
    # 000.00.31.H04-250714-0012, G22.39 - 250915 - 0123: agency (with a letter) - yyMMdd - NNNN.
    _Shape(
        "dossier_code",
        re.compile(
            r"(?P<agency>[A-Za-z0-9](?<![A-Za-z0-9.*][A-Za-z0-9])[A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*)"
            rf"[ \t]*{_DASH}[ \t]*(?P<day>\d{{6}})[ \t]*{_DASH}[ \t]*\d{{4}}{_AFTER}"
        ),
        _dossier_ok,
        _DASHES,
    ),
    # Procedure code of the national catalogue: 1.001193.
    _Shape("procedure_code", re.compile(rf"{_FIRST}\.\d{{6}}{_AFTER}"), None, (".",)),
    # Legal document numbers cited in answers: 123/2015/NĐ-CP, 59/2014/QH13 (upper case only).
    _Shape(
        "legal_reference",
        re.compile(rf"{_FIRST}\d{{0,3}}/(?:19|20)\d{{2}}/[A-ZĐ][A-ZĐ0-9]*(?:-[A-ZĐ0-9]+)*(?![\w*])"),
        None,
        ("/",),
    ),
    # Source links of the national portal: /thu-tuc-hanh-chinh/019d2bfc-d9d1-7475-8e58-....
    _Shape(
        "uuid",
        re.compile(
            r"[0-9a-fA-F](?<![\w*-][0-9a-fA-F])[0-9a-fA-F]{7}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
            r"-[0-9a-fA-F]{12}(?![\w*-])"
        ),
        None,
        ("-",),
    ),
    # 14/07/2025, 14-07-2025, 14.07.2025 (a real day, years 1900-2099).
    _Shape(
        "date_dmy",
        re.compile(rf"(?P<d>{_DATE_FIRST}\d?)(?P<sep>[/.\-])(?P<m>\d{{1,2}})(?P=sep)(?P<y>\d{{4}}){_DATE_AFTER}"),
        _dmy_ok,
        ("/", ".", "-"),
    ),
    # 2025-07-14, 2025/07/14.
    _Shape(
        "date_ymd",
        re.compile(rf"(?P<y>{_DATE_FIRST}\d{{3}})(?P<sep>[/.\-])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}}){_DATE_AFTER}"),
        _dmy_ok,
        ("/", ".", "-"),
    ),
    # 7/2025 and 14/7: short, so weak.
    _Shape(
        "month_year",
        re.compile(rf"(?P<m>{_DATE_FIRST}\d?)/(?P<y>\d{{4}}){_DATE_AFTER}"),
        _month_year_ok,
        ("/",),
        weak=True,
    ),
    _Shape(
        "day_month",
        re.compile(rf"(?P<d>{_DATE_FIRST}\d?)/(?P<m>\d{{1,2}}){_DATE_AFTER}"),
        _day_month_ok,
        ("/",),
        weak=True,
    ),
    # 7:30, 17:30:00, 17h30, 8g15.
    _Shape(
        "time",
        re.compile(
            rf"(?P<h>\d(?<!{_D}\d)(?<!{_D}[.,]\d)\d?)(?::[0-5]\d(?::[0-5]\d)?|[hHgG][0-5]\d)(?!{_D})(?![.,:]{_D})"
        ),
        _time_ok,
        (":", "h", "H", "g", "G"),
    ),
    # A fee: a number and a currency word (50.000 đồng, 50000đ, 1,5 triệu, 50k).
    _Shape(
        "fee",
        re.compile(rf"(?P<amount>{_FIRST}[\d.,]*)[ \t]?{_CURRENCY}(?![^\W\d_])", re.IGNORECASE),
        _fee_ok,
        weak=True,
    ),
    # A thousands grouping without currency, at most 7 digits: 50.000, 1.500.000, 1,500,000.
    _Shape(
        "thousands",
        re.compile(rf"[1-9](?<!{_D}\d)(?<!{_D}[.,/\-]\d)\d{{0,2}}(?:(?:\.\d{{3}}){{1,2}}|(?:,\d{{3}}){{1,2}}){_AFTER}"),
        _thousands_ok,
        (".", ","),
        weak=True,
    ),
    # Toll-free and hotline numbers: 1800 1096, 18001096, 1900.1234, 1900 123 456.
    _Shape(
        "hotline",
        re.compile(
            rf"1(?<!{_D}1)(?<!{_D}[.,/\-]1)[89]00[ .\-]?"
            rf"(?:\d{{6}}|\d{{4}}|\d{{3}}[ .\-]\d{{3}}|\d{{2}}[ .\-]\d{{2}}){_AFTER}"
        ),
        None,
        ("1800", "1900"),
        weak=True,
    ),
    # A year after a word that announces one: năm 2025, in 2024, từ 2020, July 2025.
    _Shape("year", re.compile(rf"(?:1(?<=[ \t]1)9|2(?<=[ \t]2)0)\d{{2}}{_AFTER}"), _year_ok, ("19", "20"), weak=True),
    # A time limit given as a range: 15 - 20 ngày, 10-15 days.
    _Shape(
        "duration",
        re.compile(rf"{_FIRST}\d{{0,2}}[ \t]*{_DASH}[ \t]*\d{{1,3}}[ \t]*{_UNIT}(?![^\W\d_])", re.IGNORECASE),
        None,
        _DASHES,
        weak=True,
    ),
)

# Digits joined by separators make one number: spaces; a dash or slash, spaces around it
# allowed; a dot or comma with no space after it (". " and ", " end a sentence or a list
# item); the ")" of "(+84) 912 ...".
_NUMBER = re.compile(r"\d+(?:(?:[ \t]*[/\-‐‑‒–—][ \t]*|[.,]|[ \t]+|\)[ \t]*)\d+)*")
_SPACES = " \t"
_SPACED_JOINERS = "/-‐‑‒–—)"
_TIGHT_JOINERS = ".,"


def _is_digit(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isdecimal() or text[index] == MASK)


def _joined(text: str, start: int, end: int) -> bool:
    """True when a digit (or "*") is joined to text[start:end] the way _NUMBER joins digits.
    Only a digit at the edge of the span can be joined."""
    if text[start].isdecimal():
        i = start - 1
        while i >= 0 and text[i] in _SPACES:
            i -= 1
        if i >= 0 and (text[i] in _SPACED_JOINERS or (i == start - 1 and text[i] in _TIGHT_JOINERS)):
            i -= 1
            while i >= 0 and text[i] in _SPACES:
                i -= 1
        if _is_digit(text, i):
            return True
    if text[end - 1].isdecimal():
        i = end
        while i < len(text) and text[i] in _SPACES:
            i += 1
        if i < len(text) and (text[i] in _SPACED_JOINERS or (i == end and text[i] in _TIGHT_JOINERS)):
            i += 1
            while i < len(text) and text[i] in _SPACES:
                i += 1
        if _is_digit(text, i):
            return True
    return False


# ---------------------------------------------------------------------------------------
# Text


def mask_text(text: str) -> str:
    """`text` with personal data masked; known safe shapes kept. Idempotent, never raises.

    The result is NFC-normalised (Vietnamese letters precomposed); masking keeps the length
    of numbers and names, so the shape of what was typed stays readable.
    """
    if not isinstance(text, str) or not text:
        return text
    try:
        return _mask(text)
    except Exception:  # a bug here must not store the raw text: fall back to blunt masking
        try:
            return _DIGIT.sub(MASK, _EMAIL.sub(EMAIL_MASK, text))
        except Exception:
            return MASK * len(text)


def _mask(text: str) -> str:
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    # Masking can expose a new match: an ID glued to a letter ("H041900") masks to what looks
    # like a masked name word ("H******"). Repeating until nothing changes makes mask_text
    # idempotent by construction; each pass only turns characters into "*", so it ends fast
    # (text without personal data: one pass; with: usually two).
    for _ in range(MAX_MASK_PASSES):
        masked = _mask_once(text)
        if masked == text:
            break
        text = masked
    return text


def _mask_once(text: str) -> str:
    if "@" in text:
        text = _EMAIL.sub(EMAIL_MASK, text)
    text = _mask_names(text)
    if _DIGIT.search(text):
        text = _mask_numbers(text)
    return text


def _mask_names(text: str) -> str:
    """Up to 5 words after each name cue become first letter + stars."""
    folded = text.translate(_FOLD)
    lowered = folded.lower()
    if not any(hint in lowered for hint in _CUE_HINTS):
        return text
    words: Dict[int, int] = {}
    for cue in _CUE.finditer(folded):
        position = cue.end()
        for _ in range(MAX_NAME_WORDS):
            word = _NAME_WORD.match(text, position)
            if word is None:
                break
            end = word.end()
            if end < len(text) and (text[end].isdecimal() or text[end] == MASK):
                break  # glued to digits (masked or not): a code ("CT01"), not a name
            if word.group().lower() in _NAME_STOP_WORDS:
                break
            words[word.start()] = end
            gap = _NAME_GAP.match(text, end)
            if gap is None:
                break
            position = gap.end()
    if not words:
        return text
    pieces, last = [], 0
    for start in sorted(words):
        end = words[start]
        pieces.append(text[last:start])
        pieces.append(text[start] + MASK * (end - start - 1))
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _safe_spans(text: str) -> List[Tuple[int, int]]:
    """Non-overlapping spans of known safe shapes; at equal start the longer one wins."""
    found: List[Tuple[int, int]] = []
    for shape in _SHAPES:
        if shape.hints and not any(hint in text for hint in shape.hints):
            continue
        for m in shape.pattern.finditer(text):
            if (shape.valid is None or shape.valid(m)) and not (shape.weak and _joined(text, *m.span())):
                found.append(m.span())
    found.sort(key=lambda span: (span[0], -span[1]))
    chosen: List[Tuple[int, int]] = []
    reach = 0
    for start, end in found:
        if start >= reach:
            chosen.append((start, end))
            reach = end
    return chosen


def _mask_numbers(text: str) -> str:
    pieces, last = [], 0
    for start, end in _safe_spans(text):
        pieces.append(_mask_digit_runs(text[last:start]))
        pieces.append(text[start:end])
        last = end
    pieces.append(_mask_digit_runs(text[last:]))
    return "".join(pieces)


def _stars_if_personal(m: re.Match[str]) -> str:
    number = m.group()
    if sum(c.isdecimal() for c in number) < MIN_PERSONAL_DIGITS:
        return number
    if number.isascii():
        return number.translate(_ASCII_DIGITS_TO_MASK)
    return _DIGIT.sub(MASK, number)  # other scripts' digits ("０９１２") count too


def _mask_digit_runs(text: str) -> str:
    return _NUMBER.sub(_stars_if_personal, text) if text else text


# ---------------------------------------------------------------------------------------
# Values and metadata


def mask_value(value: Any) -> Any:
    """Strings masked inside str / list / tuple / dict values (dict keys kept); other
    scalars (numbers, booleans, None) kept as they are."""
    return _mask_value(value, 0)


def _mask_value(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if depth >= MAX_VALUE_DEPTH and isinstance(value, (list, tuple, dict)):
        return MASK * 3
    if isinstance(value, list):
        return [_mask_value(item, depth + 1) for item in value]
    if isinstance(value, tuple):
        return tuple(_mask_value(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return {key: _mask_value(item, depth + 1) for key, item in value.items()}
    return value


# The one home of the metadata allow-list: what a channel may pass on and what is stored.
ALLOWED_METADATA: Dict[str, type] = {"assisted": bool, "ui_language": str, "client_key": str}
_CLIENT_KEY = re.compile(r"[0-9a-f]{16,64}")  # the channel's keyed hash (bot/channels/guard.py)


def clean_metadata(raw: Any) -> Dict[str, Any]:
    """Only the allow-listed metadata keys, each with the right type and shape; {} otherwise.

    assisted: a bool; ui_language: "vi" or "en"; client_key: a lower-case hex digest of
    16 to 64 characters. Anything else is dropped.
    """
    if not isinstance(raw, dict):
        return {}
    cleaned: Dict[str, Any] = {}
    assisted = raw.get("assisted")
    if type(assisted) is bool:
        cleaned["assisted"] = assisted
    ui_language = raw.get("ui_language")
    if isinstance(ui_language, str) and ui_language in LANGUAGES:
        cleaned["ui_language"] = ui_language
    client_key = raw.get("client_key")
    if isinstance(client_key, str) and _CLIENT_KEY.fullmatch(client_key):
        cleaned["client_key"] = client_key
    return cleaned


# ---------------------------------------------------------------------------------------
# Rasa events

_KEPT_ENTITIES = frozenset({"language", "procedure_code"})
_KEPT_SLOTS = frozenset({"language", "procedure_code", "candidates"})
_SECRET_SLOTS = frozenset({"identity_digits"})
# Entity fields that describe the extraction, not what was said.
_ENTITY_STRUCTURE = frozenset(
    {"entity", "start", "end", "extractor", "confidence_entity", "confidence", "processors", "role", "group"}
)


def mask_event(event: Dict[str, Any]) -> Dict[str, Any]:
    """A deep copy of a serialised Rasa event, masked for storage; `event` is untouched.

    user: text, parse_data.text and every entity value masked (entities `language` and
    `procedure_code` kept); metadata reduced to the allow-list. slot: `identity_digits`
    becomes "******", `language`, `procedure_code`, `candidates` are kept, any other value
    is masked. bot: text, data and metadata masked. Any other event: metadata reduced to
    the allow-list (and entity values masked where the event carries entities).
    """
    event = copy.deepcopy(event)
    if not isinstance(event, dict):
        return event
    kind = event.get("event")
    if kind == "user":
        _mask_user(event)
    elif kind == "slot":
        _mask_slot(event)
    elif kind == "bot":
        for key in ("text", "data", "metadata"):
            if key in event:
                event[key] = mask_value(event[key])
        return event
    elif kind in ("entities", "reminder"):  # EntitiesAdded, ReminderScheduled carry entities too
        _mask_entities(event.get("entities"))
    if "metadata" in event:
        event["metadata"] = clean_metadata(event["metadata"])
    return event


def _mask_user(event: Dict[str, Any]) -> None:
    if isinstance(event.get("text"), str):
        event["text"] = mask_text(event["text"])
    parse_data = event.get("parse_data")
    if isinstance(parse_data, dict):
        if isinstance(parse_data.get("text"), str):
            parse_data["text"] = mask_text(parse_data["text"])
        _mask_entities(parse_data.get("entities"))
        if "metadata" in parse_data:
            parse_data["metadata"] = clean_metadata(parse_data["metadata"])


def _mask_entities(entities: Any) -> None:
    if not isinstance(entities, list):
        return
    for entity in entities:
        if not isinstance(entity, dict) or entity.get("entity") in _KEPT_ENTITIES:
            continue
        for key in list(entity):
            if key not in _ENTITY_STRUCTURE:
                entity[key] = mask_value(entity[key])


def _mask_slot(event: Dict[str, Any]) -> None:
    name, value = event.get("name"), event.get("value")
    if name in _SECRET_SLOTS:
        if value is not None:
            event["value"] = SECRET_SLOT_MASK
    elif name not in _KEPT_SLOTS:
        event["value"] = mask_value(value)


# ---------------------------------------------------------------------------------------
# Logging: every record created in the process is masked, whichever library logs it
# (tracebacks quote values, libraries log request lines), and so is every warning: Rasa
# reports the text it failed to parse ("Failed to parse arguments in line '/greet ...'")
# with warnings.warn, which writes to stderr without going through logging.

_install_lock = threading.Lock()
_MARK = "_masks_personal_data"


def install_log_masking() -> None:
    """Wrap the log record factory so every record's message (and traceback) is masked, and
    warnings.showwarning so every warning's message (and source line) is masked.

    Idempotent: installing twice wraps once; call it again after a library replaced one of
    the hooks. The wrappers never raise because of masking.
    """
    with _install_lock:
        current = logging.getLogRecordFactory()
        if not getattr(current, _MARK, False):

            def masking_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = current(*args, **kwargs)
                _mask_record(record)
                return record

            setattr(masking_factory, _MARK, True)
            logging.setLogRecordFactory(masking_factory)
        show = warnings.showwarning
        if not getattr(show, _MARK, False):

            def masking_showwarning(
                message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Optional[str] = None
            ) -> None:
                try:
                    text = mask_text(str(message))[:MAX_LOG_MESSAGE_CHARS]
                    line = mask_text(line) if line else line
                except Exception:
                    text, line = LOG_WITHHELD, None
                show(text, category, filename, lineno, file, line)

            setattr(masking_showwarning, _MARK, True)
            warnings.showwarning = masking_showwarning


def _mask_record(record: logging.LogRecord) -> None:
    try:
        message = mask_text(record.getMessage())[:MAX_LOG_MESSAGE_CHARS]
    except Exception:  # bad format arguments, a failing __str__: nothing of it is written
        message = LOG_WITHHELD
    record.msg, record.args = message, ()
    if record.exc_info:
        try:
            # Handlers print exc_text when it is set, so the raw traceback is never formatted.
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
        except Exception:
            record.exc_text = LOG_WITHHELD
    if record.stack_info:
        try:
            record.stack_info = mask_text(record.stack_info)
        except Exception:
            record.stack_info = LOG_WITHHELD
