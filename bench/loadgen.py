"""Drive HTTP load with wrk and read its result back through bench/report.lua."""

from __future__ import annotations

import json
import os
import secrets
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
# Whole requests (method, path, body, whether keyed) go through a file, one per line, fields
# separated by tabs (json.dumps never writes a raw tab or newline either); see Request.
REQUESTS_FILE_ENV = "BENCH_WRK_REQUESTS_FILE"
# Requests that belong together (a checkout's two): each thread starts on a multiple of it.
GROUP_ENV = "BENCH_WRK_GROUP"
# A keyed request gets the header KEY_HEADER with a value unique to the run, the wrk thread
# and the request: RUN_ID_ENV makes keys of the warm-up and the measured run differ.
KEY_HEADER_ENV = "BENCH_WRK_KEY_HEADER"
RUN_ID_ENV = "BENCH_WRK_RUN_ID"
MARKER_ENV = "BENCH_WRK_MARKER"  # report.lua counts the responses whose body contains it
THREADS = 2
CONNECTIONS = 32
# wrk's default of 2 s would drop slow requests (a login under full load) from the
# histogram and count them as socket errors; 10 s keeps them measured.
REQUEST_TIMEOUT_S = 10
US_PER_MS = 1000.0
US_PER_S = 1_000_000.0


@dataclass(frozen=True)
class Request:
    """One request of a sequence sent in turn, for scenarios whose requests differ in more
    than their body (a checkout: a line on a booking, then a payment of that booking)."""

    method: str
    path: str  # starting with "/", on the scenario's server
    body: str
    # Sent with a fresh Idempotency-Key (Load.key_header) every time: a retry of nothing,
    # a new money movement each request.
    keyed: bool = False

    def line(self) -> str:
        fields = (self.method, self.path, "1" if self.keyed else "0", self.body)
        if any(char in field for field in fields for char in "\t\n"):
            raise BenchError(f"a request to send in turn contains a tab or a newline: {fields}")
        return "\t".join(fields)


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
    # Whole requests sent in turn instead of `bodies` (`url` then only names the server),
    # each thread starting on a multiple of `group`.
    requests: Sequence[Request] = ()
    group: int = 1
    key_header: str = "Idempotency-Key"
    # With count_statuses: also count the responses whose body contains this (LoadResult.marked).
    marker: str | None = None


@dataclass(frozen=True)
class LoadResult:
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    statuses: Mapping[int, int] = field(default_factory=dict)  # only with count_statuses
    marked: int = 0  # responses whose body held Load.marker (only with count_statuses)

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
def _lines_file(lines: Sequence[str], prefix: str) -> Iterator[str]:
    """A temporary file of ``lines`` that lives as long as the wrk run."""
    with tempfile.NamedTemporaryFile("w", prefix=prefix, suffix=".txt") as file:
        file.write("\n".join(lines) + "\n")
        file.flush()
        yield file.name


@contextmanager
def wrk_env(load: Load) -> Iterator[dict[str, str]]:
    """The environment report.lua reads: one body is sent with every request; several
    bodies, or whole requests, are written to a temporary file that lives as long as the
    wrk run."""
    ours = (
        METHOD_ENV,
        BODY_ENV,
        BODIES_FILE_ENV,
        ORDER_ENV,
        COUNT_STATUSES_ENV,
        REQUESTS_FILE_ENV,
        GROUP_ENV,
        KEY_HEADER_ENV,
        RUN_ID_ENV,
        MARKER_ENV,
    )
    env = {key: value for key, value in os.environ.items() if key not in ours}
    env[METHOD_ENV] = load.method
    env[ORDER_ENV] = "random" if load.random_order else "turn"
    env[COUNT_STATUSES_ENV] = "1" if load.count_statuses else "0"
    env[GROUP_ENV] = str(load.group)
    env[KEY_HEADER_ENV] = load.key_header
    env[RUN_ID_ENV] = secrets.token_hex(8)  # a new one for every wrk run
    if load.marker is not None:
        env[MARKER_ENV] = load.marker
    if load.requests:
        if len(load.requests) % load.group:
            raise BenchError(f"{len(load.requests)} requests are not groups of {load.group}")
        with _lines_file([request.line() for request in load.requests], "bench-requests-") as name:
            env[REQUESTS_FILE_ENV] = name
            yield env
        return
    if len(load.bodies) <= 1:
        if load.bodies:
            env[BODY_ENV] = load.bodies[0]
        yield env
        return
    if any("\n" in body for body in load.bodies):
        raise BenchError("a request body to send in turn contains a newline")
    with _lines_file(load.bodies, "bench-bodies-") as name:
        env[BODIES_FILE_ENV] = name
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
        marked=int(raw.get("marked", 0)),
    )
