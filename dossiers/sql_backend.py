"""Dossier lookups against our own SQL mirror (SQLite by default, PostgreSQL via DATABASE_URL)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from dossiers.codes import IDENTITY_DIGITS
from dossiers.db import DossierRow, ensure_schema, make_engine
from dossiers.identity import SALT_BYTES, hash_identity, verify_identity
from dossiers.model import BackendUnavailable, Dossier, LookupResult
from dossiers.throttle import Clock, SqlThrottleStore, ThrottlePolicy, ThrottleRules, guarded_lookup

# Compared against when the code is unknown, so both failures cost the same work.
_DUMMY_SALT = bytes(SALT_BYTES)
_DUMMY_HASH = hash_identity("0" * IDENTITY_DIGITS, _DUMMY_SALT, b"dummy")

_FIELDS = tuple(Dossier.model_fields)


def row_to_dossier(row: DossierRow) -> Dossier:
    return Dossier.model_validate({name: getattr(row, name) for name in _FIELDS})


class SqlBackend:
    def __init__(
        self,
        engine: Engine | None = None,
        policy: ThrottlePolicy | None = None,
        *,
        rules: ThrottleRules | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.engine = engine or make_engine()
        ensure_schema(self.engine)
        if policy is None:
            store = SqlThrottleStore(self.engine)
            policy = ThrottlePolicy(store, rules, clock) if clock else ThrottlePolicy(store, rules)
        self.policy = policy

    def lookup(
        self, code: str, identity_digits: str, conversation_id: str, client_key: str | None = None
    ) -> LookupResult:
        try:
            return guarded_lookup(self.policy, self._verify, code, identity_digits, conversation_id, client_key)
        except OperationalError as error:  # database down or locked
            raise BackendUnavailable("dossier database unavailable") from error

    def _verify(self, code: str, digits: str) -> Dossier | None:
        with Session(self.engine) as session:
            row = session.get(DossierRow, code)
            salt, expected = (row.id_salt, row.id_hash) if row else (_DUMMY_SALT, _DUMMY_HASH)
            matches = verify_identity(digits, salt, expected)
            return row_to_dossier(row) if row is not None and matches else None
