"""What gets measured. Add a frontdesk scenario by appending to SCENARIOS (see README)."""

from __future__ import annotations

import json
import secrets
import subprocess
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

import commerce
import marketing
import scheduling
from commerce import Api, Product
from common import BenchError, ScenarioFailedError, say
from loadgen import CONNECTIONS, THREADS, Load, LoadResult, Request, Runs
from scheduling import Interval, Team


@dataclass(frozen=True)
class BenchContext:
    """What a setup hook may use to prepare a scenario against the running server."""

    base_url: str  # e.g. http://127.0.0.1:43121 (no trailing slash)
    database_url: str  # the bench database, postgresql+asyncpg://... (FRONTDESK_DATABASE_URL)
    bin_dir: Path  # the venv's bin directory (frontdesk, alembic, ...)
    env: Mapping[str, str]  # the environment the server runs with


@dataclass(frozen=True)
class Prepared:
    """What a setup hook decides when the request depends on what it made."""

    headers: Mapping[str, str] = field(default_factory=dict)  # added to the scenario's own
    path: str | None = None  # instead of the scenario's path (a query naming a made row)
    bodies: tuple[str, ...] = ()  # instead of the scenario's bodies (ids it created)
    # Whole requests sent in turn instead of bodies, when their paths differ (a checkout's
    # line and payment, on the bookings the hook opened).
    requests: tuple[Request, ...] = ()


# A setup hook runs once before the warm-up and returns extra request headers
# (e.g. {"Authorization": "Bearer ..."}), {} when none are needed, or a Prepared.
SetupHook = Callable[[BenchContext], Mapping[str, str] | Prepared]
# A check hook runs after the measured run, with both runs (the warm-up's requests reached
# the server too) and the results of the scenarios measured before; it returns extra
# fields for the scenario's result line, and raises ScenarioFailedError when the run broke a
# rule the scenario must keep.
CheckHook = Callable[[BenchContext, Runs, Mapping[str, LoadResult]], Mapping[str, object]]
# A before-measured hook runs between the warm-up (its result, None when skipped) and the
# measured run, whose duration in seconds it gets: to size what the measured run consumes
# (sell_contended's stock) from how fast the warm-up went.
BeforeMeasuredHook = Callable[[BenchContext, LoadResult | None, int], None]

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
    random_order: bool = False  # send the bodies in random order instead of in turn
    connections: int = CONNECTIONS  # wrk -c
    # Statuses the scenario may answer, errors included (book_contended's 409s): wrk counts
    # each, and any other status, or a socket error, fails the scenario. Empty: no counting,
    # only a warning when non-2xx responses come back.
    expected_statuses: frozenset[int] = frozenset()
    check: CheckHook | None = None
    needs: tuple[str, ...] = ()  # scenarios measured before this one whose results `check` reads
    before_measured: BeforeMeasuredHook | None = None
    # With requests from the setup hook: how many belong together (a checkout's 2); each
    # wrk thread starts on such a group.
    group: int = 1
    # With expected_statuses: count the responses whose body contains this string
    # (LoadResult.marked), e.g. which 201s were payments.
    marker: str | None = None

    @property
    def request_bodies(self) -> tuple[str, ...]:
        """What loadgen sends: `bodies` in turn, else `body` every time, else nothing."""
        if self.bodies:
            return self.bodies
        return () if self.body is None else (self.body,)

    def prepare(self, context: BenchContext) -> Prepared:
        """The request to send: the scenario's own, with what the setup hook decided."""
        made = self.setup(context) if self.setup is not None else Prepared()
        if not isinstance(made, Prepared):
            made = Prepared(headers=made)
        return Prepared(
            headers={**self.headers, **made.headers},
            path=made.path or self.path,
            bodies=made.bodies or self.request_bodies,
            requests=made.requests,
        )

    def load(self, base_url: str, prepared: Prepared) -> Load:
        return Load(
            url=f"{base_url}{prepared.path or self.path}",
            headers=prepared.headers,
            method=self.method,
            bodies=prepared.bodies,
            random_order=self.random_order,
            connections=self.connections,
            count_statuses=bool(self.expected_statuses),
            requests=prepared.requests,
            group=self.group,
            marker=self.marker,
        )


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

