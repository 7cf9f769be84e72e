"""The brute-force ledger for logins (SECURITY.md 6), Keycloak-style, in ``rate_limit_logs``.

Two rows count login attempts: the account, ``("login:<normalized identifier>", "login")``,
and the client, ``("ip:<address>", "login")``. The caller's protocol:

1. ``admit_attempt`` first, **before** the password is checked, in its own short
   committed transaction (or ``count_attempt`` in the caller's, committed at once: the
   login looks the account up in the same one). It counts the attempt on both rows at
   once, or, while either row is blocked, refuses it and counts nothing. Counting first
   is what makes the bound hold under parallel requests: N simultaneous guesses are N
   counted attempts, and the one that reaches the threshold blocks every later one.
2. A refused attempt or a failed check answers the generic failure; nothing more is
   counted (the attempt already was).
3. A success: ``record_success`` resets the account row and refunds the admitted
   attempt on the IP row, so the IP row counts failures only. The login runs it right
   after the password check, outside the request's transaction, so these hot rows are
   never locked for a whole request (``login._settle_success``).

Escalation: once a row holds ``threshold`` attempts in its window, *every* further
admitted attempt blocks it for ``increment * (attempts // threshold)`` seconds, capped
at ``login_max_wait_seconds``. A window restarts at 1 when it began at least
``login_failure_reset_seconds`` ago. :func:`max_failures_per_hour` is the resulting
provable bound for an account; it is 69 with the default settings (SECURITY.md: 100).

Atomicity: the count is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE not blocked
RETURNING`` for both rows. The upsert takes the row lock (PostgreSQL) or runs under the
write lock taken at ``BEGIN IMMEDIATE`` (SQLite), so concurrent attempts for one row
are serialized until the counting transaction commits, block included; a refused
upsert returns no row.

``admit_attempt`` commits its own transaction; every other function only writes and
the caller commits (on a PostgreSQL AUTOCOMMIT connection, statement by statement).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    String,
    Uuid,
    bindparam,
    case,
    delete,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk.core.config import Settings
from frontdesk.core.fastsql import DriverConnection, DriverStatement, driver_connection
from frontdesk.core.ids import new_id
from frontdesk.core.pagination import page_of, paginate
from frontdesk.core.schemas import ResponseModel
from frontdesk.core.types import UTCDateTime
from frontdesk.security.auth import service as auth_service  # module: import-cycle safe
from frontdesk.security.auth.models import RateLimitLog

LOGIN_ACTION = "login"
ACCOUNT_PREFIX = "login:"
IP_PREFIX = "ip:"
_MAX_IDENTIFIER = 255  # rate_limit_logs.identifier is VARCHAR(255)
_HOUR = 3600

_DIALECT_INSERTS: dict[str, Callable[[Any], Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


class RateLimitRead(ResponseModel):
    """One ledger row, as the admin API shows it."""

    id: uuid.UUID
    identifier: str
    action: str
    attempts: int
    blocked_until: datetime | None
    window_started_at: datetime | None
    created_at: datetime
    updated_at: datetime


def _ledger_key(prefix: str, value: str) -> str:
    """``prefix + value``; a value too long for the column is replaced by its SHA-256."""
    key = prefix + value
    if len(key) <= _MAX_IDENTIFIER:
        return key
    return prefix + "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def account_key(identifier: str) -> str:
    return _ledger_key(ACCOUNT_PREFIX, auth_service.normalize_identifier(identifier))


def ip_key(ip: str) -> str:
    return _ledger_key(IP_PREFIX, ip)


def lockout_seconds(attempts: int, *, threshold: int, settings: Settings) -> int:
    """How long a row with ``attempts`` failures in its window stays blocked (0: not)."""
    if attempts < threshold:
        return 0
    wait = settings.login_wait_increment_seconds * (attempts // threshold)
    return min(wait, settings.login_max_wait_seconds)


def max_failures_per_hour(settings: Settings) -> int:
    """An upper bound on the failures one account can have in any hour.

    Failures that set a block are at least ``min_wait`` apart; the others are at most
    ``threshold - 1`` per window, and an hour meets at most ``3600 // reset + 2`` windows.
    """
    threshold = settings.login_max_failures
    min_wait = lockout_seconds(threshold, threshold=threshold, settings=settings)
    windows = _HOUR // settings.login_failure_reset_seconds + 2
    return windows * (threshold - 1) + _HOUR // min_wait + 1


async def login_blocked(
    session: AsyncSession, *, identifier: str, ip: str | None, now: datetime
) -> datetime | None:
    """Until when the account or the client is blocked; ``None`` if neither is.

    A read for reports and tests; logins use :func:`admit_attempt`, which checks and
    counts in one step.
    """
    keys = [account_key(identifier)] + ([ip_key(ip)] if ip else [])
    until = await session.scalar(
        select(func.max(RateLimitLog.blocked_until)).where(
            RateLimitLog.action == LOGIN_ACTION,
            RateLimitLog.identifier.in_(keys),
            RateLimitLog.blocked_until > now,
        )
    )
    return until


class _RefusedError(Exception):
    """Raised inside the counting transaction to roll back a partly counted attempt."""


async def admit_attempt(
    engine: AsyncEngine,
    *,
    identifier: str,
    ip: str | None,
    settings: Settings,
    now: datetime,
) -> bool:
    """Count one login attempt against the account and, when known, the client IP.

    Runs and commits its own write transaction, before the password is checked.
    ``False``: the account or the IP is blocked at ``now``; nothing was counted (an
    attempt refused by one row is not counted on the other either).
    """
    try:
        async with driver_connection(engine, transaction=True) as conn:
            if not await count_attempt(
                conn, identifier=identifier, ip=ip, settings=settings, now=now
            ):
                raise _RefusedError
    except _RefusedError:
        return False
    return True


async def count_attempt(
    conn: DriverConnection,
    *,
    identifier: str,
    ip: str | None,
    settings: Settings,
    now: datetime,
) -> bool:
    """:func:`admit_attempt`'s work in the caller's write transaction, which the caller
    commits at once. ``False``: refused, and a row may already be counted, so the caller
    must roll back rather than commit."""
    rows = {account_key(identifier): settings.login_max_failures}
    if ip:
        rows[ip_key(ip)] = settings.ip_max_failures
    params: dict[str, Any] = {
        "now": now,
        "cutoff": now - timedelta(seconds=settings.login_failure_reset_seconds),
    }
    for number, key in enumerate(rows):
        params[f"key{number}"] = key
        params[f"row_id{number}"] = new_id()
    counted = await conn.fetch(_count_statement(conn.dialect_name, len(rows)), **params)
    if len(counted) < len(rows):
        return False  # a row blocked at ``now`` returns nothing
    for row in counted:
        attempts, threshold = row["attempts"], rows[row["identifier"]]
        wait = lockout_seconds(attempts, threshold=threshold, settings=settings)
        if wait:
            # The upsert's lock is held until commit: no other attempt sees the row between.
            until = now + timedelta(seconds=wait)
            await conn.fetch(_BLOCK, row_id=row["id"], until=until, now=now)
    return True


async def record_success(
    conn: DriverConnection,
    *,
    identifier: str,
    ip: str | None,
    settings: Settings,
    now: datetime,
) -> None:
    """After an admitted attempt succeeded: forget the account's attempts and refund
    the attempt on the IP row (never below 0), so the IP row keeps counting failures only.

    Two statements, each complete on its own, account row first (the lock order of
    :func:`count_attempt`). The caller commits, and soon: every attempt on the account
    and from the address waits for these row locks. Outside a transaction on PostgreSQL
    each statement commits as it runs and holds its lock no longer.

    A refund that leaves the IP row below its threshold also lifts its block: by the
    escalation rule such a row is not blocked, so a block can only have been set by the
    attempt that just succeeded.
    """
    if not ip:
        await conn.fetch(_RESET, key=account_key(identifier))
        return
    refund = {"threshold": settings.ip_max_failures, "now": now}
    if conn.dialect_name == "postgresql":
        await conn.fetch(_SETTLE, account_key=account_key(identifier), key=ip_key(ip), **refund)
        return
    await conn.fetch(_RESET, key=account_key(identifier))
    await conn.fetch(_REFUND, key=ip_key(ip), **refund)


# The hot statements, built once: a login runs them on every attempt, and a prebuilt
# statement skips SQLAlchemy's per-call construction and cache-key work.
_NOW = bindparam("now", type_=UTCDateTime())
_BLOCK = DriverStatement(
    update(RateLimitLog)
    .where(RateLimitLog.id == bindparam("row_id"))
    .values(blocked_until=bindparam("until", type_=UTCDateTime()), updated_at=_NOW)
)
_RESET = DriverStatement(
    delete(RateLimitLog).where(
        RateLimitLog.identifier == bindparam("key"), RateLimitLog.action == LOGIN_ACTION
    )
)
_REFUND_UPDATE = (
    update(RateLimitLog)
    .where(
        RateLimitLog.identifier == bindparam("key"),
        RateLimitLog.action == LOGIN_ACTION,
        RateLimitLog.attempts > 0,
    )
    .values(
        attempts=RateLimitLog.attempts - 1,
        blocked_until=case(
            (RateLimitLog.attempts - 1 < bindparam("threshold"), null()),
            else_=RateLimitLog.blocked_until,
        ),
        updated_at=_NOW,
    )
)
_REFUND = DriverStatement(_REFUND_UPDATE)


def _settle_statement() -> DriverStatement:
    """PostgreSQL: reset and refund in one statement, account row first.

    The refund's condition reads the reset's output, so the reset runs (and locks the
    account row) before the refund's row is locked: the one lock order of the ledger.
    (Left to themselves, the parts of one statement run in no promised order.)
    """
    reset = (
        delete(RateLimitLog)
        .where(
            RateLimitLog.identifier == bindparam("account_key"),
            RateLimitLog.action == LOGIN_ACTION,
        )
        .returning(RateLimitLog.id)
        .cte("reset_account")
    )
    after_reset = select(func.count()).select_from(reset).scalar_subquery() >= 0
    return DriverStatement(_REFUND_UPDATE.where(after_reset))


_SETTLE = _settle_statement()


@cache
def _count_statement(dialect: str, rows: int) -> DriverStatement:
    """Count ``rows`` ledger rows (keys bound as ``key0``, ``key1``) in one statement,
    ``INSERT ... SELECT ... UNION ALL SELECT ... ON CONFLICT DO UPDATE ... WHERE not
    blocked RETURNING``: atomic on both engines, no row returned for a key whose row is
    blocked at ``now``. Rows are written in key order, account first, which is the one
    lock order of every ledger write, so attempts cannot deadlock.

    Not a multi-row ``VALUES``: SQLAlchemy cannot cache that and would compile it on
    every attempt. (``WHERE true`` keeps SQLite's parser from reading the upsert's
    ``ON`` as a join condition.)
    """
    new_rows = [
        select(
            bindparam(f"row_id{number}", type_=Uuid()),
            bindparam(f"key{number}", type_=String()),
            literal(LOGIN_ACTION),
            literal(1),
            _NOW,
            _NOW,
            _NOW,
        ).where(true())
        for number in range(rows)
    ]
    columns = ["id", "identifier", "action", "attempts", "window_started_at"]
    statement = _DIALECT_INSERTS[dialect](RateLimitLog).from_select(
        [*columns, "created_at", "updated_at"],
        union_all(*new_rows) if rows > 1 else new_rows[0],
    )
    cutoff = bindparam("cutoff", type_=UTCDateTime())
    stale: ColumnElement[bool] = or_(
        RateLimitLog.window_started_at.is_(None), RateLimitLog.window_started_at <= cutoff
    )
    not_blocked: ColumnElement[bool] = or_(
        RateLimitLog.blocked_until.is_(None), RateLimitLog.blocked_until <= _NOW
    )
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=[RateLimitLog.identifier, RateLimitLog.action],
        set_={
            "attempts": case((stale, 1), else_=RateLimitLog.attempts + 1),
            "window_started_at": case((stale, _NOW), else_=RateLimitLog.window_started_at),
            # Not blocked here: an expired block is cleared, a new one set by the caller.
            "blocked_until": null(),
            "updated_at": _NOW,
        },
        where=not_blocked,
    )
    return DriverStatement(
        upsert.returning(RateLimitLog.id, RateLimitLog.identifier, RateLimitLog.attempts)
    )


async def list_blocks(
    session: AsyncSession,
    *,
    now: datetime,
    active_only: bool = True,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[RateLimitLog], str | None]:
    """Ledger rows, newest first; only those blocked at ``now`` unless ``active_only``
    is false. Returns the page and the cursor of the next one."""
    query = select(RateLimitLog)
    if active_only:
        query = query.where(RateLimitLog.blocked_until > now)
    rows = (await session.scalars(paginate(query, RateLimitLog.id, cursor, limit))).all()
    return page_of(rows, limit, lambda row: row.id)


async def clear_block(session: AsyncSession, row_id: uuid.UUID) -> bool:
    """Delete one ledger row (block and count); ``False`` if there was none."""
    result = await session.execute(
        delete(RateLimitLog)
        .where(RateLimitLog.id == row_id)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    return bool(getattr(result, "rowcount", 0))
