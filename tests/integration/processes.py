"""Server processes for the integration tests and the benchmarks, in one place: a free loopback
port, a server started as its own process group with its output in a log file, waiting until it
answers over HTTP, what it costs (CPU, memory), and stopping it with everything it started."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx
import psutil


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_group(command: Sequence[str], *, cwd: Path, env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `command` as the leader of a new process group (a session of its own, so a
    terminal's Ctrl-C does not reach it), its output appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            list(command), cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    """Poll `url` until it answers 200; fail with the log's tail if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not up after {timeout:.0f} s:\n{log.read_text(errors='replace')[-4000:]}")


def signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Send `signum` to the process group `process` leads (SIGSTOP/SIGCONT pause and resume it)."""
    os.killpg(process.pid, signum)


def stop_process_group(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Stop a process started with start_new_session=True, and everything it started: SIGTERM
    to the group, SIGKILL after `timeout` seconds. Nothing happens to a group already gone."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        process.poll()
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """User + system CPU seconds the process (the group's leader) has used so far; 0 once it is gone."""
    try:
        times = psutil.Process(process.pid).cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system


def rss_mb(process: subprocess.Popen[bytes]) -> float:
    """Resident memory of the process in MiB; NaN once it is gone."""
    try:
        return psutil.Process(process.pid).memory_info().rss / 2**20
    except psutil.Error:
        return float("nan")
