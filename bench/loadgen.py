"""Drive HTTP load with wrk and read its result back through bench/report.lua."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from common import BenchError

REPORT_SCRIPT = Path(__file__).resolve().parent / "report.lua"
RESULT_MARKER = "BENCH_RESULT "
# report.lua reads the request method and body from these (unset: wrk's default GET, no body).
METHOD_ENV = "BENCH_WRK_METHOD"
BODY_ENV = "BENCH_WRK_BODY"
# Several bodies, one per line, sent in turn (json.dumps never writes a raw newline).
BODIES_ENV = "BENCH_WRK_BODIES"
THREADS = 2
CONNECTIONS = 32
# wrk's default of 2 s would drop slow requests (a login under full load) from the
# histogram and count them as socket errors; 10 s keeps them measured.
REQUEST_TIMEOUT_S = 10
US_PER_MS = 1000.0
US_PER_S = 1_000_000.0


@dataclass(frozen=True)
class LoadResult:
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0


def wrk_binary() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchError("wrk is not installed (install it with: apt-get install -y wrk)")
    return path


def wrk_command(url: str, duration_s: int, headers: Mapping[str, str]) -> list[str]:
    command = [
        wrk_binary(),
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{duration_s}s",
        f"--timeout={REQUEST_TIMEOUT_S}s",
        "--latency",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    return [*command, "-s", str(REPORT_SCRIPT), url]


def wrk_env(method: str, bodies: Sequence[str]) -> dict[str, str]:
    """The environment report.lua reads: one body is sent with every request, several in turn."""
    ours = (METHOD_ENV, BODY_ENV, BODIES_ENV)
    env = {key: value for key, value in os.environ.items() if key not in ours}
    env[METHOD_ENV] = method
    if len(bodies) == 1:
        env[BODY_ENV] = bodies[0]
    elif bodies:
        if any("\n" in body for body in bodies):
            raise BenchError("a request body to send in turn contains a newline")
        env[BODIES_ENV] = "\n".join(bodies)
    return env


def run_wrk(
    url: str,
    duration_s: int,
    headers: Mapping[str, str],
    method: str = "GET",
    bodies: Sequence[str] = (),
) -> LoadResult:
    """Run wrk to completion; subprocess.run kills it if we are interrupted meanwhile.
    ``bodies``: none, one sent with every request, or several sent in turn."""
    command = wrk_command(url, duration_s, headers)
    try:
        done = subprocess.run(
            command,
            env=wrk_env(method, bodies),
            capture_output=True,
            text=True,
            timeout=duration_s + 30,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish within {exc.timeout:.0f} s for {url}") from exc
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}) for {url}:\n{done.stderr}{done.stdout}")
    return parse_report(done.stdout)


def parse_report(stdout: str) -> LoadResult:
    for line in stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            return _result_from(json.loads(line.removeprefix(RESULT_MARKER)))
    raise BenchError(f"wrk printed no {RESULT_MARKER.strip()} line:\n{stdout}")


def _result_from(raw: Mapping[str, float]) -> LoadResult:
    socket_errors = sum(
        int(raw[key]) for key in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return LoadResult(
        requests=int(raw["requests"]),
        duration_s=raw["duration_us"] / US_PER_S,
        p50_ms=raw["p50_us"] / US_PER_MS,
        p99_ms=raw["p99_us"] / US_PER_MS,
        non_2xx=int(raw["non_2xx"]),
        socket_errors=socket_errors,
    )
