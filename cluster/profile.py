"""Where every process of the cluster listens and what environment it gets: one home for the
ports, the secrets and the URLs, used by the supervisor config, the balancer config, the CLI and
the tests (tests/integration/test_cluster.py, bench/bench_cluster.py)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_STATE = REPO / "var" / "cluster"
DATABASE = "assistant"  # database and role
SECRETS = ("RASA_TOKEN", "ACTION_TOKEN", "PRIVACY_KEY", "SESSION_SECRET", "DOSSIER_PEPPER", "WEB_SECRET_KEY")
PASSWORDS = ("POSTGRES_PASSWORD", "REDIS_PASSWORD")
TICKET_LOCK_SECONDS = 15


@dataclass(frozen=True)
class Profile:
    """`Profile.from_env()` reads CLUSTER_PORT, CLUSTER_RASA, CLUSTER_ACTIONS, CLUSTER_WEB, CLUSTER_STATE."""

    port: int = 8080  # the balancer's public port (REST, socket.io, web app)
    rasa: int = 2
    actions: int = 2
    web: int = 1
    state: Path = DEFAULT_STATE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Profile:
        env = os.environ if env is None else env
        return cls(
            port=int(env.get("CLUSTER_PORT") or 8080),
            rasa=int(env.get("CLUSTER_RASA") or 2),
            actions=int(env.get("CLUSTER_ACTIONS") or 2),
            web=int(env.get("CLUSTER_WEB") or 1),
            state=Path(env.get("CLUSTER_STATE") or DEFAULT_STATE).resolve(),
        )

    # Internal ports, all on loopback, derived from the public one so two clusters can coexist.
    @property
    def rasa_api_port(self) -> int:  # the balancer's internal Rasa HTTP API (web app → Rasa)
        return self.port + 1

    @property
    def actions_port(self) -> int:  # the balancer's internal action endpoint (Rasa → action servers)
        return self.port + 2

    @property
    def stats_port(self) -> int:
        return self.port + 3

    @property
    def postgres_port(self) -> int:
        return self.port + 10

    @property
    def redis_port(self) -> int:
        return self.port + 11

    def rasa_ports(self) -> list[int]:
        return [self.port + 20 + i for i in range(self.rasa)]

    def action_ports(self) -> list[int]:
        return [self.port + 40 + i for i in range(self.actions)]

    def web_ports(self) -> list[int]:
        return [self.port + 60 + i for i in range(self.web)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def secrets(self) -> dict[str, str]:
        """Made once per state directory and kept there (mode 600), like scripts/defaults.sh does for
        `make run`: the cluster runs in production mode, which refuses any missing secret."""
        folder = self.state / "secrets"
        folder.mkdir(parents=True, exist_ok=True)
        values = {}
        for name in (*SECRETS, *PASSWORDS, "HANDOFF_KEY"):
            path = folder / name
            if not path.exists():
                value = _fernet_key() if name == "HANDOFF_KEY" else secrets.token_urlsafe(24)
                path.touch(mode=0o600)
                path.write_text(value)
            values[name] = path.read_text().strip()
        return values

    def database_url(self, password: str) -> str:
        return f"postgresql://{DATABASE}:{password}@127.0.0.1:{self.postgres_port}/{DATABASE}"

    def environment(self) -> dict[str, str]:
        """What every process of the cluster gets on top of scripts/defaults.sh."""
        values = self.secrets()
        database = self.database_url(values.pop("POSTGRES_PASSWORD"))
        return {
            **values,
            "ASSISTANT_ENV": "production",
            "DATABASE_URL": database,
            "TRACKER_DATABASE_URL": database,
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(self.redis_port),
            "RASA_ENDPOINTS": str(REPO / "deploy" / "endpoints.production.yml"),
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "RASA_URL": f"http://127.0.0.1:{self.rasa_api_port}",
            "RASA_PUBLIC_URL": self.url,
            "WEB_PUBLIC_URL": self.url,
            "RASA_CORS_ORIGINS": f"{self.url},http://localhost:{self.port}",
            "RASA_TRUSTED_PROXIES": "127.0.0.1",
            # A replica killed mid-turn leaves its lock ticket in Redis; Rasa's default 60 s would hold
            # that conversation's next message for a minute. A turn takes well under this.
            "TICKET_LOCK_LIFETIME": str(TICKET_LOCK_SECONDS),
            "WEB_TRUSTED_PROXIES": "127.0.0.1",
            "SUPERVISOR_STATE": str(self.state),
        }


def _fernet_key() -> str:
    import base64

    return base64.urlsafe_b64encode(os.urandom(32)).decode()
