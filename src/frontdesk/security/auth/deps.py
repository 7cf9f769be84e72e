"""Who is calling: the bearer token, checked against its live session on every request.

This is the hot path of every authenticated request, so it reads with SQLAlchemy Core
through the AUTOCOMMIT reader (one query, no ORM, no BEGIN/ROLLBACK) and touches
``last_seen_at`` at most once a minute.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.core import clock
from frontdesk.core.config import Settings
from frontdesk.core.db import write_connection
from frontdesk.core.errors import UnauthenticatedError
from frontdesk.core.fastread import CompiledRead
from frontdesk.security.auth.models import EnhancedUserSession, User
from frontdesk.security.auth.tokens import (
    AccessClaims,
    InvalidTokenError,
    VerifiedTokenCache,
    decode_access_token,
)

LAST_SEEN_RESOLUTION = timedelta(minutes=1)
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="frontdesk"'}


@dataclass(frozen=True)
class Account:
    """The caller's account as read with the session (no second query for ``/me``)."""

    id: uuid.UUID
    username: str
    email: str
    is_active: bool
    is_customer: bool
    email_verified_at: datetime | None
    last_login_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class Principal:
    """An authenticated caller on one live session."""

    user_id: uuid.UUID
    username: str
    is_customer: bool
    session_pk: uuid.UUID
    session_id: str
    account: Account


class NotAuthenticatedError(UnauthenticatedError):
    def __init__(self, detail: str = "Valid credentials are required.") -> None:
        super().__init__(detail, headers=BEARER_CHALLENGE)


def session_limits(settings: Settings, is_customer: bool) -> tuple[timedelta, timedelta]:
    """(idle timeout, absolute lifetime) for a staff or a customer session."""
    if is_customer:
        return (
            timedelta(minutes=settings.customer_session_idle_minutes),
            timedelta(hours=settings.customer_session_absolute_hours),
        )
    return (
        timedelta(minutes=settings.staff_session_idle_minutes),
        timedelta(hours=settings.staff_session_absolute_hours),
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


# Built once: the hot path binds only the session handle.
SESSION_LOOKUP = (
    select(
        EnhancedUserSession.id.label("session_pk"),
        EnhancedUserSession.status,
        EnhancedUserSession.expires_at,
        EnhancedUserSession.last_seen_at,
        EnhancedUserSession.created_at.label("session_created_at"),
        User.id,
        User.username,
        User.email,
        User.is_active,
        User.is_customer,
        User.email_verified_at,
        User.last_login_at,
        User.created_at,
    )
    .join(User, User.id == EnhancedUserSession.user_id)
    .where(EnhancedUserSession.session_id == bindparam("sid"))
)


@dataclass(frozen=True, slots=True)
class _SessionRow:
    session_pk: uuid.UUID
    status: str
    expires_at: datetime
    last_seen_at: datetime | None
    session_created_at: datetime
    id: uuid.UUID
    username: str
    email: str
    is_active: bool
    is_customer: bool
    email_verified_at: datetime | None
    last_login_at: datetime | None
    created_at: datetime


def _claims(request: Request, settings: Settings, now: datetime) -> AccessClaims:
    token = bearer_token(request)
    if token is None:
        raise NotAuthenticatedError
    cache: VerifiedTokenCache = request.app.state.token_cache
    claims = cache.get(token, now)
    if claims is None:
        try:
            claims = decode_access_token(settings, token, now=now)
        except InvalidTokenError as exc:
            raise NotAuthenticatedError from exc
        cache.put(token, claims)
    return claims


class SessionReader:
    """Reads a session and its account by the public handle: the hottest query there is."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._read = CompiledRead(engine, SESSION_LOOKUP)

    async def fetch(self, session_handle: str) -> Mapping[str, Any] | None:
        return await self._read.fetchrow(sid=session_handle)


SessionLookup = Callable[[str], Awaitable[Mapping[str, Any] | None]]
_ROW_FIELDS = tuple(field.name for field in fields(_SessionRow))


async def resolve_principal(
    request: Request, lookup: SessionLookup
) -> tuple[Principal, Mapping[str, Any]]:
    """Check the bearer token and its live session, read by ``lookup`` (a row with at
    least :data:`SESSION_LOOKUP`'s columns; callers may read more in the same query).

    The principal is kept on the request, so later dependencies reuse it.
    """
    settings: Settings = request.app.state.settings
    now = clock.now()
    claims = _claims(request, settings, now)
    found = await lookup(claims.session_id)
    if found is None:
        raise NotAuthenticatedError
    row = _SessionRow(*(found[name] for name in _ROW_FIELDS))
    if row.id != claims.user_id or row.status != "active" or not row.is_active:
        raise NotAuthenticatedError
    idle, _absolute = session_limits(settings, row.is_customer)
    last_seen: datetime = row.last_seen_at or row.session_created_at
    if now >= row.expires_at or now - last_seen >= idle:
        await _expire(request, row.session_pk)
        raise NotAuthenticatedError("The session has expired; sign in again.")
    if now - last_seen >= LAST_SEEN_RESOLUTION:
        await _touch(request, row.session_pk, now)
    principal = Principal(
        user_id=row.id,
        username=row.username,
        is_customer=row.is_customer,
        session_pk=row.session_pk,
        session_id=claims.session_id,
        account=Account(
            id=row.id,
            username=row.username,
            email=row.email,
            is_active=row.is_active,
            is_customer=row.is_customer,
            email_verified_at=row.email_verified_at,
            last_login_at=row.last_login_at,
            created_at=row.created_at,
        ),
    )
    request.state.principal = principal
    return principal, found


def resolved_principal(request: Request) -> Principal | None:
    """The principal an earlier dependency of this request resolved, if any."""
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal


async def authenticate(request: Request) -> Principal:
    principal = resolved_principal(request)
    if principal is not None:
        return principal
    reader: SessionReader = request.app.state.session_reader
    principal, _row = await resolve_principal(request, reader.fetch)
    return principal


async def _touch(request: Request, session_pk: uuid.UUID, now: datetime) -> None:
    async with write_connection(request.app.state.engine) as conn:
        await conn.execute(
            update(EnhancedUserSession)
            .where(EnhancedUserSession.id == session_pk)
            .values(last_seen_at=now)
        )


async def _expire(request: Request, session_pk: uuid.UUID) -> None:
    async with write_connection(request.app.state.engine) as conn:
        await conn.execute(
            update(EnhancedUserSession)
            .where(EnhancedUserSession.id == session_pk, EnhancedUserSession.status == "active")
            .values(status="expired", revoked_reason="timeout", updated_at=clock.now())
        )


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
