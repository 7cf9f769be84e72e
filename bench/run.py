"""Benchmark frontdesk against a bare FastAPI + asyncpg reference app, both served by uvicorn.

Usage: .venv/bin/python bench/run.py   (see bench/README.md for the environment variables)

Prints one JSON line per scenario on stdout; progress and warnings go to stderr.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import database
import servers
from common import BenchError, ScenarioFailedError, say
from database import BenchDatabase
from loadgen import CONNECTIONS, THREADS, LoadResult, Runs, run_wrk, wrk_binary
from scenarios import (
    BENCH_USER,
    LOGIN_USERS,
    REFERENCES,
    SCENARIOS,
    BenchContext,
    Prepared,
    Scenario,
)

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
BIN_DIR = Path(sys.executable).parent  # the venv's bin/, without resolving the python symlink
DEFAULT_DURATION_S = 10
DEFAULT_WARMUP_S = 2
HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# The per-IP request budget of the anonymous auth endpoints (default 30 a minute) would answer
# 429 within a second: all load comes from 127.0.0.1. Every request still goes through the
# limiter; it just never says no. The brute-force ledger keeps its defaults: see
# _check_login_load for why the login scenario never trips them.
THROTTLE_OVERRIDES = {
    "FRONTDESK_AUTH_REQUESTS_PER_MINUTE": "100000000",
}


@dataclass(frozen=True)
class Config:
    duration_s: int
    warmup_s: int
    keep_db: bool
    admin_url: str
    workers: int
    only: frozenset[str]


def _int_env(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BenchError(f"{name} must be a whole number of seconds, got {raw!r}") from None
    if value < minimum:
        raise BenchError(f"{name} must be at least {minimum}, got {value}")
    return value


def load_config() -> Config:
    return Config(
        duration_s=_int_env("BENCH_DURATION", DEFAULT_DURATION_S, minimum=1),
        warmup_s=_int_env("BENCH_WARMUP", DEFAULT_WARMUP_S, minimum=0),
        keep_db=os.environ.get("BENCH_KEEP_DB", "") == "1",
        admin_url=os.environ.get("FRONTDESK_BENCH_POSTGRES_URL") or database.DEFAULT_ADMIN_URL,
        workers=os.cpu_count() or 1,
        only=frozenset(name for name in os.environ.get("BENCH_ONLY", "").split(",") if name),
    )


def selected(config: Config) -> tuple[list[Scenario], list[Scenario]]:
    """The references and scenarios to run: all, or ``BENCH_ONLY``'s with the scenarios
    they need (``needs``) and their references."""
    if not config.only:
        return list(REFERENCES), list(SCENARIOS)
    unknown = config.only - {scenario.name for scenario in [*REFERENCES, *SCENARIOS]}
    if unknown:
        raise BenchError(f"BENCH_ONLY names unknown scenarios: {', '.join(sorted(unknown))}")
    asked = [scenario for scenario in SCENARIOS if scenario.name in config.only]
    wanted = config.only | {need for scenario in asked for need in scenario.needs}
    scenarios = [scenario for scenario in SCENARIOS if scenario.name in wanted]
    needed = wanted | {scenario.reference for scenario in scenarios}
    return [ref for ref in REFERENCES if ref.name in needed], scenarios


class Interrupted(BaseException):
    """A handled signal arrived; unwinds through every finally block like KeyboardInterrupt."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signum)


def install_signal_handlers() -> None:
    for signum in HANDLED_SIGNALS:
        signal.signal(signum, _raise_interrupted)


@contextmanager
def signals_ignored() -> Iterator[None]:
    """Cleanup must not be cut short by a second Ctrl-C."""
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in HANDLED_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def frontdesk_env(db: BenchDatabase) -> dict[str, str]:
    return {
        **os.environ,
        "FRONTDESK_DATABASE_URL": db.sqlalchemy_url,
        "FRONTDESK_ENVIRONMENT": "production",
        "FRONTDESK_SECRET_KEY": secrets.token_urlsafe(36),  # 48 characters
        "FRONTDESK_LOG_LEVEL": "WARNING",
        **THROTTLE_OVERRIDES,
    }


def reference_env(db: BenchDatabase) -> dict[str, str]:
    return {
        **os.environ,
        "BENCH_REFERENCE_DSN": db.dsn,
        "BENCH_REFERENCE_PASSWORD": BENCH_USER.password,  # what /ref/verify checks against
    }


def _drop_quietly(db: BenchDatabase) -> None:
    try:
        database.drop(db)
    except BenchError as exc:
        say(f"warning: could not drop the bench database: {exc}")


