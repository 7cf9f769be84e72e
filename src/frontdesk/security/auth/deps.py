"""Who is calling: the bearer token, checked against its live session on every request.

This is the hot path of every authenticated request, so it reads with SQLAlchemy Core
through the AUTOCOMMIT reader (one query, no ORM, no BEGIN/ROLLBACK) and touches
``last_seen_at`` at most once a minute.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select, update

from frontdesk.core import clock
from frontdesk.core.config import Settings
from frontdesk.core.db import write_connection
from frontdesk.core.errors import UnauthenticatedError
from frontdesk.security.auth.models import EnhancedUserSession, User
from frontdesk.security.auth.tokens import InvalidTokenError, decode_access_token

LAST_SEEN_RESOLUTION = timedelta(minutes=1)
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="frontdesk"'}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller on one live session."""

    user_id: uuid.UUID
    username: str
    is_customer: bool
    session_pk: uuid.UUID
    session_id: str


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


async def authenticate(request: Request) -> Principal:
    settings: Settings = request.app.state.settings
    token = bearer_token(request)
    if token is None:
        raise NotAuthenticatedError
    now = clock.now()
    try:
        claims = decode_access_token(settings, token, now=now)
    except InvalidTokenError as exc:
        raise NotAuthenticatedError from exc
    reader = request.app.state.read_engine
    async with reader.connect() as conn:
        row = (
            await conn.execute(
                select(
                    EnhancedUserSession.id,
                    EnhancedUserSession.user_id,
                    EnhancedUserSession.status,
                    EnhancedUserSession.expires_at,
                    EnhancedUserSession.last_seen_at,
                    EnhancedUserSession.created_at,
                    User.username,
                    User.is_active,
                    User.is_customer,
                )
                .join(User, User.id == EnhancedUserSession.user_id)
                .where(EnhancedUserSession.session_id == claims.session_id)
            )
        ).first()
    if row is None or row.user_id != claims.user_id or row.status != "active" or not row.is_active:
        raise NotAuthenticatedError
    idle, _absolute = session_limits(settings, row.is_customer)
    last_seen: datetime = row.last_seen_at or row.created_at
    if now >= row.expires_at or now - last_seen >= idle:
        await _expire(request, row.id)
        raise NotAuthenticatedError("The session has expired; sign in again.")
    if now - last_seen >= LAST_SEEN_RESOLUTION:
        await _touch(request, row.id, now)
    principal = Principal(
        user_id=row.user_id,
        username=row.username,
        is_customer=row.is_customer,
        session_pk=row.id,
        session_id=claims.session_id,
    )
    request.state.principal = principal
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
