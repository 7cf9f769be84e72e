"""The brute-force ledger for logins (SECURITY.md 6), Keycloak-style, in ``rate_limit_logs``.

Two rows count failed logins: the account, ``("login:<normalized identifier>", "login")``,
and the client, ``("ip:<address>", "login")``. The caller's protocol:

1. ``login_blocked`` first. While it returns an instant, the caller answers the same
   generic failure as a wrong password and does **not** call ``record_failure``:
   attempts refused by a block never reach the password check, so they never count.
2. A wrong password (or unknown account): ``record_failure``, in a transaction that
   survives the refused request (``core.deps.persist_on_failure``).
3. A success: ``record_success`` resets the account row; the IP row is kept.

Escalation: once a row holds ``threshold`` failures in its window, *every* further
failure blocks it for ``increment * (attempts // threshold)`` seconds, capped at
``login_max_wait_seconds``. A window restarts at 1 when it began at least
``login_failure_reset_seconds`` ago. :func:`max_failures_per_hour` is the resulting
provable bound for an account; it is 69 with the default settings (SECURITY.md: 100).

Every function only flushes; the caller commits.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Insert, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.config import Settings
from frontdesk.core.ids import new_id
from frontdesk.core.pagination import page_of, paginate
from frontdesk.core.schemas import ResponseModel
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
    """Until when the account or the client is blocked; ``None`` if neither is."""
    keys = [account_key(identifier)] + ([ip_key(ip)] if ip else [])
    until = await session.scalar(
        select(func.max(RateLimitLog.blocked_until)).where(
            RateLimitLog.action == LOGIN_ACTION,
            RateLimitLog.identifier.in_(keys),
            RateLimitLog.blocked_until > now,
        )
    )
    return until


async def record_failure(
    session: AsyncSession, *, identifier: str, ip: str | None, settings: Settings, now: datetime
) -> None:
    """Count one failed login against the account and, when known, the client IP."""
    await _count_failure(
        session, account_key(identifier), settings.login_max_failures, settings, now
    )
    if ip:
        await _count_failure(session, ip_key(ip), settings.ip_max_failures, settings, now)


async def record_success(session: AsyncSession, *, identifier: str, now: datetime) -> None:
    """Forget the account's failures (the IP row keeps counting). ``now`` is for symmetry."""
    await session.execute(
        delete(RateLimitLog).where(
            RateLimitLog.identifier == account_key(identifier),
            RateLimitLog.action == LOGIN_ACTION,
        )
    )
    await session.flush()


async def _count_failure(
    session: AsyncSession, key: str, threshold: int, settings: Settings, now: datetime
) -> None:
    cutoff = now - timedelta(seconds=settings.login_failure_reset_seconds)
    row = (await session.execute(_upsert(session, key, now, cutoff))).one()
    wait = lockout_seconds(row.attempts, threshold=threshold, settings=settings)
    if wait:
        await _extend_block(session, row.id, now + timedelta(seconds=wait))
    await session.flush()


def _upsert(session: AsyncSession, key: str, now: datetime, cutoff: datetime) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE: one atomic statement on both engines."""
    dialect = session.get_bind().dialect.name
    stale: ColumnElement[bool] = or_(
        RateLimitLog.window_started_at.is_(None), RateLimitLog.window_started_at <= cutoff
    )
    statement = _DIALECT_INSERTS[dialect](RateLimitLog).values(
        id=new_id(),
        identifier=key,
        action=LOGIN_ACTION,
        attempts=1,
        window_started_at=now,
        created_at=now,
        updated_at=now,
    )
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=[RateLimitLog.identifier, RateLimitLog.action],
        set_={
            "attempts": case((stale, 1), else_=RateLimitLog.attempts + 1),
            "window_started_at": case((stale, now), else_=RateLimitLog.window_started_at),
            "blocked_until": case((stale, None), else_=RateLimitLog.blocked_until),
            "updated_at": now,
        },
    )
    return upsert.returning(RateLimitLog.id, RateLimitLog.attempts)


async def _extend_block(session: AsyncSession, row_id: uuid.UUID, until: datetime) -> None:
    """Set ``blocked_until`` unless a concurrent failure already set a later one."""
    await session.execute(
        update(RateLimitLog)
        .where(
            RateLimitLog.id == row_id,
            or_(RateLimitLog.blocked_until.is_(None), RateLimitLog.blocked_until < until),
        )
        .values(blocked_until=until)
        .execution_options(synchronize_session=False)
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
