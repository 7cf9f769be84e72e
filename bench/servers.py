"""Start uvicorn servers in their own process groups, wait for them, and stop them for good."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from common import BenchError, say

HOST = "127.0.0.1"
READY_TIMEOUT_S = 30.0
POLL_INTERVAL_S = 0.2
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]


def free_port() -> int:
    """A port the kernel just considered free on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def uvicorn_command(
    bin_dir: Path, app: str, port: int, workers: int, extra: Sequence[str] = ()
) -> list[str]:
    return [
        str(bin_dir / "uvicorn"),
        "--factory",
        app,
        *extra,
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def start(name: str, command: list[str], port: int, cwd: Path, env: Mapping[str, str]) -> Server:
    """Launch in a new session so the server and all its workers share one process group.

    The server's stdout goes to our stderr: our stdout is reserved for the JSON results.
    """
    say(f"starting {name} on {HOST}:{port}")
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr,
        start_new_session=True,
    )
    return Server(name=name, base_url=f"http://{HOST}:{port}", process=process)


def wait_until_ready(server: Server, path: str, timeout_s: float = READY_TIMEOUT_S) -> None:
    """Poll ``path`` until it answers 200; fail early if the server process dies."""
    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    with httpx.Client(base_url=server.base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                code = server.process.returncode
                raise BenchError(f"{server.name} exited with code {code} while starting")
            problem = _probe(client, path)
            if problem is None:
                say(f"{server.name} is answering at {server.base_url}{path}")
                return
            last = problem
            time.sleep(POLL_INTERVAL_S)
    raise BenchError(f"{server.name} did not answer {path} within {timeout_s:.0f} s ({last})")


def _probe(client: httpx.Client, path: str) -> str | None:
    """None when ``path`` answers 200, else what went wrong."""
    try:
        response = client.get(path)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if response.status_code == 200:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}"


def stop(server: Server) -> None:
    """SIGTERM the whole process group, then SIGKILL whatever is still there."""
    pgid = server.process.pid  # start_new_session made the server its group leader
    say(f"stopping {server.name}")
    _signal_group(pgid, signal.SIGTERM)
    try:
        server.process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        say(f"{server.name} ignored SIGTERM for {STOP_TIMEOUT_S:.0f} s; killing it")
    # Workers can outlive the master (or the master can hang): make sure the group is empty.
    _signal_group(pgid, signal.SIGKILL)
    server.process.wait()


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is already empty
        os.killpg(pgid, signum)
