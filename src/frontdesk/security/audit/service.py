"""Writing the audit log: scrubbed details, one hash chain that never forks.

Appending reads the chain's tail and writes the next link, so writers must take turns:
on PostgreSQL a transaction-scoped advisory lock, on SQLite the database write lock
that writer sessions take at ``BEGIN IMMEDIATE``. The unique ``sequence`` is the
backstop should a writer ever get around both.

The lock is held until the caller's transaction ends, so record late in a unit of work.
On SQLite pass :func:`record` a writer session: a reader's deferred BEGIN can only
upgrade while no one else has written since, and otherwise fails (it never forks).
Never call :func:`record_standalone` while the caller's own transaction holds the lock
(it recorded, or on SQLite wrote anything): it would wait on its own caller. Use
``core.deps.persist_on_failure`` for that case.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from itertools import islice
from typing import Any

from sqlalchemy import BigInteger, bindparam, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core import clock
from frontdesk.core.db import transaction
from frontdesk.core.fastsql import DriverConnection, DriverStatement
from frontdesk.core.ids import new_id
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit.chain import GENESIS_HASH, chain_hash
from frontdesk.security.audit.models import AuditLog

# Registers the users table that audit rows point at, so a flush works outside the app.
from frontdesk.security.auth import models as _auth_models  # noqa: F401

# Key "fdaudit1" as a big-endian bigint: one fixed lock for the one chain.
CHAIN_LOCK_KEY = 0x6664617564697431

REDACTED = "[redacted]"
SENSITIVE_KEY_PARTS = ("password", "token", "secret", "authorization", "cookie", "card")
MAX_DETAILS_BYTES = 4096
MAX_STRING_CHARS = 500
MAX_KEY_CHARS = 100
MAX_ITEMS = 50
MAX_DEPTH = 6
TRUNCATED_KEY = "_truncated"

# Column widths: an audit write must never fail because a user agent was long.
MAX_ACTION = 100
MAX_RESOURCE = 200
MAX_IP = 45
MAX_USER_AGENT = 512
MAX_REQUEST_ID = 128


def _sensitive(key: str) -> bool:
    folded = key.casefold()
    return any(part in folded for part in SENSITIVE_KEY_PARTS)


def _clip(text: str, limit: int) -> str:
    # PostgreSQL text and JSONB refuse NUL characters; they carry no audit value anyway.
    text = text.replace("\x00", "\ufffd")
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _clean(value: Any, depth: int) -> Any:
    """A JSON-native copy of ``value``: secrets redacted, strings, lists and depth capped."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _clip(value, MAX_STRING_CHARS)
    if isinstance(value, Mapping | list | tuple | set | frozenset) and depth >= MAX_DEPTH:
        return "[too deep]"
    if isinstance(value, Mapping):
        return {
            _clip(str(key), MAX_KEY_CHARS): REDACTED
            if _sensitive(str(key))
            else _clean(item, depth + 1)
            for key, item in islice(value.items(), MAX_ITEMS)
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(item, depth + 1) for item in islice(value, MAX_ITEMS)]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _clip(str(value), MAX_STRING_CHARS)


def _size(value: Mapping[str, Any]) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def _fit(details: dict[str, Any]) -> dict[str, Any]:
    """Keep whole top-level entries, in order, while they fit; mark the cut."""
    if _size(details) <= MAX_DETAILS_BYTES:
        return details
    kept: dict[str, Any] = {TRUNCATED_KEY: True}
    for key, item in details.items():
        if key == TRUNCATED_KEY:
            continue
        candidate = {**kept, key: item}
        if _size(candidate) <= MAX_DETAILS_BYTES:
            kept = candidate
    return kept


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """``{"before": ..., "after": ...}`` for the fields whose value differs, by name."""
    changed = sorted(name for name in after if before.get(name) != after[name])
    return {
        "before": {name: before.get(name) for name in changed},
        "after": {name: after[name] for name in changed},
    }


