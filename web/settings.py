"""Settings of the web app, read once from the environment (defaults: scripts/defaults.sh).

    RASA_PUBLIC_URL      where browsers reach Rasa's socket.io (default RASA_URL, http://127.0.0.1:5005)
    KNOWLEDGE_INDEX      the knowledge index directory (default var/index)
    WEB_DATABASE_URL     feedback, accounts and session log (default DATABASE_URL, sqlite:///var/web.sqlite)
    WEB_SECRET_KEY       signs the session cookie (default: a random key kept in var/web-secret)
    WEB_PORT             the port scripts/run-web listens on (default 8000)
    WEB_PUBLIC_URL       the site's address for QR codes, share links and the CSRF origin check
                         (default http://127.0.0.1:WEB_PORT; never taken from a request's Host)
    WEB_SECURE_COOKIES   1/true/yes/on behind HTTPS, 0/false/no/off or empty otherwise (default off)
    WEB_TRUSTED_PROXIES  comma-separated proxy addresses or networks whose X-Forwarded-For is believed
                         (default empty: trust none; read by scripts/run-web for uvicorn too)
"""
from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PORT = "8000"
TRUE, FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    rasa_public_url: str  # where browsers open the socket.io connection to Rasa
    knowledge_index: Path
    database_url: str  # feedback, volunteer accounts and the assisted-session log
    secret_key: str  # signs the volunteer session cookie
    public_url: str = f"http://127.0.0.1:{DEFAULT_PORT}"  # absolute base for QR codes and share links
    secure_cookies: bool = False  # True behind HTTPS
    trusted_proxies: tuple[str, ...] = ()  # whose X-Forwarded-For uvicorn believes (scripts/run-web)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        rasa = env.get("RASA_PUBLIC_URL") or env.get("RASA_URL") or "http://127.0.0.1:5005"
        port = env.get("WEB_PORT") or DEFAULT_PORT
        return cls(
            rasa_public_url=rasa.rstrip("/"),
            knowledge_index=_repo_path(env.get("KNOWLEDGE_INDEX", "var/index")),
            database_url=env.get("WEB_DATABASE_URL") or env.get("DATABASE_URL") or "sqlite:///var/web.sqlite",
            secret_key=env.get("WEB_SECRET_KEY") or _stored_secret(REPO / "var" / "web-secret"),
            public_url=_public_url(env.get("WEB_PUBLIC_URL") or f"http://127.0.0.1:{port}"),
            secure_cookies=_flag(env, "WEB_SECURE_COOKIES"),
            trusted_proxies=_proxies(env.get("WEB_TRUSTED_PROXIES", "")),
        )

    @property
    def public_origin(self) -> str:
        """scheme://host[:port] of public_url, as a browser writes it in an Origin header."""
        return origin_of(self.public_url)


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


def _public_url(value: str) -> str:
    if not origin_of(value):
        raise ValueError(f"WEB_PUBLIC_URL must be an http:// or https:// address, not {value!r}")
    return value.strip().rstrip("/")


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value not in TRUE | FALSE:
        raise ValueError(f"{name} must be one of 1/true/yes/on or 0/false/no/off, not {env[name]!r}")
    return value in TRUE


def _proxies(value: str) -> tuple[str, ...]:
    """Addresses or networks (10.0.0.0/8), as uvicorn's --forwarded-allow-ips takes them."""
    proxies = tuple(item.strip() for item in value.split(",") if item.strip())
    for item in proxies:
        if item == "*":
            raise ValueError("WEB_TRUSTED_PROXIES: '*' would let every client forge its address; list the proxies")
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as error:
            raise ValueError(f"WEB_TRUSTED_PROXIES: {item!r} is not an IP address or network") from error
    return proxies


def _repo_path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else REPO / path


def _stored_secret(path: Path) -> str:
    """One random key kept in var/, so sessions survive a restart without any set-up."""
    if not path.exists() or not path.read_text().strip():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()
