"""Sealing what the assistant must read back later: a callback's phone number (staff call it) and a
Zalo recipient's id (a staff reply is sent to it). Fernet (AES + HMAC) with HANDOFF_KEY; without it
(a bare run outside scripts/defaults.sh), one key kept in var/handoff-key. Plain Python, both
environments: the Rasa channels and the action server seal, the web app opens."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from cryptography.fernet import Fernet, InvalidToken

KEY_FILE = Path(__file__).resolve().parents[1] / "var" / "handoff-key"


class Sealer:
    def __init__(self, key: str = "") -> None:
        self._fernet = Fernet((key or os.environ.get("HANDOFF_KEY") or _stored_key()).encode())

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> Optional[str]:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            return None  # sealed with another key: it cannot be read any more


def _stored_key() -> str:
    if not KEY_FILE.is_file():
        KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        old = os.umask(0o077)
        try:
            KEY_FILE.write_text(Fernet.generate_key().decode())
        finally:
            os.umask(old)
    return KEY_FILE.read_text().strip()
