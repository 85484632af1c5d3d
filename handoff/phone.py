"""A callback's phone number: found in what the citizen typed, sealed (bot.sealing, HANDOFF_KEY)
before it is stored, opened only for the staff of the centre that is to call back."""

from __future__ import annotations

import re
from typing import Optional

from bot.sealing import Sealer

# Vietnamese numbers: mobile 0 + 9 digits, landline 02x + 8 digits; +84 / 84 instead of the 0.
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[35789]\d{8}|2\d{9})(?!\d)")
_SEPARATORS = re.compile(r"(?<=\d)[\s.\-()]+(?=\d)")


def find_phone(text: str) -> Optional[str]:
    """The phone number in `text` as digits (0xxxxxxxxx), or None."""
    match = _PHONE.search(_SEPARATORS.sub("", text))
    if not match:
        return None
    number = match.group(0).lstrip("+")
    return "0" + number[2:] if number.startswith("84") else number


class PhoneBox(Sealer):
    """Seals and opens phone numbers (bot.sealing), and shows the last two digits."""

    @staticmethod
    def hint(phone: str) -> str:
        return "…" + phone[-2:]
