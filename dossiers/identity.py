"""Keyed hashing of the applicant's last 4 ID digits and of conversation ids.

Choice: HMAC-SHA256 keyed with a server secret ("pepper", env ``DOSSIER_PEPPER``) over a
per-record random 16-byte salt + the 4 digits. Not scrypt, because:

* The secret has only 10,000 values. Once an attacker holds both the database and the
  pepper, any work factor loses: 10,000 x 50 ms of scrypt is under 10 minutes per record.
  What actually protects the digits is the pepper, which lives in the environment and
  never in the database: a leaked database alone cannot be brute-forced at all.
* HMAC costs microseconds, so importing a province's dossiers and answering a lookup
  stay cheap (scrypt at a useful cost would make a 10k-row import take minutes).
* The per-record salt keeps equal digits from giving equal hashes across records, so
  the table shows nothing about which dossiers share an applicant.

Changing the pepper invalidates every stored hash: re-import after rotating it.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets

PEPPER_ENV = "DOSSIER_PEPPER"
DEV_PEPPER = "dev-only-pepper-do-not-use-in-production"
SALT_BYTES = 16

_log = logging.getLogger(__name__)
_warned = False


def pepper() -> bytes:
    """The server secret, read on every call so tests and deployments can set it late."""
    global _warned
    value = os.environ.get(PEPPER_ENV)
    if not value:
        if not _warned:
            _log.warning("%s is not set: using the development pepper", PEPPER_ENV)
            _warned = True
        value = DEV_PEPPER
    return value.encode()


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def hash_last4(digits: str, salt: bytes, key: bytes | None = None) -> bytes:
    return hmac.new(key or pepper(), salt + digits.encode("ascii"), hashlib.sha256).digest()


def verify_last4(digits: str, salt: bytes, expected: bytes) -> bool:
    return hmac.compare_digest(hash_last4(digits, salt), expected)


def conversation_key(conversation_id: str) -> str:
    """Stable pseudonym for a conversation id (sender ids can be phone numbers)."""
    mac = hmac.new(pepper(), b"conversation:" + conversation_id.encode(), hashlib.sha256)
    return mac.hexdigest()[:32]
