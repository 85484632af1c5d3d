"""Dossier status lookup (tra cứu hồ sơ): model, code parsing, SQL and HTTP backends.

Typical use from an action::

    backend = backend_from_env()
    result = backend.lookup(code, last6, tracker.sender_id, client_key=hmac_of_client_ip)
    # Dossier | NotFound | Locked; raises BackendUnavailable
"""

from __future__ import annotations

from dossiers.codes import extract_identity_digits, mask_name, mask_phone, normalize_code
from dossiers.model import (
    BackendUnavailable,
    Dossier,
    DossierBackend,
    Locked,
    LookupResult,
    NotFound,
)

__all__ = [
    "BackendUnavailable",
    "Dossier",
    "DossierBackend",
    "Locked",
    "LookupResult",
    "NotFound",
    "backend_from_env",
    "extract_identity_digits",
    "mask_name",
    "mask_phone",
    "normalize_code",
]


def backend_from_env() -> DossierBackend:
    """HTTP backend when DOSSIER_API_URL is set, else the SQL mirror (DATABASE_URL).
    The throttle store is always the SQL database."""
    from dossiers.db import make_engine
    from dossiers.settings import get_settings
    from dossiers.sql_backend import SqlBackend
    from dossiers.throttle import SqlThrottleStore, ThrottlePolicy

    engine = make_engine()
    if get_settings().api_url:
        from dossiers.http_backend import HttpBackend, HttpConfig

        return HttpBackend(HttpConfig.from_env(), ThrottlePolicy(SqlThrottleStore(engine)))
    return SqlBackend(engine)
