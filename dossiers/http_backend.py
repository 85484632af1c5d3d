"""Dossier lookups against a provincial one-stop system's REST API.

The API we speak (the provincial system keeps the identity data and checks it itself;
we never receive any form of the ID number):

    POST {base}/dossiers/{code}/verify
    Authorization: Bearer {token}
    Content-Type: application/json
    {"id_last6": "567962"}       (the last 6 digits of the applicant's 12-digit ID number)

    200  JSON record: code, procedure_code, procedure_title, received_date,
         appointment_date (YYYY-MM-DD or null), status_code (1-10), current_unit,
         supplement, fee_paid, pickup_place, applicant_name, applicant_phone
         (the import columns minus applicant_id_number; name and phone may come
         clear or masked, we mask them; unknown extra fields are ignored)
    404  unknown code OR wrong digits (one answer for both)
    401/403  bad token; 429/5xx  try later

Why POST with a body: the digits stay out of URLs, hence out of access logs and proxies,
and the one who holds the identity data does the comparison.

Config from env (dossiers.settings): DOSSIER_API_URL, DOSSIER_API_TOKEN, DOSSIER_API_TIMEOUT
(seconds, default 3), DOSSIER_API_RETRIES (default 2). The timeout is the budget for the whole
lookup, retries included: a slow or dead server gives BackendUnavailable within it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from dossiers.model import BackendUnavailable, Dossier, LookupResult
from dossiers.settings import DossierSettings, get_settings
from dossiers.throttle import ThrottlePolicy, guarded_lookup

_log = logging.getLogger(__name__)
_RETRY_STATUS = {429, 500, 502, 503, 504}


@dataclass(frozen=True)
class HttpConfig:
    base_url: str
    token: str
    timeout: float = 3.0
    retries: int = 2

    @classmethod
    def from_env(cls, settings: DossierSettings | None = None) -> HttpConfig:
        """From the process's settings (dossiers.settings), or from `settings` given."""
        settings = settings or get_settings()
        if not settings.api_url:
            raise ValueError("DOSSIER_API_URL is not set")
        return cls(settings.api_url, settings.api_token, settings.api_timeout, settings.api_retries)


class HttpBackend:
    def __init__(
        self, config: HttpConfig, policy: ThrottlePolicy, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.config = config
        self.policy = policy
        self.client = httpx.Client(
            base_url=config.base_url,
            headers={"Authorization": f"Bearer {config.token}", "Accept": "application/json"},
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def lookup(
        self, code: str, identity_digits: str, conversation_id: str, client_key: str | None = None
    ) -> LookupResult:
        return guarded_lookup(self.policy, self._verify, code, identity_digits, conversation_id, client_key)

    def _verify(self, code: str, digits: str) -> Dossier | None:
        response = self._post(f"/dossiers/{quote(code, safe='')}/verify", {"id_last6": digits})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            _log.error("dossier API answered HTTP %s", response.status_code)
            raise BackendUnavailable(f"dossier API answered HTTP {response.status_code}")
        return self._parse(code, response)

    def _parse(self, code: str, response: httpx.Response) -> Dossier:
        try:
            record: Any = response.json()
            dossier = Dossier.from_record(record)
        except (ValueError, TypeError, AttributeError, ValidationError) as error:
            raise BackendUnavailable("dossier API sent an unreadable record") from error
        if dossier.code != code:
            raise BackendUnavailable("dossier API sent another dossier than asked")
        return dossier

    def _post(self, path: str, body: dict[str, str]) -> httpx.Response:
        """POST with retries, all within one overall deadline."""
        deadline = time.monotonic() + self.config.timeout
        last = "no attempt"
        for attempt in range(self.config.retries + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0.01:
                break
            try:
                response = self.client.post(path, json=body, timeout=httpx.Timeout(remaining))
            except httpx.TimeoutException:
                last = "timed out"
                break  # the budget is spent
            except httpx.TransportError as error:
                last = type(error).__name__
            else:
                if response.status_code not in _RETRY_STATUS:
                    return response
                last = f"HTTP {response.status_code}"
            if attempt < self.config.retries:
                time.sleep(min(0.1 * 2**attempt, max(deadline - time.monotonic(), 0)))
        _log.warning("dossier API unavailable: %s", last)
        raise BackendUnavailable(f"dossier API unavailable ({last})")
