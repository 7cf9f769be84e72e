"""What gets measured. Add a frontdesk scenario by appending to SCENARIOS (see README)."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from common import BenchError, say


@dataclass(frozen=True)
class BenchContext:
    """What a setup hook may use to prepare a scenario against the running server."""

    base_url: str  # e.g. http://127.0.0.1:43121 (no trailing slash)
    database_url: str  # the bench database, postgresql+asyncpg://... (FRONTDESK_DATABASE_URL)
    bin_dir: Path  # the venv's bin directory (frontdesk, alembic, ...)
    env: Mapping[str, str]  # the environment the server runs with


# A setup hook runs once before the warm-up and returns extra request headers
# (e.g. {"Authorization": "Bearer ..."}); return {} when none are needed.
SetupHook = Callable[[BenchContext], Mapping[str, str]]

REFERENCE = "reference"  # the one-read reference, the default yardstick
REFERENCE_VERIFY = "reference_verify"  # the Argon2id-verify-only reference
JSON_HEADERS: Mapping[str, str] = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str  # request path, starting with "/"
    method: str = "GET"
    body: str | None = None  # sent with every request (set a Content-Type header to match)
    bodies: tuple[str, ...] = ()  # sent in turn instead of `body`, one per request
    headers: Mapping[str, str] = field(default_factory=dict)
    setup: SetupHook | None = None
    reference: str = REFERENCE  # the name of the entry in REFERENCES this one is compared with

    @property
    def request_bodies(self) -> tuple[str, ...]:
        """What loadgen sends: `bodies` in turn, else `body` every time, else nothing."""
        if self.bodies:
            return self.bodies
        return () if self.body is None else (self.body,)

    def prepare(self, context: BenchContext) -> dict[str, str]:
        """The headers to send: the fixed ones plus whatever the setup hook returns."""
        extra = self.setup(context) if self.setup is not None else {}
        return {**self.headers, **extra}


@dataclass(frozen=True)
class BenchUser:
    """The account the auth scenarios sign in as; the password is new on every run."""

    username: str
    email: str
    password: str


# 32 URL-safe characters (192 random bits): passes the password policy, never a common one.
BENCH_USER = BenchUser("bench-user", "bench@example.com", secrets.token_urlsafe(24))
# The login scenario signs in as these accounts in turn (they share BENCH_USER's password), so
# each account sees at most a couple of attempts in flight, as real traffic would: one
# account signed in by every connection at once would trip its brute-force threshold.
LOGIN_USERS = tuple(f"bench-login-{number:02}" for number in range(64))
MAKE_USERS_SCRIPT = Path(__file__).resolve().parent / "make_users.py"
MAKE_USERS_PASSWORD_ENV = "BENCH_USERS_PASSWORD"  # noqa: S105  (read by make_users.py)
CLI_TIMEOUT_S = 60
HTTP_TIMEOUT_S = 10.0
_created_in: set[str] = set()  # bench databases the user already exists in (one per run)
_login_users_in: set[str] = set()  # bench databases LOGIN_USERS already exist in


def _run_setup_command(command: list[str], env: Mapping[str, str], what: str) -> None:
    """Run a setup command in the server's environment; BenchError if it fails."""
    try:
        done = subprocess.run(
            command,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{what} took over {CLI_TIMEOUT_S} s") from exc
    if done.returncode != 0:
        raise BenchError(f"{what} failed ({done.returncode}):\n{done.stderr}")


def ensure_bench_user(context: BenchContext) -> None:
    """Create BENCH_USER with the frontdesk CLI, once per bench database.

    The password travels in FRONTDESK_ADMIN_PASSWORD (the CLI's documented alternative to
    --password), so it never shows up in a process listing.
    """
    if context.database_url in _created_in:
        return
    say(f"creating user {BENCH_USER.username} with `frontdesk users create-admin`")
    command = [
        str(context.bin_dir / "frontdesk"),
        "users",
        "create-admin",
        "--username",
        BENCH_USER.username,
        "--email",
        BENCH_USER.email,
    ]
    env = {**context.env, "FRONTDESK_ADMIN_PASSWORD": BENCH_USER.password}
    _run_setup_command(command, env, "frontdesk users create-admin")
    _created_in.add(context.database_url)


def ensure_login_users(context: BenchContext) -> None:
    """Create LOGIN_USERS with bench/make_users.py, once per bench database: frontdesk's own
    account service, one process, one transaction (a CLI call per account would take a
    minute). The shared password travels in the environment, never on the command line."""
    if context.database_url in _login_users_in:
        return
    say(f"creating {len(LOGIN_USERS)} login users with {MAKE_USERS_SCRIPT.name}")
    command = [str(context.bin_dir / "python"), str(MAKE_USERS_SCRIPT), *LOGIN_USERS]
    env = {**context.env, MAKE_USERS_PASSWORD_ENV: BENCH_USER.password}
    _run_setup_command(command, env, MAKE_USERS_SCRIPT.name)
    _login_users_in.add(context.database_url)


def login_body(identifier: str = BENCH_USER.username) -> str:
    return json.dumps({"identifier": identifier, "password": BENCH_USER.password})


def _login_users(context: BenchContext) -> dict[str, str]:
    ensure_login_users(context)
    return {}


def _full_page_token(context: BenchContext) -> dict[str, str]:
    """The admin's token, with the login users in place: every page holds 20 accounts,
    whether or not `login` ran first (BENCH_ONLY)."""
    ensure_login_users(context)
    return _access_token(context)


def _access_token(context: BenchContext) -> dict[str, str]:
    """Sign in once as BENCH_USER and send its access token (valid 10 minutes by default)."""
    ensure_bench_user(context)
    url = f"{context.base_url}/api/v1/auth/login"
    try:
        response = httpx.post(
            url, content=login_body(), headers=JSON_HEADERS, timeout=HTTP_TIMEOUT_S
        )
    except httpx.HTTPError as exc:
        raise BenchError(f"signing in for a token failed: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise BenchError(f"signing in for a token: HTTP {response.status_code} {response.text}")
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# Served by bench/reference_app.py and measured first, in this order. Each compares with
# itself (ratio 1.0); every frontdesk scenario names one of them as its `reference`.
REFERENCES: list[Scenario] = [
    Scenario(name=REFERENCE, path="/ref/42", reference=REFERENCE),
    Scenario(
        name=REFERENCE_VERIFY,
        path="/ref/verify",
        method="POST",
        body=json.dumps({"password": BENCH_USER.password}),
        headers=JSON_HEADERS,
        reference=REFERENCE_VERIFY,
    ),
]

# Served by frontdesk, measured in this order after the references.
SCENARIOS: list[Scenario] = [
    Scenario(name="healthz", path="/healthz"),
    Scenario(name="readyz", path="/readyz"),
    Scenario(
        name="login",
        path="/api/v1/auth/login",
        method="POST",
        bodies=tuple(login_body(username) for username in LOGIN_USERS),
        headers=JSON_HEADERS,
        setup=_login_users,
        reference=REFERENCE_VERIFY,
    ),
    Scenario(name="me", path="/api/v1/auth/me", setup=_access_token),
    # The bench user is an admin; the 64 login users make every page a full one.
    Scenario(name="staff_list", path="/api/v1/admin/users?limit=20", setup=_full_page_token),
]
