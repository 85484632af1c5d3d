"""Settings of the web app, read once from the environment at start (defaults: scripts/defaults.sh).

    RASA_PUBLIC_URL      where browsers reach Rasa's socket.io (default RASA_URL, http://127.0.0.1:5005)
    RASA_URL             where the web app itself reaches Rasa's HTTP API: the live handoff's delivery and
                         the bot part of a transcript (default http://127.0.0.1:5005)
    RASA_TOKEN           the token of that API; used server-side only, never sent to a browser
    KNOWLEDGE_INDEX      the knowledge index directory (default var/index)
    WEB_DATABASE_URL     feedback, accounts and session log (default DATABASE_URL, sqlite:///var/web.sqlite)
    WEB_SECRET_KEY       signs the session cookie (default: a random key kept in var/web-secret)
    WEB_PORT             the port scripts/run-web listens on (default 8000)
    WEB_PUBLIC_URL       the site's address for QR codes, share links and the CSRF origin check
                         (default http://127.0.0.1:WEB_PORT; never taken from a request's Host)
    WEB_SECURE_COOKIES   1/true/yes/on behind HTTPS, 0/false/no/off or empty otherwise (default off)
    WEB_TRUSTED_PROXIES  comma-separated proxy addresses or networks whose X-Forwarded-For is believed
                         (default empty: trust none; read by scripts/run-web for uvicorn too)

An empty variable counts as unset. A bad value stops the app with a ValidationError (a ValueError)
that names the variable.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PORT = 8000
TRUE, FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


class Settings(BaseSettings):
    """`Settings()` reads the process environment; `Settings(field=...)` sets fields by name (tests)."""

    model_config = SettingsConfigDict(
        frozen=True, case_sensitive=True, env_ignore_empty=True, validate_by_name=True, extra="ignore"
    )

    # where browsers open the socket.io connection to Rasa
    rasa_public_url: str = Field("http://127.0.0.1:5005", validation_alias=AliasChoices("RASA_PUBLIC_URL", "RASA_URL"))
    # where this process calls Rasa's HTTP API (staff console: delivery, transcripts), with its token
    rasa_url: str = Field("http://127.0.0.1:5005", validation_alias="RASA_URL")
    rasa_token: str = Field("", validation_alias="RASA_TOKEN", repr=False)
    knowledge_index: Path = Field(Path("var/index"), validation_alias="KNOWLEDGE_INDEX", validate_default=True)
    # feedback, volunteer accounts and the assisted-session log
    database_url: str = Field(
        "sqlite:///var/web.sqlite", validation_alias=AliasChoices("WEB_DATABASE_URL", "DATABASE_URL")
    )
    # signs the volunteer session cookie; empty: the key kept in var/web-secret
    secret_key: str = Field("", validation_alias="WEB_SECRET_KEY", validate_default=True, repr=False)
    port: int = Field(DEFAULT_PORT, ge=1, le=65535, validation_alias="WEB_PORT")  # before public_url, its default
    # absolute base for QR codes and share links; empty: http://127.0.0.1:WEB_PORT
    public_url: str = Field("", validation_alias="WEB_PUBLIC_URL", validate_default=True)
    secure_cookies: bool = Field(False, validation_alias="WEB_SECURE_COOKIES")  # True behind HTTPS
    # the bearer token a Prometheus scraper sends to /metrics; empty: loopback clients only
    metrics_token: str = Field("", validation_alias="METRICS_TOKEN", repr=False)
    # whose X-Forwarded-For uvicorn believes (scripts/run-web); NoDecode: a comma list, not JSON
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field((), validation_alias="WEB_TRUSTED_PROXIES")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings from the process environment, or from `env` alone (tests)."""
        if env is None:
            return cls()
        return cls(_build_sources=((_MappingSource(cls, env),), {}))

    @property
    def public_origin(self) -> str:
        """scheme://host[:port] of public_url, as a browser writes it in an Origin header."""
        return origin_of(self.public_url)

    @field_validator("rasa_public_url", "rasa_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("knowledge_index")
    @classmethod
    def _repo_path(cls, path: Path) -> Path:
        return path if path.is_absolute() else REPO / path

    @field_validator("secret_key")
    @classmethod
    def _secret(cls, value: str) -> str:
        return value or _stored_secret(REPO / "var" / "web-secret")

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip() or f"http://127.0.0.1:{info.data.get('port', DEFAULT_PORT)}"
        if not origin_of(value):
            raise ValueError(f"WEB_PUBLIC_URL must be an http:// or https:// address, not {value!r}")
        return value.rstrip("/")

    @field_validator("secure_cookies", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        # stricter than pydantic's bool: a typo such as "ja" must not quietly mean off
        if value.strip().lower() not in TRUE | FALSE:
            raise ValueError(f"WEB_SECURE_COOKIES must be one of 1/true/yes/on or 0/false/no/off, not {value!r}")
        return value.strip().lower() in TRUE

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: Any) -> Any:
        """Addresses or networks (10.0.0.0/8), as uvicorn's --forwarded-allow-ips takes them."""
        proxies = tuple(item.strip() for item in value.split(",") if item.strip()) if isinstance(value, str) else value
        for item in proxies:
            if item == "*":
                raise ValueError("WEB_TRUSTED_PROXIES: '*' would let every client forge its address; list the proxies")
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as error:
                raise ValueError(f"WEB_TRUSTED_PROXIES: {item!r} is not an IP address or network") from error
        return proxies


class _MappingSource(EnvSettingsSource):
    """The environment source of pydantic-settings, over a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._mapping = env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name: value for name, value in self._mapping.items() if value or not self.env_ignore_empty}


def origin_of(url: str) -> str:
    """The normalised origin of `url` ("" if it has none): lower case, no default port."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def _stored_secret(path: Path) -> str:
    """One random key kept in var/, so sessions survive a restart without any set-up."""
    if not path.exists() or not path.read_text().strip():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()
