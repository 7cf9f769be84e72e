"""The rows one successful sign-in writes, in as few round trips as the engine allows.

A sign-in records the user's ``last_login_at`` (and a re-hashed password when the
hasher's parameters changed), the first refresh token of a new family, the session that
names it, a session log, and its audit row. On PostgreSQL the user update, the three
inserts (as data-modifying CTEs) and the audit chain's lock are one statement (foreign
keys are checked at its end, when every row exists); the audit row follows. A login is
CPU-bound next to its one Argon2 verify, and every round trip costs CPU that the verify
of another login could use. SQLite runs the statements one by one: it is in-process, a
statement costs it no round trip.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, Update, bindparam, insert, select, update

from frontdesk.core.config import Settings
from frontdesk.core.db import Base
from frontdesk.core.fastsql import DriverConnection, DriverStatement
from frontdesk.core.ids import new_id
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit import service as audit
from frontdesk.security.audit.service import chain_lock
from frontdesk.security.auth.deps import session_limits
from frontdesk.security.auth.models import EnhancedUserSession, RefreshToken, SessionLog, User
from frontdesk.security.auth.sessions import MAX_DEVICE_INFO, TokenPair
from frontdesk.security.auth.tokens import (
    hash_token,
    issue_access_token,
    new_refresh_token,
    new_session_handle,
)

_REFRESH = "refresh_"
_SESSION = "session_"
_LOG = "log_"
_USER = "user_"
_REFRESH_COLUMNS = (
    "id",
    "user_id",
    "token_hash",
    "expires_at",
    "device_info",
    "ip_address",
    "user_agent",
    "family_id",
    "created_at",
)
_SESSION_COLUMNS = (
    "id",
    "user_id",
    "session_id",
    "refresh_token_id",
    "status",
    "expires_at",
    "last_seen_at",
    "ip_address",
    "user_agent",
    "created_at",
    "updated_at",
)
_LOG_COLUMNS = (
    "id",
    "user_id",
    "action",
    "session_token",
    "success",
    "ip_address",
    "user_agent",
    "created_at",
)


def _insert(model: type[Base], prefix: str, columns: Iterable[str]) -> Insert:
    """An insert whose values are bound as ``prefix + column``, so several share params."""
    table = model.__table__
    return insert(model).values(
        {name: bindparam(prefix + name, type_=table.c[name].type) for name in columns}
    )


def _prefixed(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    return {prefix + name: value for name, value in values.items()}


@cache
def _core_statements(rehash: bool) -> tuple[Update, Insert, Insert, Insert]:
    """(user update, token insert, session insert, log insert), built once each."""
    user = update(User).where(User.id == bindparam(_USER + "id"))
    now = bindparam(_USER + "now", type_=User.__table__.c.updated_at.type)
    user = user.values(last_login_at=now, updated_at=now)
    if rehash:
        user = user.values(hashed_password=bindparam(_USER + "new_hash"))
    token = _insert(
        RefreshToken,
        _REFRESH,
        _REFRESH_COLUMNS,
    )
    session = _insert(
        EnhancedUserSession,
        _SESSION,
        _SESSION_COLUMNS,
    )
    log = _insert(
        SessionLog,
        _LOG,
        _LOG_COLUMNS,
    )
    return user, token, session, log


@cache
def _statements(rehash: bool) -> tuple[DriverStatement, ...]:
    """The four statements one by one (SQLite)."""
    return tuple(DriverStatement(statement) for statement in _core_statements(rehash))


@cache
def _combined(rehash: bool) -> DriverStatement:
    """PostgreSQL: the user update, then the audit chain's lock, with the three inserts
    as CTEs. The lock is taken on the updated row's output, so always after the user's
    row lock: the order every other writer of a user and the chain follows."""
    user, token, session, log = _core_statements(rehash)
    updated = user.returning(User.id).cte("signed_in")
    return DriverStatement(
        select(chain_lock())
        .select_from(updated)
        .add_cte(
            token.returning(RefreshToken.id).cte("new_token"),
            session.returning(EnhancedUserSession.id).cte("new_session"),
            log.returning(SessionLog.id).cte("new_log"),
        )
    )


async def record_sign_in(
    conn: DriverConnection,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    is_customer: bool,
    new_hash: str | None,
    meta: RequestMeta,
    device_info: str | None,
    now: datetime,
) -> TokenPair:
    """Open a session for a verified user, audit the sign-in, and hand out the first
    token pair. ``conn`` must be a write transaction of its own: it holds the audit
    chain's lock until it commits.

    The ids are drawn here, so the token (whose family is the session) and the session
    row that names it go in together.
    """
    _idle, absolute = session_limits(settings, is_customer)
    session_pk, token_pk = new_id(), new_id()
    handle = new_session_handle()
    expires = now + absolute
    raw = new_refresh_token()
    ip, agent = meta.ip, meta.user_agent
    user: dict[str, Any] = {"id": user_id, "now": now}
    if new_hash is not None:
        user["new_hash"] = new_hash
    params = {
        **_prefixed(_USER, user),
        **_prefixed(
            _REFRESH,
            {
                "id": token_pk,
                "user_id": user_id,
                "token_hash": hash_token(raw),
                "expires_at": expires,  # absolute: rotation never extends the session
                "device_info": (device_info or "")[:MAX_DEVICE_INFO] or None,
                "ip_address": ip,
                "user_agent": agent,
                "family_id": session_pk,
                "created_at": now,
            },
        ),
        **_prefixed(
            _SESSION,
            {
                "id": session_pk,
                "user_id": user_id,
                "session_id": handle,
                "refresh_token_id": token_pk,
                "status": "active",
                "expires_at": expires,
                "last_seen_at": now,
                "ip_address": ip,
                "user_agent": agent,
                "created_at": now,
                "updated_at": now,
            },
        ),
        **_prefixed(
            _LOG,
            {
                "id": new_id(),
                "user_id": user_id,
                "action": "login",
                "session_token": handle,
                "success": True,
                "ip_address": ip,
                "user_agent": agent,
                "created_at": now,
            },
        ),
    }
    rehash = new_hash is not None
    if conn.dialect_name == "postgresql":
        await conn.fetch(_combined(rehash), **params)
    else:
        for statement in _statements(rehash):
            await conn.fetch(statement, **params)
    access, access_expires = issue_access_token(
        settings, user_id=user_id, session_id=handle, now=now
    )
    pair = TokenPair(access, access_expires, raw, expires, handle, user_id)
    await audit.record_on(
        conn,
        action="auth.login",
        success=True,
        actor_id=user_id,
        resource=f"user:{user_id}",
        details={"session_id": handle},
        meta=meta,
        chain_locked=conn.dialect_name == "postgresql",
    )
    return pair
