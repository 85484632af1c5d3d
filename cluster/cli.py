"""`python -m cluster up|down|status|ctl …` (`make cluster-up`, `make cluster-down`).

`up` returns once every process answers its health check, directly and through the balancer;
`down` stops them all gracefully (each replica drains its in-flight turns) and deletes the state
directory unless CLUSTER_KEEP=1."""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from cluster import render
from cluster.profile import DATABASE, REPO, Profile

HEALTH_TIMEOUT_SECONDS = 300  # two Rasa models and two embedding models load on 2 cores


def postgres_bin() -> Path:
    for candidate in [Path("/usr/lib/postgresql/15/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"))]:
        if (candidate / "postgres").is_file():
            return candidate
    found = shutil.which("postgres") or shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise SystemExit("PostgreSQL server binaries not found: apt-get install postgresql-15")


def postgres_user() -> str:
    """PostgreSQL refuses to run as root: as root, the `postgres` system user (made if missing)."""
    if os.geteuid() != 0:
        return ""
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"], check=True
        )
    return "postgres"


def environment(profile: Profile) -> dict[str, str]:
    return {**os.environ, **profile.environment()}


def supervisorctl(profile: Profile, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [str(REPO / ".venv" / "bin" / "supervisorctl"), "-c", str(profile.state / "supervisord.conf"), *args]
    return subprocess.run(command, check=check, text=True, capture_output=True)


def init_postgres(profile: Profile, user: str) -> None:
    data = profile.state / "pgdata"
    if (data / "PG_VERSION").exists():
        return
    data.mkdir(parents=True, mode=0o700, exist_ok=True)
    password_file = profile.state / "pg-password"  # initdb reads it once; removed right after
    shutil.copy(profile.state / "secrets" / "POSTGRES_PASSWORD", password_file)
    as_user: dict[str, Any] = {}
    if user:
        entry = pwd.getpwnam(user)
        for path in (data, password_file):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        as_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    command = [str(postgres_bin() / "initdb"), "-D", str(data), "-U", DATABASE, f"--pwfile={password_file}",
               "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, **as_user)
    finally:
        password_file.unlink()
    if done.returncode != 0:
        raise SystemExit(f"initdb failed: {done.stderr.strip()[-500:]}")


def wait_for_postgres(profile: Profile) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready = subprocess.run(
            [str(postgres_bin() / "pg_isready"), "-h", "127.0.0.1", "-p", str(profile.postgres_port)],
            capture_output=True,
        )
        if ready.returncode == 0:
            return
        time.sleep(0.3)
    raise SystemExit("PostgreSQL did not start: see " + str(profile.state / "logs" / "postgres.log"))


def create_database(profile: Profile) -> None:
    """The `assistant` database, owned by the `assistant` role initdb made (kept across `up`s with CLUSTER_KEEP)."""
    query = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
    if postgres_client(profile, "psql", "-d", "postgres", "-tAc", query).stdout.strip() != "1":
        postgres_client(profile, "createdb", DATABASE)


def postgres_client(profile: Profile, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL client tool as the `assistant` role; raises when it fails."""
    where = ["-h", "127.0.0.1", "-p", str(profile.postgres_port), "-U", DATABASE]
    password = {**os.environ, "PGPASSWORD": profile.secrets()["POSTGRES_PASSWORD"]}
    return subprocess.run(
        [str(postgres_bin() / tool), *where, *args], capture_output=True, text=True, env=password, check=True
    )


def create_schema(env: dict[str, str]) -> None:
    """Every table, before any replica starts: two replicas creating one table at once would race."""
    for venv in (".venv-rasa", ".venv"):
        done = subprocess.run(
            [str(REPO / venv / "bin" / "python"), "-m", "cluster.schema"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"creating the tables failed ({venv}):\n{done.stderr[-3000:]}")


def healthy(url: str, expect: str | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:
            body = answer.read().decode("utf-8", "replace")
            return answer.status == 200 and (expect is None or expect in body)
    except OSError:
        return False


def health_checks(profile: Profile) -> dict[str, str]:
    """name -> URL whose 200 (with "ok" for the action servers) says the process is ready."""
    checks = {f"rasa-{i}": f"http://127.0.0.1:{p}/" for i, p in enumerate(profile.rasa_ports())}
    checks.update({f"actions-{i}": f"http://127.0.0.1:{p}/health" for i, p in enumerate(profile.action_ports())})
    checks.update({f"web-{i}": f"http://127.0.0.1:{p}/healthz" for i, p in enumerate(profile.web_ports())})
    checks["balancer"] = f"{profile.url}/healthz"
    checks["balancer → rasa"] = f"{profile.url}/webhooks/rest/handoff?sender=health-check"
    return checks


def wait_healthy(profile: Profile, timeout: float = HEALTH_TIMEOUT_SECONDS) -> None:
    pending = health_checks(profile)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for name, url in list(pending.items()):
            if healthy(url, '"ok"' if name.startswith("actions") else None):
                del pending[name]
        time.sleep(0.5)
    if pending:
        raise SystemExit(f"not healthy after {timeout:.0f} s: {', '.join(pending)} (logs: {profile.state / 'logs'})")


def running(profile: Profile) -> bool:
    return (profile.state / "supervisor.sock").exists() and supervisorctl(profile, "pid", check=False).returncode == 0


def up(profile: Profile) -> None:
    if running(profile):
        print(f"cluster already running ({profile.state}); `make cluster-down` stops it")
        wait_healthy(profile)
        return
    started = time.monotonic()
    (profile.state / "logs").mkdir(parents=True, exist_ok=True)
    env = environment(profile)
    user = postgres_user()
    init_postgres(profile, user)
    password = profile.secrets()["REDIS_PASSWORD"]
    (profile.state / "redis.conf").write_text(render.redis_config(profile, password))
    (profile.state / "redis.conf").chmod(0o600)
    (profile.state / "haproxy.cfg").write_text(render.haproxy_config(render.BalancerLayout.of(profile)))
    (profile.state / "supervisord.conf").write_text(render.supervisor_config(profile, postgres_bin(), user))
    subprocess.run(
        [str(REPO / ".venv" / "bin" / "supervisord"), "-c", str(profile.state / "supervisord.conf")],
        check=True,
        env=env,
        cwd=REPO,
    )
    supervisorctl(profile, "start", "postgres", "redis")
    wait_for_postgres(profile)
    create_database(profile)
    create_schema(env)
    supervisorctl(profile, "start", "all", check=False)  # postgres and redis answer "already started"
    wait_healthy(profile)
    print(f"cluster up in {time.monotonic() - started:.0f} s: open {profile.url}/  (state: {profile.state})")
    print(supervisorctl(profile, "status", check=False).stdout, end="")


def down(profile: Profile) -> None:
    if running(profile):
        supervisorctl(profile, "stop", "balancer", check=False)  # no new requests, then drain the replicas
        supervisorctl(profile, "stop", "all", check=False)
        pid_file = profile.state / "supervisord.pid"
        supervisorctl(profile, "shutdown", check=False)
        deadline = time.monotonic() + 30
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    if os.environ.get("CLUSTER_KEEP") != "1":
        shutil.rmtree(profile.state, ignore_errors=True)
    print("cluster down")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m cluster", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status", "ctl"])
    parser.add_argument("args", nargs=argparse.REMAINDER, help="for ctl: a supervisorctl command")
    args = parser.parse_args(argv)
    profile = Profile.from_env()
    if args.command == "up":
        up(profile)
    elif args.command == "down":
        down(profile)
    else:
        result = supervisorctl(profile, *(args.args if args.command == "ctl" else ["status"]), check=False)
        print(result.stdout, end="", file=sys.stdout)
        sys.exit(result.returncode)
