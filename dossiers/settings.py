"""Settings of the dossier lookup (action server, `dossiers` command), read once from the environment.

    DATABASE_URL         the dossier database (default the SQLite file var/dossiers.sqlite)
    DOSSIER_PEPPER       server secret of the ID-digit hashes (default: a development value, with a warning)
    DOSSIER_API_URL      a provincial one-stop system's API, used instead of the database when set
    DOSSIER_API_TOKEN    its bearer token
    DOSSIER_API_TIMEOUT  seconds for a whole lookup, retries included (default 3)
    DOSSIER_API_RETRIES  retries after a 429/5xx or a network error (default 2)

An empty variable counts as unset. A bad value raises a ValidationError (a ValueError) naming the
variable, without its value: the token and the pepper are secrets.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE = Path(__file__).resolve().parents[1] / "var" / "dossiers.sqlite"
DEV_PEPPER = "dev-only-pepper-do-not-use-in-production"

_log = logging.getLogger(__name__)


class DossierSettings(BaseSettings):
    """`DossierSettings()` reads the environment; `DossierSettings(api_url=...)` overrides fields by name."""

    model_config = SettingsConfigDict(
        frozen=True,
        case_sensitive=True,
        env_ignore_empty=True,
        validate_by_name=True,
        extra="ignore",
        hide_input_in_errors=True,
    )

    database_url: str = Field(f"sqlite:///{DEFAULT_SQLITE}", validation_alias="DATABASE_URL")
    pepper: str = Field("", validation_alias="DOSSIER_PEPPER", validate_default=True, repr=False)
    api_url: str = Field("", validation_alias="DOSSIER_API_URL")  # empty: the SQL mirror
    api_token: str = Field("", validation_alias="DOSSIER_API_TOKEN", repr=False)
    api_timeout: float = Field(3.0, gt=0, validation_alias="DOSSIER_API_TIMEOUT")
    api_retries: int = Field(2, ge=0, validation_alias="DOSSIER_API_RETRIES")

    @field_validator("pepper")
    @classmethod
    def _pepper(cls, value: str) -> str:
        if not value:
            # settings are read once per process, so this warns once
            _log.warning("DOSSIER_PEPPER is not set: using the development pepper")
        return value or DEV_PEPPER

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname):
            raise ValueError("DOSSIER_API_URL must be an http:// or https:// address")
        return value


@cache
def get_settings() -> DossierSettings:
    """The process's settings, read on first use; tests that change the environment call
    `get_settings.cache_clear()` (tests/conftest.py does it around every test)."""
    return DossierSettings()