def sanitize_details(details: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What may be stored of ``details``: no secrets, JSON-native, at most 4 KiB."""
    if details is None:
        return None
    cleaned: dict[str, Any] = _clean(details, 0)
    return _fit(cleaned)


async def lock_chain(session: AsyncSession) -> None:
    """Make concurrent appenders take turns until this transaction ends.

    ``record`` takes it anyway; a unit of work that will also lock a customer row takes
    it first, so every such unit locks in one order (chain, then customer) and two of
    them cannot deadlock (a payment's points handler locks the customer after the chain).
    """
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        await conn.execute(_LOCK)
    # SQLite: writer sessions already hold the database write lock (BEGIN IMMEDIATE).


def _tail(row: Mapping[Any, Any] | None) -> tuple[int, str]:
    """(sequence, hash) of the newest link, or (0, the genesis hash) for an empty log."""
    if row is None:
        return 0, GENESIS_HASH
    return row["sequence"], row["hash"] or GENESIS_HASH


async def _chain_tail(session: AsyncSession) -> tuple[int, str]:
    row = (await (await session.connection()).execute(_TAIL)).first()
    return _tail(row._mapping if row is not None else None)


# Built once: every audited request runs them. They run on the session's connection
# (Core, no unit of work): an audit row is written and never read back in the same one.
def chain_lock() -> Any:
    """The expression that takes the chain lock on PostgreSQL, to fold into a statement
    that must run first anyway; then pass ``chain_locked=True`` to :func:`record_on`."""
    return func.pg_advisory_xact_lock(literal(CHAIN_LOCK_KEY, BigInteger))


_LOCK = select(chain_lock())
_TAIL = select(AuditLog.sequence, AuditLog.hash).order_by(AuditLog.sequence.desc()).limit(1)
_INSERT = insert(AuditLog)
_DRIVER_LOCK = DriverStatement(_LOCK)
_DRIVER_TAIL = DriverStatement(_TAIL)
_DRIVER_INSERT = DriverStatement(
    insert(AuditLog).values(
        {column.name: bindparam(column.name, type_=column.type) for column in AuditLog.__table__.c}
    )
)


def _opt_clip(text: str | None, limit: int) -> str | None:
    return None if text is None else _clip(text, limit)


async def record(
    session: AsyncSession,
    *,
    action: str,
    success: bool,
    actor_id: uuid.UUID | None = None,
    resource: str | None = None,
    details: Mapping[str, Any] | None = None,
    meta: RequestMeta | None = None,
) -> None:
    """Append one audit row in the caller's transaction (written, not committed)."""
    # The caller's pending changes go first, before the chain lock is taken.
    await session.flush()
    await lock_chain(session)
    sequence, prev_hash = await _chain_tail(session)
    values = _link(
        sequence,
        prev_hash,
        action=action,
        success=success,
        actor_id=actor_id,
        resource=resource,
        details=details,
        meta=meta,
    )
    conn = await session.connection()
    await conn.execute(_INSERT, values)


async def record_on(
    conn: DriverConnection,
    *,
    action: str,
    success: bool,
    actor_id: uuid.UUID | None = None,
    resource: str | None = None,
    details: Mapping[str, Any] | None = None,
    meta: RequestMeta | None = None,
    chain_locked: bool = False,
) -> None:
    """:func:`record` in a driver unit of work (:mod:`frontdesk.core.fastsql`), which
    must be a write transaction: the chain lock lasts until it commits.

    ``chain_locked``: an earlier statement of the unit already took the chain lock
    (:func:`chain_lock`), so as not to spend a round trip on it.
    """
    if conn.dialect_name == "postgresql" and not chain_locked:
        await conn.fetch(_DRIVER_LOCK)
    sequence, prev_hash = _tail(await conn.fetchrow(_DRIVER_TAIL))
    values = _link(
        sequence,
        prev_hash,
        action=action,
        success=success,
        actor_id=actor_id,
        resource=resource,
        details=details,
        meta=meta,
    )
    await conn.fetch(_DRIVER_INSERT, **values)


def _link(
    sequence: int,
    prev_hash: str,
    *,
    action: str,
    success: bool,
    actor_id: uuid.UUID | None,
    resource: str | None,
    details: Mapping[str, Any] | None,
    meta: RequestMeta | None,
) -> dict[str, Any]:
    """The next row of the chain after (``sequence``, ``prev_hash``), hash included."""
    meta = meta or RequestMeta(ip=None, user_agent=None, request_id=None)
    values: dict[str, Any] = {
        "sequence": sequence + 1,
        # Read under the lock, so time never runs backwards along the chain.
        "created_at": clock.now(),
        "user_id": actor_id,
        "action": _clip(action, MAX_ACTION),
        "resource": _opt_clip(resource, MAX_RESOURCE),
        "ip_address": _opt_clip(meta.ip, MAX_IP),
        "success": success,
        "details": sanitize_details(details),
        "user_agent": _opt_clip(meta.user_agent, MAX_USER_AGENT),
        "request_id": _opt_clip(meta.request_id, MAX_REQUEST_ID),
        "prev_hash": prev_hash,
    }
    return {**values, "id": new_id(), "hash": chain_hash(values)}


async def record_standalone(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    action: str,
    success: bool,
    actor_id: uuid.UUID | None = None,
    resource: str | None = None,
    details: Mapping[str, Any] | None = None,
    meta: RequestMeta | None = None,
) -> None:
    """Append one audit row in its own short transaction: it stays if the request fails."""
    async with transaction(sessionmaker) as session:
        await record(
            session,
            action=action,
            success=success,
            actor_id=actor_id,
            resource=resource,
            details=details,
            meta=meta,
        )
