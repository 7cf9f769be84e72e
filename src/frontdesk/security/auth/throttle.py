"""The brute-force ledger for logins (SECURITY.md 6), Keycloak-style, in ``rate_limit_logs``.

Two rows count login attempts: the account, ``("login:<normalized identifier>", "login")``,
and the client, ``("ip:<address>", "login")``. The caller's protocol:

1. ``admit`` (or ``admit_attempt``) first, **before** the password is checked,
   committed at once (the login looks the account up in the same unit). It counts the
   attempt on both rows, or, while either row is blocked, refuses it. Counting first
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

Atomicity: a count is an ``INSERT ... ON CONFLICT DO UPDATE ... WHERE not blocked
RETURNING``; a refused upsert returns no row.

- PostgreSQL: the whole admission is one AUTOCOMMIT statement
  (``ledger_sql.admit_statement``): the upsert sets the block itself, so a row is never
  seen counted but not yet blocked, and the IP row is counted only after, and only if,
  the account row was. A block committed by a parallel attempt between this
  statement's snapshot and its IP upsert can leave the account row counted for a
  refused attempt: over-counting, never under.
- SQLite: one ``BEGIN IMMEDIATE`` transaction holds the write lock from the count to
  the commit, block (``BLOCK``) included; a refused attempt rolls back and counts
  nothing on either row.

``admit`` commits its own unit; every other function only writes and the caller
commits (on PostgreSQL outside a transaction, statement by statement).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk.core.config import Settings
from frontdesk.core.fastsql import DriverConnection, DriverStatement, driver_connection
from frontdesk.core.ids import new_id
from frontdesk.core.pagination import page_of, paginate
from frontdesk.core.schemas import ResponseModel
from frontdesk.security.auth import service as auth_service  # module: import-cycle safe
from frontdesk.security.auth.ledger_sql import (
    BLOCK,
    LEDGER_COLUMNS,
    LOGIN_ACTION,
    REFUND,
    RESET,
    SETTLE,
    admit_statement,
    count_statement,
)
from frontdesk.security.auth.models import RateLimitLog

ACCOUNT_PREFIX = "login:"
IP_PREFIX = "ip:"
_MAX_IDENTIFIER = 255  # rate_limit_logs.identifier is VARCHAR(255)
_HOUR = 3600


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
    """Count one login attempt against the account and, when known, the client IP,
    committed before the password is checked. ``False``: the account or the IP is
    blocked at ``now``; the attempt is refused and not counted."""
    admitted, _found = await admit(engine, identifier=identifier, ip=ip, settings=settings, now=now)
    return admitted


async def admit(
    engine: AsyncEngine,
    *,
    identifier: str,
    ip: str | None,
    settings: Settings,
    now: datetime,
    lookup: DriverStatement | None = None,
    lookup_params: Mapping[str, Any] | None = None,
) -> tuple[bool, Mapping[str, Any] | None]:
    """:func:`admit_attempt`, also running ``lookup`` (the account a login names) in the
    same unit; returns (admitted, the lookup's row or ``None``).

    PostgreSQL: one AUTOCOMMIT statement (``ledger_sql.admit_statement``) does it all,
    the block included. Elsewhere: one short write transaction, rolled back if refused
    (then nothing is counted on either row).
    """
    rows = _ledger_rows(identifier, ip, settings)
    if engine.dialect.name == "postgresql":
        return await _admit_in_one_statement(engine, rows, settings, now, lookup, lookup_params)
    found: Mapping[str, Any] | None = None
    try:
        async with driver_connection(engine, transaction=True) as conn:
            if lookup is not None:
                # The lookup first: the ledger rows stay locked only from their upsert
                # to the commit right after it.
                found = await conn.fetchrow(lookup, **(lookup_params or {}))
            if not await count_attempt(
                conn, identifier=identifier, ip=ip, settings=settings, now=now
            ):
                raise _RefusedError
    except _RefusedError:
        return False, found
    return True, found


def _ledger_rows(identifier: str, ip: str | None, settings: Settings) -> dict[str, int]:
    """{ledger key: its threshold}, account first: the one lock order of the ledger."""
    rows = {account_key(identifier): settings.login_max_failures}
    if ip:
        rows[ip_key(ip)] = settings.ip_max_failures
    return rows


def _count_params(rows: Mapping[str, int], settings: Settings, now: datetime) -> dict[str, Any]:
    params: dict[str, Any] = {
        "now": now,
        "cutoff": now - timedelta(seconds=settings.login_failure_reset_seconds),
    }
    for number, key in enumerate(rows):
        params[f"key{number}"] = key
        params[f"row_id{number}"] = new_id()
    return params


async def _admit_in_one_statement(
    engine: AsyncEngine,
    rows: Mapping[str, int],
    settings: Settings,
    now: datetime,
    lookup: DriverStatement | None,
    lookup_params: Mapping[str, Any] | None,
) -> tuple[bool, Mapping[str, Any] | None]:
    params = _count_params(rows, settings, now)
    params.update(
        {f"threshold{number}": threshold for number, threshold in enumerate(rows.values())},
        increment=settings.login_wait_increment_seconds,
        max_wait=settings.login_max_wait_seconds,
        **(lookup_params or {}),
    )
    statement = admit_statement(len(rows), lookup.statement if lookup is not None else None)
    async with driver_connection(engine, transaction=False) as conn:
        result = await conn.fetch(statement, **params)
    counted = sum(1 for row in result if row[LEDGER_COLUMNS[0]] is not None)
    found: Mapping[str, Any] | None = None
    if lookup is not None:
        names = [column.key for column in lookup.statement.selected_columns]
        first = result[0]
        if first[names[0]] is not None:
            found = {name: first[name] for name in names}
    return counted == len(rows), found


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
    rows = _ledger_rows(identifier, ip, settings)
    params = _count_params(rows, settings, now)
    counted = await conn.fetch(count_statement(conn.dialect_name, len(rows)), **params)
    if len(counted) < len(rows):
        return False  # a row blocked at ``now`` returns nothing
    for row in counted:
        attempts, threshold = row["attempts"], rows[row["identifier"]]
        wait = lockout_seconds(attempts, threshold=threshold, settings=settings)
        if wait:
            # The upsert's lock is held until commit: no other attempt sees the row between.
            until = now + timedelta(seconds=wait)
            await conn.fetch(BLOCK, row_id=row["id"], until=until, now=now)
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
        await conn.fetch(RESET, key=account_key(identifier))
        return
    refund = {"threshold": settings.ip_max_failures, "now": now}
    if conn.dialect_name == "postgresql":
        await conn.fetch(SETTLE, account_key=account_key(identifier), key=ip_key(ip), **refund)
        return
    await conn.fetch(RESET, key=account_key(identifier))
    await conn.fetch(REFUND, key=ip_key(ip), **refund)


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
