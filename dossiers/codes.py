"""Parse what citizens type: dossier codes, the last 6 ID digits; mask names and phones.

Dossier code (national portal form): ``{agency id}-{yyMMdd}-{NNNN}``. The agency id is
letters, digits and dots and differs between systems (``000.00.31.H04``, ``G22.39``);
``yyMMdd`` is the receipt date and ``NNNN`` a 4-digit serial.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from urllib.parse import parse_qsl, unquote_plus, urlsplit

# Agency id: dot-separated ASCII alphanumeric groups. Spaces around dashes are tolerated.
_CODE_RE = re.compile(
    r"(?<![A-Za-z0-9.])"
    r"(?P<agency>[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*)"
    r"\s*-\s*(?P<date>\d{6})\s*-\s*(?P<serial>\d{4})"
    r"(?![0-9])"
)
_STRICT_CODE_RE = re.compile(r"[A-Z0-9]+(?:\.[A-Z0-9]+)*-\d{6}-\d{4}")
_URL_RE = re.compile(r"https?://\S+|\S*\?\S*=\S+", re.IGNORECASE)
# Query keys receipts and one-stop portals use for the dossier code.
_QR_KEYS = {"ma_ho_so", "mahoso", "ma_hs", "mahs", "code", "dossier", "dossiercode"}
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212\u2015"), "-")

# The identity check's secret: the last digits of the 12-digit citizen ID number (căn cước).
# 10^6 values; the throttle's arithmetic (dossiers/throttle.py) depends on this.
IDENTITY_DIGITS = 6
ID_NUMBER_DIGITS = 12

# Identity digits: a digit run, optionally grouped by single spaces, dots or dashes
# ("001 234 567 962", "0012.3456.7962", "001-234-567-962").
_DIGIT_RUN_RE = re.compile(r"(?<![\w.])\d+(?:(?:[ .]|\s?-\s?)\d+)*(?!\w)")
_DIGIT_SEPARATORS_RE = re.compile(r"[\s.-]")
_MASKED_PHONE_RE = re.compile(r"\d{2}\*+\d{2}")


def _clean(text: str) -> str:
    """NFKC folds full-width digits/letters; odd dashes become '-'."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES)


def _valid_yymmdd(digits: str) -> bool:
    try:
        date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    except ValueError:
        return False
    return True


def _first_code(text: str) -> str | None:
    for m in _CODE_RE.finditer(text):
        agency = m["agency"].upper()
        # A bare number before the date is more likely a phone fragment than an agency id.
        if agency.isdigit() or not _valid_yymmdd(m["date"]):
            continue
        return f"{agency}-{m['date']}-{m['serial']}"
    return None


def _codes_from_urls(text: str) -> str | None:
    for url in _URL_RE.findall(text):
        query = urlsplit(url).query or url.partition("?")[2]
        for key, value in parse_qsl(query, keep_blank_values=False):
            if key.lower().replace("-", "_") in _QR_KEYS:
                found = _first_code(_clean(unquote_plus(value)))
                if found:
                    return found
    return None


def normalize_code(text: str | None) -> str | None:
    """Find a valid dossier code in free text or a receipt QR link; None if there is none.

    Upper-cases the agency id, drops spaces around dashes and rejects impossible
    dates in the ``yyMMdd`` part (``250230`` is not a day).
    """
    if not text:
        return None
    text = _clean(text)
    return _codes_from_urls(text) or _first_code(text)


def is_strict_code(text: str) -> bool:
    """True for a code already in canonical form (what the importer stores)."""
    return bool(_STRICT_CODE_RE.fullmatch(text)) and _valid_yymmdd(text.split("-")[-2])


def extract_identity_digits(text: str | None) -> str | None:
    """The last 6 digits of the applicant's ID number from a message, or None.

    Accepts exactly 6 digits or the full 12-digit number (only its last 6 are returned,
    the rest is dropped here), grouped by spaces, dots or dashes or not. Dossier codes in
    the same message are ignored. Ambiguous messages (two different candidates) give
    None, so the bot asks again instead of guessing.
    """
    if not text:
        return None
    text = _CODE_RE.sub(" ", _clean(text))
    found: set[str] = set()
    for m in _DIGIT_RUN_RE.finditer(text):
        digits = _DIGIT_SEPARATORS_RE.sub("", m.group())
        if len(digits) in (IDENTITY_DIGITS, ID_NUMBER_DIGITS):
            found.add(digits[-IDENTITY_DIGITS:])
    return found.pop() if len(found) == 1 else None


def mask_name(name: str | None) -> str:
    """Keep the first letter of each word, replace every other character by '*'.

    "Nguyễn Văn An" -> "N***** V** A*". Words are split on whitespace and rejoined by
    single spaces; text is NFC-normalised first so a letter with diacritics counts once.
    Masking an already masked name changes nothing.
    """
    if not name:
        return ""
    words = unicodedata.normalize("NFC", name).split()
    return " ".join(w[0] + "*" * (len(w) - 1) for w in words)


def normalize_phone(phone: str | None) -> str | None:
    """Vietnamese phone as 10-11 digits starting with 0 (+84/84 prefix folded), or None."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", _clean(phone))
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if digits.startswith("0") and len(digits) in (10, 11):
        return digits
    return None


def mask_phone(phone: str | None) -> str | None:
    """ "0912345678" -> "09******78": first 2 and last 2 digits kept; None if not a phone.

    An already masked value is returned as it is, so masking is idempotent.
    """
    if phone and _MASKED_PHONE_RE.fullmatch(phone.strip()):
        return phone.strip()
    digits = normalize_phone(phone)
    if digits is None:
        return None
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]