def _start(
    stack: ExitStack, name: str, app: str, extra: list[str], env: Mapping[str, str], workers: int
) -> servers.Server:
    port = servers.free_port()
    command = servers.uvicorn_command(BIN_DIR, app, port, workers, extra)
    server = servers.start(name, command, port, REPO_ROOT, env)
    stack.callback(servers.stop, server)
    return server


def start_servers(
    stack: ExitStack, config: Config, db: BenchDatabase, env: Mapping[str, str]
) -> tuple[servers.Server, servers.Server]:
    """Both servers run for the whole benchmark; only one of them is under load at a time."""
    frontdesk = _start(stack, "frontdesk", "frontdesk.app:create_app", [], env, config.workers)
    reference = _start(
        stack,
        "reference",
        "reference_app:create_app",
        ["--app-dir", str(BENCH_DIR)],
        reference_env(db),
        config.workers,
    )
    servers.wait_until_ready(frontdesk, "/healthz")
    servers.wait_until_ready(reference, "/ref/1")
    return frontdesk, reference


def measure(
    server: servers.Server,
    scenario: Scenario,
    context: BenchContext,
    config: Config,
    db: BenchDatabase,
) -> Runs:
    prepared = scenario.prepare(context)
    database.settle(db)
    load = scenario.load(server.base_url, prepared)
    warmup = None
    if config.warmup_s:
        say(f"{scenario.name}: warming up for {config.warmup_s} s")
        warmup = run_wrk(load, config.warmup_s)
    if scenario.before_measured is not None:
        scenario.before_measured(context, warmup, config.duration_s)
    say(f"{scenario.name}: measuring {_described(scenario, prepared)} for {config.duration_s} s")
    result = run_wrk(load, config.duration_s)
    # Scenarios with expected_statuses get the stricter status_problems instead.
    if (result.non_2xx or result.socket_errors) and not scenario.expected_statuses:
        say(
            f"warning: {scenario.name}: {result.non_2xx} non-2xx/3xx responses, "
            f"{result.socket_errors} socket errors out of {result.requests} requests"
        )
    return Runs(warmup, result)


def _described(scenario: Scenario, prepared: Prepared) -> str:
    if not prepared.requests:
        return f"{scenario.method} {prepared.path}"
    shown = prepared.requests[: scenario.group]
    steps = " + ".join(f"{request.method} {request.path}" for request in shown)
    return f"{len(prepared.requests)} requests in turn ({steps}, ...)"


def status_problems(scenario: Scenario, runs: Runs) -> list[str]:
    """Every response of both runs must have a status the scenario expects, and every
    request a response: what went otherwise, per run."""
    problems = []
    for name, run in (("warm-up", runs.warmup), ("measured run", runs.measured)):
        if run is None:
            continue
        expected = scenario.expected_statuses
        other = {status: n for status, n in run.statuses.items() if status not in expected}
        if other:
            problems.append(f"{name}: unexpected statuses {other} (only {sorted(expected)})")
        if run.socket_errors:
            problems.append(f"{name}: {run.socket_errors} socket errors")
    return problems


def checked_fields(
    scenario: Scenario, context: BenchContext, runs: Runs, earlier: Mapping[str, LoadResult]
) -> dict[str, object]:
    """The scenario's extra result fields; ScenarioFailedError if it broke one of its rules.
    The check hook runs even when statuses are wrong: a double booking must never hide
    behind another failure."""
    fields: dict[str, object] = {}
    failures: list[str] = []
    if scenario.check is not None:
        try:
            fields.update(scenario.check(context, runs, earlier))
        except ScenarioFailedError as exc:
            fields.update(exc.fields)
            failures.append(str(exc))
    if scenario.expected_statuses and (problems := status_problems(scenario, runs)):
        fields["statuses"] = {
            str(status): n for status, n in sorted(runs.measured.statuses.items())
        }
        failures.extend(problems)
    if failures:
        raise ScenarioFailedError("; ".join(failures), fields)
    return fields


def result_line(scenario: Scenario, result: LoadResult, reference_rps: float) -> dict[str, object]:
    ratio = round(result.rps / reference_rps, 3) if reference_rps > 0 else None
    return {
        "scenario": scenario.name,
        "rps": round(result.rps, 1),
        "p50_ms": round(result.p50_ms, 3),
        "p99_ms": round(result.p99_ms, 3),
        "non_2xx": result.non_2xx,
        "ratio_to_reference": ratio,
        "reference": scenario.reference,
        "socket_errors": result.socket_errors,
    }


