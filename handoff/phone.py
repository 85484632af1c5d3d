"""A callback's phone number: found in what the citizen typed, sealed with Fernet (HANDOFF_KEY)
before it is stored, opened only for the staff of the centre that is to call back."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Optional

from cryptography.fernet import Fernet, InvalidToken

KEY_FILE = Path(__file__).resolve().parents[1] / "var" / "handoff-key"
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


class PhoneBox:
    def __init__(self, key: str = "") -> None:
        self._fernet = Fernet((key or _stored_key()).encode())

    def seal(self, phone: str) -> str:
        return self._fernet.encrypt(phone.encode()).decode()

    def open(self, sealed: str) -> Optional[str]:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            return None  # the key changed: the number cannot be read any more

    @staticmethod
    def hint(phone: str) -> str:
        return "…" + phone[-2:]


def _stored_key() -> str:
    """Without HANDOFF_KEY (a bare run outside scripts/defaults.sh), one key kept in var/handoff-key."""
    if not KEY_FILE.is_file():
        KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        old = os.umask(0o077)
        try:
            KEY_FILE.write_text(Fernet.generate_key().decode())
        finally:
            os.umask(old)
    return KEY_FILE.read_text().strip()
