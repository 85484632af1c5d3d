"""Drive a cluster of the production profile from tests and benchmarks: `python -m cluster up`
in a state directory of its own, the balancer's view of its servers (HAProxy's stats socket),
kill -9 of one process and the wait for its return."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cluster.profile import REPO, Profile

PORT_SPAN = 64  # the profile derives its ports from CLUSTER_PORT up to +63


def free_port_block() -> int:
    """A CLUSTER_PORT whose whole block of derived ports is free."""
    for base in range(21000 + (os.getpid() % 50) * 200, 60000, PORT_SPAN * 2):
        if all(_free(base + offset) for offset in range(PORT_SPAN)):
            return base
    raise RuntimeError("no free block of ports")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Cluster:
    profile: Profile

    @classmethod
    def configure(cls, state: Path, rasa: int = 2, actions: int = 2) -> Cluster:
        return cls(Profile(port=free_port_block(), rasa=rasa, actions=actions, web=1, state=state))

    @property
    def env(self) -> dict[str, str]:
        p = self.profile
        return {
            **os.environ,
            "CLUSTER_PORT": str(p.port),
            "CLUSTER_RASA": str(p.rasa),
            "CLUSTER_ACTIONS": str(p.actions),
            "CLUSTER_WEB": str(p.web),
            "CLUSTER_STATE": str(p.state),
        }

    def command(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cluster", *args],
            cwd=REPO,
            env=self.env,
            text=True,
            capture_output=True,
            timeout=timeout,
        )

    def up(self) -> None:
        done = self.command("up")
        if done.returncode != 0:
            raise RuntimeError(f"cluster up failed:\n{done.stdout}\n{done.stderr}\n{self.logs_tail()}")

    def down(self) -> None:
        self.command("down", timeout=120)

    def logs_tail(self, lines: int = 15) -> str:
        out = []
        for log in sorted((self.profile.state / "logs").glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(out)

    @property
    def database_url(self) -> str:
        return self.profile.environment()["DATABASE_URL"]

    def secret(self, name: str) -> str:
        return self.profile.secrets()[name]

    def pid(self, program: str) -> int:
        return int(self.command("ctl", "pid", program).stdout.strip())

    def kill(self, program: str, sig: int = signal.SIGKILL) -> int:
        pid = self.pid(program)
        os.killpg(os.getpgid(pid), sig) if sig == signal.SIGKILL else os.kill(pid, sig)
        return pid

    def ctl(self, *args: str) -> str:
        return self.command("ctl", *args).stdout

    def server_states(self, backend: str = "rasa_by_sender") -> dict[str, str]:
        """server -> UP / DOWN / ... as the balancer sees it now."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.profile.state / "haproxy.sock"))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        rows = [line.split(",") for line in data.decode().splitlines() if line and not line.startswith("#")]
        return {r[1]: r[17] for r in rows if r[0] == backend and r[1] not in ("FRONTEND", "BACKEND")}

    def wait_state(self, server: str, state: str, timeout: float, backend: str = "rasa_by_sender") -> float:
        """Seconds until the balancer sees `server` in `state` (UP, DOWN), or raise."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.server_states(backend).get(server, "").startswith(state):
                return time.monotonic() - started
            time.sleep(0.1)
        raise AssertionError(f"{server} not {state} within {timeout} s: {self.server_states(backend)}")
