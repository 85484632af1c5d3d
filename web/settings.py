"""Settings of the web app, read once from the environment (defaults: scripts/defaults.sh)."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    rasa_public_url: str  # where browsers open the socket.io connection to Rasa
    knowledge_index: Path
    database_url: str  # feedback, volunteer accounts and the assisted-session log
    secret_key: str  # signs the volunteer session cookie
    public_url: str = ""  # absolute base for QR codes and share links; "" = from the request
    secure_cookies: bool = False  # True behind HTTPS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        rasa = env.get("RASA_PUBLIC_URL") or env.get("RASA_URL") or "http://127.0.0.1:5005"
        return cls(
            rasa_public_url=rasa.rstrip("/"),
            knowledge_index=_repo_path(env.get("KNOWLEDGE_INDEX", "var/index")),
            database_url=env.get("WEB_DATABASE_URL") or env.get("DATABASE_URL") or "sqlite:///var/web.sqlite",
            secret_key=env.get("WEB_SECRET_KEY") or _stored_secret(REPO / "var" / "web-secret"),
            public_url=env.get("WEB_PUBLIC_URL", "").rstrip("/"),
            secure_cookies=env.get("WEB_SECURE_COOKIES", "") in {"1", "true", "yes"},
        )


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