MAKE_SCHEDULE_SCRIPT = Path(__file__).resolve().parent / "make_schedule.py"
AVAILABILITY_PATH = "/api/v1/availability"  # the setup hook adds the query
AVAILABILITY_10K = "availability_10k"
AVAILABILITY_1M = "availability_1m"
# The acceptance bar: a hundred times the appointments may cost p99 at most this factor.
P99_BAR = 1.5
BOOKING_CONNECTIONS = 64
# The booking grid: every bookable start on this many days from the day after tomorrow,
# for each of the booking team's 5 staff members (16 weeks: room for about 3,500 bookings,
# inside the horizon). Small enough that 64 connections keep colliding (in flight, and with
# slots already taken); large enough that a run on 2 cores fills about a quarter of it, so
# the last seconds still book much as the first did.
BOOKING_DAYS = 112
BOOKING_FIRST_DAY = timedelta(days=2)  # past the minimum notice whatever the hour
CHECKED_WINDOW = timedelta(days=7)  # the grid's first and last days checked against the API
# checkout: open sales cycled over in turn, each thread on its own half. Each opens with an
# unpaid line of CHECKOUT_OPENING_UNITS, which keeps every payment within the balance due
# whatever order wrk's connections deliver a checkout's two requests in (see README).
CHECKOUT_SALES = 256
CHECKOUT_OPENING_UNITS = 10
CHECKOUT_PRICE = "12.50"
CHECKOUT_STOCK = 1_000_000  # the most one movement may bring in; never runs out here
# sell_contended: 64 connections selling one product, as book_contended books.
SELL_CONNECTIONS = 64
SELL_PRICE = "5.00"
SELL_WARMUP_STOCK = 1_000_000
SELL_OUT_SHARE = 0.5  # the measured run's stock lasts about this share of it
# Without a warm-up to pace it: about half a 10 s run on the 2-core machine (~60 sales/s).
SELL_FALLBACK_STOCK = 300
SELL_COUNT_REASON = "bench: stock for part of the measured run"
INSUFFICIENT_STOCK_MARKER = '"code":"insufficient_stock"'
CAPTURED_MARKER = '"status":"captured"'  # in a payment's 201, never in a booking's
_teams: dict[tuple[str, str], Team] = {}  # (bench database, team name) -> what was made
_weeks: dict[str, Interval] = {}  # bench database -> the measured week, fixed once per run
_checkouts: dict[str, Checkouts] = {}  # bench database -> what the checkout setup made
_shelves: dict[str, Shelf] = {}  # bench database -> what sell_contended made and counted
_ads_customers: dict[str, marketing.AdsCustomer] = {}  # bench database -> me_ads' customer


def _run_setup_command(command: list[str], env: Mapping[str, str], what: str) -> str:
    """Run a setup command in the server's environment and return its stdout; BenchError
    if it fails."""
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
    return done.stdout


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


def ensure_team(context: BenchContext, name: str) -> Team:
    """Create the team ``scheduling.TEAMS[name]`` with bench/make_schedule.py, once per
    bench database: frontdesk's own services in one process and one transaction, recorded
    as BENCH_USER. The staff password travels in the environment, like make_users.py's."""
    key = (context.database_url, name)
    if key not in _teams:
        ensure_bench_user(context)
        say(f"creating the {name} team with {MAKE_SCHEDULE_SCRIPT.name}")
        command = [
            str(context.bin_dir / "python"),
            str(MAKE_SCHEDULE_SCRIPT),
            name,
            BENCH_USER.username,
        ]
        env = {**context.env, MAKE_USERS_PASSWORD_ENV: BENCH_USER.password}
        _teams[key] = Team.from_json(_run_setup_command(command, env, MAKE_SCHEDULE_SCRIPT.name))
    return _teams[key]


def _today() -> date:
    return datetime.now(UTC).date()


