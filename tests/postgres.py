"""A throwaway PostgreSQL server for tests: initdb + pg_ctl (PostgreSQL 15 preferred, found under
/usr/lib/postgresql/*/bin or on PATH) in a temp dir, on a free localhost port. initdb refuses to run
as root, so as root the server runs as the existing ``postgres`` system user or, if there is none,
a system user ``dossiers-pg`` created with useradd."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def bindir() -> Path | None:
    candidates = [Path("/usr/lib/postgresql/15/bin")]
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    if found := shutil.which("initdb"):
        candidates.append(Path(found).resolve().parent)
    return next((c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None)


def _server_user() -> dict[str, Any]:
    """subprocess kwargs to run as a non-root user when we are root."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "dossiers-pg"],
            check=True,
        )
        entry = pwd.getpwnam("dossiers-pg")
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """`start()`, `stop()` (immediate: like a crash) and `start()` again on the same data and port."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self._as_user = _server_user()
        self.home = Path(tempfile.mkdtemp(prefix="tests-pg-"))
        if self._as_user:
            os.chown(self.home, self._as_user["user"], self._as_user["group"])
        self.data, self.port = self.home / "data", _free_port()
        self._run(self.binaries / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(self.binaries / "pg_ctl", "-D", self.data, "-l", self.home / "server.log", "-w", "-t", "60",
                  "-o", options, "start")  # fmt: skip

    def stop(self) -> None:
        self._run(self.binaries / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def _run(self, *args: Any, check: bool = True) -> None:
        subprocess.run(list(args), check=check, cwd=self.home, capture_output=True, **self._as_user)


@contextlib.contextmanager
def running(binaries: Path) -> Iterator[PostgresServer]:
    """A started server, removed with its data at the end."""
    server = PostgresServer(binaries)
    server.start()
    try:
        yield server
    finally:
        server.remove()
