"""Drive HTTP load with wrk and read its result back through bench/report.lua."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import BenchError

REPORT_SCRIPT = Path(__file__).resolve().parent / "report.lua"
RESULT_MARKER = "BENCH_RESULT "
# report.lua reads the request method and body from these (unset: wrk's default GET, no body).
METHOD_ENV = "BENCH_WRK_METHOD"
BODY_ENV = "BENCH_WRK_BODY"
# Several bodies go through a file, one per line (json.dumps never writes a raw newline):
# thousands of them would not fit in one environment variable (128 KiB on Linux).
BODIES_FILE_ENV = "BENCH_WRK_BODIES_FILE"
ORDER_ENV = "BENCH_WRK_ORDER"  # "random": pick each request's body at random, else in turn
COUNT_STATUSES_ENV = "BENCH_WRK_COUNT_STATUSES"  # "1": report.lua counts every status
THREADS = 2
CONNECTIONS = 32
# wrk's default of 2 s would drop slow requests (a login under full load) from the
# histogram and count them as socket errors; 10 s keeps them measured.
REQUEST_TIMEOUT_S = 10
US_PER_MS = 1000.0
US_PER_S = 1_000_000.0


@dataclass(frozen=True)
class Load:
    """What wrk sends: one request shape, from `connections` connections."""

    url: str
    headers: Mapping[str, str]
    method: str = "GET"
    bodies: Sequence[str] = ()  # none, one sent with every request, or several
    random_order: bool = False  # several bodies: a random one per request instead of in turn
    connections: int = CONNECTIONS
    # Count every response status (report.lua's response() hook costs wrk some throughput,
    # so only the scenarios that need the counts pay for it).
    count_statuses: bool = False


@dataclass(frozen=True)
class LoadResult:
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    statuses: Mapping[int, int] = field(default_factory=dict)  # only with count_statuses

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0


@dataclass(frozen=True)
class Runs:
    """A scenario's warm-up (None when skipped) and measured run: both reached the server."""

    warmup: LoadResult | None
    measured: LoadResult

    @property
    def all(self) -> list[LoadResult]:
        return [run for run in (self.warmup, self.measured) if run is not None]


def wrk_binary() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchError("wrk is not installed (install it with: apt-get install -y wrk)")
    return path


def wrk_command(load: Load, duration_s: int) -> list[str]:
    command = [
        wrk_binary(),
        f"-t{THREADS}",
        f"-c{load.connections}",
        f"-d{duration_s}s",
        f"--timeout={REQUEST_TIMEOUT_S}s",
        "--latency",
    ]
    for name, value in load.headers.items():
        command += ["-H", f"{name}: {value}"]
    return [*command, "-s", str(REPORT_SCRIPT), load.url]


@contextmanager
def wrk_env(load: Load) -> Iterator[dict[str, str]]:
    """The environment report.lua reads: one body is sent with every request; several are
    written to a temporary file that lives as long as the wrk run."""
    ours = (METHOD_ENV, BODY_ENV, BODIES_FILE_ENV, ORDER_ENV, COUNT_STATUSES_ENV)
    env = {key: value for key, value in os.environ.items() if key not in ours}
    env[METHOD_ENV] = load.method
    env[ORDER_ENV] = "random" if load.random_order else "turn"
    env[COUNT_STATUSES_ENV] = "1" if load.count_statuses else "0"
    if len(load.bodies) <= 1:
        if load.bodies:
            env[BODY_ENV] = load.bodies[0]
        yield env
        return
    if any("\n" in body for body in load.bodies):
        raise BenchError("a request body to send in turn contains a newline")
    with tempfile.NamedTemporaryFile("w", prefix="bench-bodies-", suffix=".txt") as bodies:
        bodies.write("\n".join(load.bodies) + "\n")
        bodies.flush()
        env[BODIES_FILE_ENV] = bodies.name
        yield env


def run_wrk(load: Load, duration_s: int) -> LoadResult:
    """Run wrk to completion; subprocess.run kills it if we are interrupted meanwhile."""
    command = wrk_command(load, duration_s)
    with wrk_env(load) as env:
        try:
            done = subprocess.run(
                command,
                env=env,
                capture_output=True,
                text=True,
                timeout=duration_s + 30,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise BenchError(
                f"wrk did not finish within {exc.timeout:.0f} s for {load.url}"
            ) from exc
    if done.returncode != 0:
        raise BenchError(
            f"wrk failed ({done.returncode}) for {load.url}:\n{done.stderr}{done.stdout}"
        )
    return parse_report(done.stdout)


def parse_report(stdout: str) -> LoadResult:
    for line in stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            return _result_from(json.loads(line.removeprefix(RESULT_MARKER)))
    raise BenchError(f"wrk printed no {RESULT_MARKER.strip()} line:\n{stdout}")


def _result_from(raw: Mapping[str, Any]) -> LoadResult:
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
        statuses={int(status): int(count) for status, count in raw.get("statuses", {}).items()},
    )
