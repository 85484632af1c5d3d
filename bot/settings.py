"""Every environment variable the Rasa process reads (defaults: scripts/defaults.sh).

bot/serve.py's ServerSettings reads the server's at start; the channels' hash keys are read once
here. Rasa 3.6 pins pydantic 1, so these are plain dataclasses rather than pydantic-settings. This
module imports nothing of Rasa: tests/test_settings.py checks the README's table against VARIABLES.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import Dict, Mapping, Optional
from urllib.parse import quote

# name -> default; "" means none here (scripts/defaults.sh sets RASA_TOKEN, the keys and the origins)
VARIABLES: Dict[str, str] = {
    "RASA_HOST": "127.0.0.1",
    "RASA_PORT": "5005",
    "RASA_TOKEN": "",
    "RASA_CORS_ORIGINS": "",
    "RASA_MODEL": "models/assistant.tar.gz",
    "RASA_ENDPOINTS": "endpoints.yml",
    "RASA_CREDENTIALS": "credentials.yml",
    "PRIVACY_KEY": "",
    "SESSION_SECRET": "",
    # Zalo Official Account channel (bot/channels/zalo.py): off while ZALO_APP_ID is unset
    "ZALO_APP_ID": "",
    "ZALO_OA_SECRET_KEY": "",
    "ZALO_APP_SECRET": "",
    "ZALO_ACCESS_TOKEN": "",
    "ZALO_REFRESH_TOKEN": "",
    "ZALO_API_URL": "https://openapi.zalo.me",
    "ZALO_OAUTH_URL": "https://oauth.zaloapp.com",
    "WEB_PUBLIC_URL": "",  # the web app's address, for Zalo's links to printable pages (scripts/defaults.sh)
    # production profile (cluster/, deploy/): see bot/production.py for what it requires
    "ASSISTANT_ENV": "development",
    "REDIS_HOST": "",  # empty: no Redis (in-memory locks, rate limits and socket.io rooms; one process)
    "REDIS_PORT": "6379",
    "REDIS_PASSWORD": "",
    "RASA_TRUSTED_PROXIES": "",  # the balancer's addresses, whose X-Forwarded-For names the client
    "TRACKER_DATABASE_URL": "",  # read by Rasa itself, from deploy/endpoints.production.yml
}
DEVELOPMENT_TOKEN = "development"  # the keys' fallback of a bare `rasa run`; refused in production


def read(env: Mapping[str, str], name: str) -> str:
    """The variable's value, or its default when unset or empty."""
    return env.get(name) or VARIABLES[name]


@dataclass(frozen=True)
class ChannelKeys:
    privacy_key: str  # keys the hash of a client's address (bot.channels.guard.client_key)
    session_secret: str  # keys a widget's session token (bot.channels.socketio.session_token)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> ChannelKeys:
        env = os.environ if env is None else env
        # without scripts/defaults.sh (a bare `rasa run`), still one stable key per process
        fallback = read(env, "RASA_TOKEN") or DEVELOPMENT_TOKEN
        return cls(read(env, "PRIVACY_KEY") or fallback, read(env, "SESSION_SECRET") or fallback)


def redis_url(env: Optional[Mapping[str, str]] = None) -> str:
    """The Redis of the production profile (rate limits, socket.io's message queue), or ""."""
    env = os.environ if env is None else env
    host = read(env, "REDIS_HOST")
    if not host:
        return ""
    password = quote(read(env, "REDIS_PASSWORD"), safe="")
    return f"redis://{':' + password + '@' if password else ''}{host}:{read(env, 'REDIS_PORT')}/0"


def trusted_proxies(env: Optional[Mapping[str, str]] = None) -> frozenset[str]:
    env = os.environ if env is None else env
    return frozenset(p.strip() for p in read(env, "RASA_TRUSTED_PROXIES").split(",") if p.strip())


@cache
def channel_keys() -> ChannelKeys:
    """Read on first use, then kept: the keys must not change under a running server."""
    return ChannelKeys.from_env()


@dataclass(frozen=True)
class ZaloSettings:
    app_id: str  # empty: the channel is off
    oa_secret_key: str  # signs webhook events (the OA's key, not the app secret)
    app_secret: str  # authenticates the token refresh
    access_token: str  # the first tokens; refreshed ones are kept sealed in the database
    refresh_token: str
    api_url: str
    oauth_url: str
    public_url: str  # our web app, for the printable procedure page link

    @property
    def enabled(self) -> bool:
        return bool(self.app_id)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> ZaloSettings:
        env = os.environ if env is None else env
        return cls(
            app_id=read(env, "ZALO_APP_ID"),
            oa_secret_key=read(env, "ZALO_OA_SECRET_KEY"),
            app_secret=read(env, "ZALO_APP_SECRET"),
            access_token=read(env, "ZALO_ACCESS_TOKEN"),
            refresh_token=read(env, "ZALO_REFRESH_TOKEN"),
            api_url=read(env, "ZALO_API_URL").rstrip("/"),
            oauth_url=read(env, "ZALO_OAUTH_URL").rstrip("/"),
            public_url=(read(env, "WEB_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
        )
