"""Dossier lookups against our own SQL mirror (SQLite by default, PostgreSQL via DATABASE_URL)."""
from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from dossiers.db import DossierRow, ensure_schema, make_engine
from dossiers.identity import SALT_BYTES, hash_last4, verify_last4
from dossiers.lockout import Clock, LockoutPolicy, LockoutRules, SqlLockoutStore, guarded_lookup
from dossiers.model import BackendUnavailable, Dossier, LookupResult

# Compared against when the code is unknown, so both failures cost the same work.
_DUMMY_SALT = bytes(SALT_BYTES)
_DUMMY_HASH = hash_last4("0000", _DUMMY_SALT, b"dummy")

_FIELDS = tuple(Dossier.model_fields)


def row_to_dossier(row: DossierRow) -> Dossier:
    return Dossier.model_validate({name: getattr(row, name) for name in _FIELDS})


class SqlBackend:
    def __init__(
        self,
        engine: Engine | None = None,
        policy: LockoutPolicy | None = None,
        *,
        rules: LockoutRules | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.engine = engine or make_engine()
        ensure_schema(self.engine)
        if policy is None:
            store = SqlLockoutStore(self.engine)
            policy = LockoutPolicy(store, rules, clock) if clock else LockoutPolicy(store, rules)
        self.policy = policy

    def lookup(self, code: str, identity_digits: str, conversation_id: str) -> LookupResult:
        try:
            return guarded_lookup(self.policy, code, identity_digits, conversation_id, self._verify)
        except OperationalError as error:  # database down or locked
            raise BackendUnavailable("dossier database unavailable") from error

    def _verify(self, code: str, digits: str) -> Dossier | None:
        with Session(self.engine) as session:
            row = session.get(DossierRow, code)
            salt, expected = (row.id_salt, row.id_hash) if row else (_DUMMY_SALT, _DUMMY_HASH)
            matches = verify_last4(digits, salt, expected)
            return row_to_dossier(row) if row is not None and matches else None
