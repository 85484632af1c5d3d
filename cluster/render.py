"""The supervisor's and the balancer's config files, rendered from cluster/templates.

`python -m cluster.render haproxy` prints the balancer's config for a server (deploy/systemd,
deploy/compose): TLS on 443 with the certificate in `--certificate`, plain HTTP redirected;
`--help` for the replicas' addresses."""

from __future__ import annotations

import argparse
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from cluster.profile import REPO, Profile

MAX_BODY_BYTES = 64 * 1024  # as bot/serve.py's MAX_REQUEST_BYTES
CERTIFICATE = "/etc/haproxy/certs/assistant.pem"
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,  # config files, not HTML
)


@dataclass(frozen=True)
class BalancerLayout:
    """Where the balancer listens and what it sends to: the local cluster's, or a server's."""

    rasa: list[str]  # host:port of each replica
    actions: list[str]
    web: list[str]
    port: int = 8080  # public, without TLS
    rasa_api_port: int = 5004  # internal: the web app's calls to Rasa's HTTP API
    actions_port: int = 5054  # internal: Rasa's calls to the action servers
    stats_port: int = 5053
    stats_socket: str = "/run/assistant-balancer/haproxy.sock"
    bind: str = "127.0.0.1"  # public frontend
    internal_bind: str = "127.0.0.1"  # the internal frontends (0.0.0.0 on a container network)
    tls: bool = False
    certificate: str = CERTIFICATE

    @classmethod
    def of(cls, profile: Profile) -> BalancerLayout:
        return cls(
            rasa=[f"127.0.0.1:{p}" for p in profile.rasa_ports()],
            actions=[f"127.0.0.1:{p}" for p in profile.action_ports()],
            web=[f"127.0.0.1:{p}" for p in profile.web_ports()],
            port=profile.port,
            rasa_api_port=profile.rasa_api_port,
            actions_port=profile.actions_port,
            stats_port=profile.stats_port,
            stats_socket=str(profile.state / "haproxy.sock"),
        )


def haproxy_config(layout: BalancerLayout) -> str:
    return _templates.get_template("haproxy.cfg.j2").render(**asdict(layout), max_body=MAX_BODY_BYTES)


def supervisor_config(profile: Profile, postgres_bin: Path, postgres_user: str) -> str:
    postgres = (
        f"{postgres_bin / 'postgres'} -D {profile.state / 'pgdata'} -p {profile.postgres_port}"
        f" -k {profile.state / 'pgdata'} -c listen_addresses=127.0.0.1"
    )
    redis = f"{shutil.which('redis-server') or 'redis-server'} {profile.state / 'redis.conf'}"
    return _templates.get_template("supervisord.conf.j2").render(
        state=profile.state,
        repo=REPO,
        postgres_command=postgres,
        postgres_user=postgres_user,
        redis_command=redis,
        rasa_ports=profile.rasa_ports(),
        action_ports=profile.action_ports(),
        web_ports=profile.web_ports(),
    )


def redis_config(profile: Profile, password: str) -> str:
    """Loopback only, a password, no disk snapshots: locks, rate-limit windows and the socket.io
    message queue are all short-lived."""
    return "\n".join(
        [
            "bind 127.0.0.1",
            f"port {profile.redis_port}",
            f"requirepass {password}",
            f"dir {profile.state}",
            'save ""',
            "appendonly no",
            "maxmemory 256mb",
            "maxmemory-policy volatile-ttl",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Print the balancer's config for a server (systemd or compose)")
    parser.add_argument("which", choices=["haproxy"])
    parser.add_argument("--rasa", default="127.0.0.1:5005,127.0.0.1:5006", help="host:port of each Rasa replica")
    parser.add_argument("--actions", default="127.0.0.1:5055,127.0.0.1:5056", help="host:port of each action server")
    parser.add_argument("--web", default="127.0.0.1:8000", help="host:port of each web app")
    parser.add_argument("--internal-bind", default="127.0.0.1", help="0.0.0.0 on a container network")
    parser.add_argument("--no-tls", action="store_true", help="plain HTTP on --port (behind another TLS proxy)")
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--certificate", default=CERTIFICATE, help="certificate and key in one PEM file")
    parser.add_argument("--stats-socket", default="/run/assistant-balancer/haproxy.sock")
    args = parser.parse_args()
    layout = BalancerLayout(
        rasa=args.rasa.split(","),
        actions=args.actions.split(","),
        web=args.web.split(","),
        port=args.port,
        bind="0.0.0.0",
        internal_bind=args.internal_bind,
        tls=not args.no_tls,
        certificate=args.certificate,
        stats_socket=args.stats_socket,
    )
    print(haproxy_config(layout), end="")


if __name__ == "__main__":
    main()