def emit(line: Mapping[str, object]) -> None:
    print(json.dumps(line), flush=True)


def _check_registry() -> None:
    names = [scenario.name for scenario in [*REFERENCES, *SCENARIOS]]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise BenchError(f"duplicate scenario names: {', '.join(duplicates)}")
    known = {reference.name for reference in REFERENCES}
    for scenario in [*REFERENCES, *SCENARIOS]:
        if scenario.reference not in known:
            raise BenchError(f"{scenario.name}: unknown reference {scenario.reference!r}")
    before: set[str] = set()
    for scenario in SCENARIOS:  # a scenario's needs are measured before it
        if not set(scenario.needs) <= before:
            raise BenchError(f"{scenario.name}: needs {scenario.needs} earlier in SCENARIOS")
        before.add(scenario.name)
    _check_login_load()


def _check_login_load() -> None:
    """The login scenario must stay below the brute-force ledger's default thresholds.

    Each attempt is counted before the password check and settled when it succeeds (the IP
    row refunds it, the account row is reset), so a row never holds more attempts than are
    in flight. Every attempt comes from 127.0.0.1: the IP row holds at most CONNECTIONS. The
    scenario signs LOGIN_USERS accounts in turn, each thread half the list ahead of the
    other, so with at least CONNECTIONS accounts a thread comes back to an account only after
    all the others: an account has about one attempt in flight per thread.
    """
    from frontdesk.core.config import Settings  # the defaults the server runs with

    fields = Settings.model_fields
    ip_threshold = fields["ip_max_failures"].default
    account_threshold = fields["login_max_failures"].default
    if ip_threshold <= CONNECTIONS:
        raise BenchError("loadgen.CONNECTIONS must stay below the default ip_max_failures")
    if len(LOGIN_USERS) < CONNECTIONS or account_threshold <= THREADS:
        raise BenchError(
            "the login scenario needs at least loadgen.CONNECTIONS accounts and fewer "
            "loadgen.THREADS than the default login_max_failures"
        )


def prepare_database(
    stack: ExitStack, config: Config, db: BenchDatabase, env: Mapping[str, str]
) -> None:
    database.recreate(db)
    if not config.keep_db:
        stack.callback(_drop_quietly, db)
    database.migrate(BIN_DIR, REPO_ROOT, env)
    database.fill_reference(db)


def _context(server: servers.Server, db: BenchDatabase, env: Mapping[str, str]) -> BenchContext:
    return BenchContext(server.base_url, db.sqlalchemy_url, BIN_DIR, env)


def run(stack: ExitStack, config: Config) -> None:
    """References first, then each frontdesk scenario in registry order, one at a time."""
    _check_registry()
    references, scenarios = selected(config)
    wrk_binary()  # fail before touching the database if wrk is missing
    say(f"{config.workers} uvicorn workers per server, {config.duration_s} s per scenario")
    db = BenchDatabase(config.admin_url)
    env = frontdesk_env(db)
    prepare_database(stack, config, db, env)
    frontdesk, reference = start_servers(stack, config, db, env)
    baselines: dict[str, float] = {}
    reference_context = _context(reference, db, reference_env(db))
    for scenario in references:
        result = measure(reference, scenario, reference_context, config, db).measured
        baselines[scenario.name] = result.rps
        emit(result_line(scenario, result, result.rps))
    context = _context(frontdesk, db, env)
    results: dict[str, LoadResult] = {}
    failed: list[str] = []
    for scenario in scenarios:
        runs = measure(frontdesk, scenario, context, config, db)
        line = result_line(scenario, runs.measured, baselines[scenario.reference])
        try:
            line.update(checked_fields(scenario, context, runs, results))
        except ScenarioFailedError as exc:
            # Loud, but the other scenarios still run and the line still shows the figures.
            say(f"error: {scenario.name} FAILED: {exc}")
            line.update({**exc.fields, "failed": str(exc)})
            failed.append(scenario.name)
        results[scenario.name] = runs.measured
        emit(line)
    if failed:
        raise BenchError(f"failed scenarios: {', '.join(failed)}")


def main() -> int:
    install_signal_handlers()
    stack = ExitStack()
    try:
        run(stack, load_config())
    except BenchError as exc:
        say(f"error: {exc}")
        return 1
    except Interrupted as exc:
        say(f"interrupted by {exc}; cleaning up")
        return 128 + exc.signum
    finally:
        with signals_ignored():
            stack.close()
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