def _offered(context: BenchContext, path: str) -> dict[str, list[str]]:
    """GET an availability path: each staff member's offered starts."""
    try:
        response = httpx.get(f"{context.base_url}{path}", timeout=HTTP_TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise BenchError(f"GET {path} failed: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise BenchError(f"GET {path}: HTTP {response.status_code} {response.text}")
    return {row["staff_id"]: row["slots"] for row in response.json()["staff"]}


def _availability(total: int) -> SetupHook:
    """A setup hook: the availability team's appointments brought up to ``total``, and the
    request for its service's measured week, all staff; one GET must offer slots."""

    def setup(context: BenchContext) -> Prepared:
        team = ensure_team(context, "availability")
        # Fixed once: a second scenario filling around another week would overlap the first.
        week = _weeks.setdefault(context.database_url, scheduling.measured_week(_today()))
        say(f"bringing the availability team to {total:,} appointments")
        scheduling.fill_appointments(context.database_url, team, week, total)
        path = scheduling.availability_path(team.service_id, week)
        offered = _offered(context, path)
        slots = sum(len(starts) for starts in offered.values())
        if len(offered) != len(team.staff_ids) or slots == 0:
            raise BenchError(f"GET {path} offers {slots} slots of {len(offered)} staff members")
        say(f"the measured week offers {slots} slots of {len(offered)} staff members")
        return Prepared(path=path)

    return setup


def _appointments(context: BenchContext) -> dict[str, object]:
    team = _teams[(context.database_url, "availability")]
    return {"appointments": scheduling.count_appointments(context.database_url, team.staff_ids)}


def _availability_checked(
    context: BenchContext, runs: Runs, earlier: Mapping[str, LoadResult]
) -> Mapping[str, object]:
    return _appointments(context)


def _against_10k(
    context: BenchContext, runs: Runs, earlier: Mapping[str, LoadResult]
) -> Mapping[str, object]:
    """availability_1m's line: its p99 next to availability_10k's, and the bar's verdict.
    Reported, not failed: the bar judges frontdesk's queries, not the run."""
    p99_10k = earlier[AVAILABILITY_10K].p99_ms
    ratio = runs.measured.p99_ms / p99_10k if p99_10k > 0 else None
    holds = ratio is not None and ratio <= P99_BAR
    if not holds:
        say(
            f"warning: {AVAILABILITY_1M}: p99 {runs.measured.p99_ms:.1f} ms is more than "
            f"{P99_BAR}x the p99 at 10k ({p99_10k:.1f} ms): the bar does not hold"
        )
    return {
        **_appointments(context),
        "p99_ms_10k": round(p99_10k, 3),
        "p99_ratio_to_10k": None if ratio is None else round(ratio, 3),
        "p99_bar": P99_BAR,
        "p99_bar_holds": holds,
    }


def _check_grid_offered(context: BenchContext, team: Team, grid: list[datetime]) -> None:
    """The grid's first and last days must be exactly what availability offers each staff
    member while nothing is booked: on the slot grid, in working hours, past the notice,
    inside the horizon. A grid the API disagrees with would measure 409s, not bookings."""
    for start in (grid[0], grid[-1] - CHECKED_WINDOW + timedelta(days=1)):
        day = datetime.combine(start.date(), datetime.min.time(), tzinfo=UTC)
        window = (day, day + CHECKED_WINDOW)
        expected = [scheduling.iso(t) for t in grid if window[0] <= t < window[1]]
        offered = _offered(context, scheduling.availability_path(team.service_id, window))
        for staff_id in team.staff_ids:
            got = [
                scheduling.iso(datetime.fromisoformat(t)) for t in offered.get(str(staff_id), [])
            ]
            if got != expected:
                raise BenchError(
                    f"the booking grid is not what availability offers {staff_id} from "
                    f"{scheduling.iso(window[0])}: {len(expected)} starts against {len(got)}"
                )


def booking_body(team: Team, start: datetime, staff_id: str, customer_id: str) -> str:
    return json.dumps(
        {
            "customer_id": customer_id,
            "service_id": str(team.service_id),
            "start": scheduling.iso(start),
            "staff_id": staff_id,
        }
    )


def _booking(context: BenchContext) -> Prepared:
    """Every (start of the grid, staff member) pair as one body, customers in turn; wrk
    sends them at random as the admin BENCH_USER (a desk booking, confirmed at once)."""
    team = ensure_team(context, "booking")
    grid = scheduling.booking_grid(_today() + BOOKING_FIRST_DAY, BOOKING_DAYS)
    _check_grid_offered(context, team, grid)
    pairs = [(start, str(staff_id)) for start in grid for staff_id in team.staff_ids]
    customers = [str(customer_id) for customer_id in team.customer_ids]
    bodies = tuple(
        booking_body(team, start, staff_id, customers[number % len(customers)])
        for number, (start, staff_id) in enumerate(pairs)
    )
    say(f"booking {len(grid)} starts x {len(team.staff_ids)} staff members at random")
    return Prepared(headers=_access_token(context), bodies=bodies)


def _bookings_checked(
    context: BenchContext, runs: Runs, earlier: Mapping[str, LoadResult]
) -> Mapping[str, object]:
    """Count the measured run's 201s as bookings/s; then, in the database, which the
    warm-up also booked into: no double booking, and every booking answered 201 committed.
    (Statuses other than 201 and 409 already failed the scenario: expected_statuses.)"""
    team = _teams[(context.database_url, "booking")]
    created = runs.measured.statuses.get(201, 0)
    answered = sum(run.statuses.get(201, 0) for run in runs.all)
    in_db = scheduling.settled_count(context.database_url, team.staff_ids)
    overlaps = scheduling.double_bookings(context.database_url, team.staff_ids)
    fields = {
        "bookings_per_s": round(created / runs.measured.duration_s, 1),
        "created": created,
        "conflicts": runs.measured.statuses.get(409, 0),
        "created_in_warmup": answered - created,
        "appointments_in_db": in_db,
        "double_bookings": overlaps,
    }
    if overlaps:
        raise ScenarioFailedError(f"{overlaps} pairs of overlapping appointments", fields)
    # wrk stops with requests in flight: the server may still commit them, unanswered.
    in_flight = BOOKING_CONNECTIONS * len(runs.all)
    if not 0 <= in_db - answered <= in_flight:
        raise ScenarioFailedError(
            f"{in_db} appointments in the database for {answered} 201 responses "
            f"(at most {in_flight} more may have been in flight)",
            fields,
        )
    if created == 0:
        raise ScenarioFailedError("no booking was created: are the grid's slots bookable?", fields)
    return fields


@dataclass(frozen=True)
class Checkouts:
    """What the checkout setup made: the product and the open sales checked out on."""

    product: Product
    bookings: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class Shelf:
    """What the sell_contended hooks made: the product, and the count that set its stock
    for the measured run (None until the hook ran)."""

    api: Api
    product: Product
    count: commerce.StockCount | None = None


def _admin_api(context: BenchContext) -> tuple[Api, dict[str, str]]:
    token = _access_token(context)
    return Api(context.base_url, token), token


def _checkout(context: BenchContext) -> Prepared:
    """A product that never runs out and CHECKOUT_SALES open sales of it, each with an
    unpaid line of CHECKOUT_OPENING_UNITS; then, in turn on each sale, a checkout: a line
    of one unit, and a keyed, captured cash payment of exactly that line."""
    api, token = _admin_api(context)
    product = commerce.create_product(api, "BENCH-CHECKOUT", CHECKOUT_PRICE, CHECKOUT_STOCK)
    say(f"opening {CHECKOUT_SALES} sales to check out on")
    bookings = commerce.open_sales(api, product, CHECKOUT_SALES, CHECKOUT_OPENING_UNITS)
    _checkouts[context.database_url] = Checkouts(product, tuple(bookings))
    requests = commerce.checkout_requests(product, bookings)
    return Prepared(headers=token, requests=tuple(requests))


def _checkout_problems(
    money: commerce.CheckoutLedger, price: Decimal, runs: Runs, in_flight: int
) -> list[str]:
    """The money rules of the run: no booking charged beyond its checkouts' lines, one
    payment per line of exactly its amount, every 201 in the database. wrk stops with
    requests in flight (committed, unanswered), and a thread may stop between a line and
    its payment: at most one unpaid line per thread and run."""
    answered_payments = sum(run.marked for run in runs.all)
    answered_lines = sum(run.statuses.get(201, 0) - run.marked for run in runs.all)
    unpaid = money.checkout_lines - money.payments
    found = []
    if money.overcharged:
        found.append(f"{money.overcharged} bookings charged more than their checkouts' lines")
    if money.repeated_keys or money.other_transactions:
        found.append(
            f"{money.repeated_keys} payments sharing a key, {money.other_transactions} "
            "transactions that are not captured payments"
        )
    if money.wrong_totals:
        found.append(f"{money.wrong_totals} bookings whose total is not the sum of their lines")
    if money.paid != money.payments * price:
        found.append(f"{money.payments} payments of {price} add up to {money.paid}")
    if not 0 <= unpaid <= THREADS * len(runs.all):
        found.append(f"{money.checkout_lines} checkout lines but {money.payments} payments")
    if not 0 <= money.payments - answered_payments <= in_flight:
        found.append(f"{money.payments} payments in the database for {answered_payments} 201s")
    if not 0 <= money.checkout_lines - answered_lines <= in_flight:
        found.append(f"{money.checkout_lines} lines in the database for {answered_lines} 201s")
    return found


def _checkouts_checked(
    context: BenchContext, runs: Runs, earlier: Mapping[str, LoadResult]
) -> Mapping[str, object]:
    """Count the measured run's captured payments as checkouts/s; then, in the database
    (the warm-up checked out too): the stock against its logs and lines, and the money."""
    made = _checkouts[context.database_url]
    stock, money = commerce.checkout_ledgers(
        context.database_url, made.product, made.bookings, CHECKOUT_OPENING_UNITS
    )
    measured = runs.measured
    fields = {
        "checkouts_per_s": round(measured.marked / measured.duration_s, 1),
        "checkouts": measured.marked,
        "lines_added": measured.statuses.get(201, 0) - measured.marked,
        "open_sales": len(made.bookings),
        "payments_in_db": money.payments,
        "unpaid_lines": money.checkout_lines - money.payments,
        "double_charges": money.overcharged,
        "stock_matches_logs": stock.stock == stock.logs_sum,
    }
    in_flight = CONNECTIONS * len(runs.all)
    problems = stock.problems() + _checkout_problems(money, made.product.price, runs, in_flight)
    if measured.marked == 0:
        problems.append("no checkout was paid")
    if problems:
        raise ScenarioFailedError("; ".join(problems), fields)
    return fields


def _selling(context: BenchContext) -> Prepared:
    """One product with SELL_WARMUP_STOCK (the warm-up never runs out); every request a
    sale of one unit of it, as the admin, from SELL_CONNECTIONS connections."""
    api, token = _admin_api(context)
    product = commerce.create_product(api, "BENCH-SELL", SELL_PRICE, SELL_WARMUP_STOCK)
    _shelves[context.database_url] = Shelf(api, product)
    return Prepared(headers=token, bodies=(commerce.sale_body(product),))


def _stock_for_the_run(context: BenchContext, warmup: LoadResult | None, duration_s: int) -> None:
    """Count the stock down to what the warm-up's pace sells in SELL_OUT_SHARE of the
    measured run, so it runs out part-way through: sales, then refusals. Without a warm-up,
    SELL_FALLBACK_STOCK."""
    shelf = _shelves[context.database_url]
    commerce.settled(context.database_url, shelf.product)  # the warm-up's last sales first
    stock = SELL_FALLBACK_STOCK
    if warmup is not None and warmup.duration_s > 0:
        pace = warmup.statuses.get(201, 0) / warmup.duration_s
        stock = max(1, round(pace * duration_s * SELL_OUT_SHARE))
        say(f"sell_contended: the warm-up sold {pace:.1f}/s; counting the stock to {stock}")
    count = commerce.count_stock_to(shelf.api, shelf.product, stock, SELL_COUNT_REASON)
    _shelves[context.database_url] = Shelf(shelf.api, shelf.product, count)


def _sales_problems(
    stock: commerce.StockLedger, sales: commerce.SalesAfter, count: commerce.StockCount, runs: Runs
) -> list[str]:
    """The stock rules of the run, and every answer matched by the database: each 201 a
    sale and each sale a 201 (the warm-up's last, in flight when wrk stopped, unanswered)."""
    measured = runs.measured
    sold = measured.statuses.get(201, 0)
    refused = measured.statuses.get(409, 0)
    warmup_sold = runs.warmup.statuses.get(201, 0) if runs.warmup else 0
    found = stock.problems()
    if stock.stock != 0 or refused == 0:
        found.append(f"the stock did not run out: {stock.stock} left, {refused} refusals")
    elif sales.sales != sold:
        # Sold out about half-way: what wrk left in flight at the end could only be refused.
        found.append(f"{sales.sales} sales in the logs for {sold} 201s")
    if sales.sales > count.quantity:
        found.append(f"{sales.sales} sold of {count.quantity} in stock")
    if measured.marked != refused:
        found.append(f"{refused - measured.marked} 409s that are not insufficient_stock")
    if not 0 <= stock.sale_logs - sales.sales - warmup_sold <= SELL_CONNECTIONS:
        found.append(f"{stock.sale_logs - sales.sales} warm-up sales for {warmup_sold} 201s")
    if stock.bookings != stock.sale_logs:
        found.append(f"{stock.sale_logs} sale logs but {stock.bookings} sales")
    return found


def _sales_checked(
    context: BenchContext, runs: Runs, earlier: Mapping[str, LoadResult]
) -> Mapping[str, object]:
    """Sales/s while the stock lasted; then, in the database: no oversell, stock equal to
    its logs and its lines, and as many sales as 201s."""
    shelf = _shelves[context.database_url]
    if shelf.count is None:
        raise BenchError("sell_contended: the stock was not counted before the measured run")
    stock, sales = commerce.sale_ledgers(context.database_url, shelf.product, shelf.count.log_id)
    lasted = (sales.last_at - shelf.count.at).total_seconds() if sales.last_at else 0.0
    measured = runs.measured
    warmup_sold = runs.warmup.statuses.get(201, 0) if runs.warmup else 0
    fields = {
        "sales_per_s": round(sales.sales / lasted, 1) if lasted > 0 else None,
        "sold_out_after_s": round(lasted, 2),
        "sold": measured.statuses.get(201, 0),
        "refused": measured.statuses.get(409, 0),
        "stock_for_run": shelf.count.quantity,
        "sold_in_warmup": warmup_sold,
        # Sales the warm-up's wrk left in flight: committed, never answered.
        "sold_unanswered": stock.sale_logs - sales.sales - warmup_sold,
        "sale_logs": stock.sale_logs,
        "oversold": max(0, -stock.lowest),
        "stock_left": stock.stock,
    }
    problems = _sales_problems(stock, sales, shelf.count, runs)
    if problems:
        raise ScenarioFailedError("; ".join(problems), fields)
    return fields


def _ads_customer(context: BenchContext) -> dict[str, str]:
    """The me_ads customer's token, with the crowd and the ads in place (see marketing.py)."""
    if context.database_url not in _ads_customers:
        api, _token = _admin_api(context)
        _ads_customers[context.database_url] = marketing.prepare(
            api, context.base_url, context.database_url, BENCH_USER.password, BENCH_USER.username
        )
    return dict(_ads_customers[context.database_url].headers)


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
    # The same week of the same team, around 10k appointments and then a hundred times as
    # many; the second line holds both p99s and the bar's verdict.
    Scenario(
        name=AVAILABILITY_10K,
        path=AVAILABILITY_PATH,
        setup=_availability(10_000),
        check=_availability_checked,
    ),
    Scenario(
        name=AVAILABILITY_1M,
        path=AVAILABILITY_PATH,
        setup=_availability(1_000_000),
        check=_against_10k,
        needs=(AVAILABILITY_10K,),
    ),
    Scenario(
        name="book_contended",
        path="/api/v1/bookings",
        method="POST",
        headers=JSON_HEADERS,
        setup=_booking,
        random_order=True,
        connections=BOOKING_CONNECTIONS,
        expected_statuses=frozenset({201, 409}),
        check=_bookings_checked,
    ),
    # Each checkout is two requests (a line, then its keyed payment): rps counts both.
    Scenario(
        name="checkout",
        path="/api/v1/bookings",  # the requests name their own paths
        method="POST",
        headers=JSON_HEADERS,
        setup=_checkout,
        group=2,
        expected_statuses=frozenset({201}),
        marker=CAPTURED_MARKER,
        check=_checkouts_checked,
    ),
    Scenario(
        name="sell_contended",
        path="/api/v1/sales",
        method="POST",
        headers=JSON_HEADERS,
        setup=_selling,
        before_measured=_stock_for_the_run,
        connections=SELL_CONNECTIONS,
        expected_statuses=frozenset({201, 409}),
        marker=INSUFFICIENT_STOCK_MARKER,
        check=_sales_checked,
    ),
    # A signed-in customer's targeted ads: 100 live ads, 70 of them for this customer,
    # among 100,000 other customers.
    Scenario(name="me_ads", path="/api/v1/me/ads", setup=_ads_customer),
]
