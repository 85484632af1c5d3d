"""Keyed hashing of the applicant's last 6 ID digits, and pseudonyms for throttle keys.

Choice: HMAC-SHA256 keyed with a server secret ("pepper", env ``DOSSIER_PEPPER``) over a
per-record random 16-byte salt + the 6 digits. Not scrypt, because:

* The secret has 10^6 values. Once an attacker holds both the database and the pepper, a
  work factor only slows them down: at 50 ms of scrypt per try, one record takes about
  14 core-hours (10^6 x 50 ms), minutes on rented hardware for a targeted record. What
  actually protects the digits is the pepper, which lives in the environment and never
  in the database: a leaked database alone cannot be brute-forced at all.
* HMAC costs microseconds, so importing a province's dossiers and answering a lookup
  stay cheap (scrypt at a useful cost would make a 10k-row import take minutes, and
  every throttled guess would still burn 50 ms of server CPU).
* The per-record salt keeps equal digits from giving equal hashes across records, so
  the table shows nothing about which dossiers share an applicant, and a cracker with
  the pepper must pay the 10^6 tries per record, not once for all.

Online guessing is bounded by the throttle (dossiers/throttle.py), not by the hash.
Changing the pepper invalidates every stored hash: re-import after rotating it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

from dossiers.settings import get_settings

SALT_BYTES = 16


def pepper() -> bytes:
    """The server secret (dossiers.settings: a development value, with a warning, when unset)."""
    return get_settings().pepper.encode()


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def hash_identity(digits: str, salt: bytes, key: bytes | None = None) -> bytes:
    """HMAC of the identity digits (IDENTITY_DIGITS of them; never the whole ID number)."""
    return hmac.new(key or pepper(), salt + digits.encode("ascii"), hashlib.sha256).digest()


def verify_identity(digits: str, salt: bytes, expected: bytes) -> bool:
    return hmac.compare_digest(hash_identity(digits, salt), expected)


def pseudonym(kind: Literal["conversation", "client"], value: str) -> str:
    """Stable pseudonym for a throttle key: sender ids can be phone numbers, and the
    client key (already an HMAC of an IP address, made by the caller) is keyed once
    more so the table cannot be joined with the caller's logs."""
    mac = hmac.new(pepper(), f"{kind}:".encode() + value.encode(), hashlib.sha256)
    return mac.hexdigest()[:32]
