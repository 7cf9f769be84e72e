"""Sessions and refresh-token rotation (SECURITY.md 9-12).

A login opens a session (``enhanced_user_sessions``) and a token family
(``refresh_tokens.family_id`` = the session's id). Every refresh rotates the token;
presenting a used token again revokes the whole family and its session, except for one
retry of the immediately previous token inside a short grace window, which gets the
very same successor back (the successor is derived from the token, see tokens.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.config import Settings
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.auth.deps import session_limits
from frontdesk.security.auth.models import EnhancedUserSession, RefreshToken, SessionLog, User
from frontdesk.security.auth.tokens import (
    hash_token,
    issue_access_token,
    successor_refresh_token,
)

MAX_DEVICE_INFO = 255


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    session_id: str
    user_id: uuid.UUID


class RefreshRefusedError(Exception):
    """The refresh token is unknown, expired, revoked, or was reused (``reuse`` True)."""

    def __init__(
        self,
        reason: str,
        *,
        reuse: bool = False,
        session_pk: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reuse = reuse
        self.session_pk = session_pk
        self.user_id = user_id


def _pair(
    settings: Settings, session: EnhancedUserSession, refresh: str, now: datetime
) -> TokenPair:
    access, access_expires = issue_access_token(
        settings, user_id=session.user_id, session_id=session.session_id, now=now
    )
    return TokenPair(
        access, access_expires, refresh, session.expires_at, session.session_id, session.user_id
    )


async def log_session_event(
    session: AsyncSession,
    *,
    action: str,
    user_id: uuid.UUID | None,
    session_handle: str | None,
    success: bool,
    meta: RequestMeta | None,
) -> None:
    session.add(
        SessionLog(
            user_id=user_id,
            action=action,
            session_token=session_handle,
            success=success,
            ip_address=meta.ip if meta else None,
            user_agent=meta.user_agent if meta else None,
        )
    )
    await session.flush()


def _new_token(
    login: EnhancedUserSession,
    raw: str,
    meta: RequestMeta | None,
    device_info: str | None,
    now: datetime,
) -> RefreshToken:
    return RefreshToken(
        user_id=login.user_id,
        token_hash=hash_token(raw),
        expires_at=login.expires_at,  # absolute: rotation never extends the session
        family_id=login.id,
        device_info=(device_info or "")[:MAX_DEVICE_INFO] or None,
        ip_address=meta.ip if meta else None,
        user_agent=meta.user_agent if meta else None,
        created_at=now,
    )


async def rotate(
    session: AsyncSession, settings: Settings, raw: str, *, meta: RequestMeta, now: datetime
) -> TokenPair:
    """Exchange a refresh token for a new pair; the token row is locked while deciding."""
    token = (
        await session.execute(
            select(RefreshToken).where(RefreshToken.token_hash == hash_token(raw)).with_for_update()
        )
    ).scalar_one_or_none()
    if token is None:
        raise RefreshRefusedError("unknown refresh token")
    login = await session.get_one(EnhancedUserSession, token.family_id)
    user = await session.get_one(User, login.user_id)
    if not _usable(settings, login, token, user, now):
        raise RefreshRefusedError("refresh token expired or revoked", user_id=user.id)
    successor_raw = successor_refresh_token(settings, raw)
    if token.used_at is None:
        successor = _new_token(login, successor_raw, meta, token.device_info, now)
        session.add(successor)
        await session.flush()
        token.used_at = now
        token.replaced_by_id = successor.id
        login.refresh_token_id = successor.id
    elif _grace_retry(settings, login, token, now):
        # Two tabs refreshed together: the loser gets the winner's pair, once.
        token.grace_used_at = now
    else:
        raise RefreshRefusedError(
            "refresh token reused", reuse=True, session_pk=login.id, user_id=user.id
        )
    login.last_seen_at = now
    await log_session_event(
        session,
        action="refresh",
        user_id=user.id,
        session_handle=login.session_id,
        success=True,
        meta=meta,
    )
    return _pair(settings, login, successor_raw, now)


def _usable(
    settings: Settings, login: EnhancedUserSession, token: RefreshToken, user: User, now: datetime
) -> bool:
    idle, _absolute = session_limits(settings, user.is_customer)
    last_seen = login.last_seen_at or login.created_at
    return (
        user.is_active
        and login.status == "active"
        and token.revoked_at is None
        and now < token.expires_at
        and now < login.expires_at
        and now - last_seen < idle
    )


def _grace_retry(
    settings: Settings, login: EnhancedUserSession, token: RefreshToken, now: datetime
) -> bool:
    assert token.used_at is not None
    return (
        token.grace_used_at is None
        and token.replaced_by_id == login.refresh_token_id
        and now - token.used_at <= timedelta(seconds=settings.refresh_reuse_grace_seconds)
    )


async def end_session(
    session: AsyncSession,
    login: EnhancedUserSession,
    *,
    status: str,
    reason: str,
    now: datetime,
) -> None:
    """Close one session and revoke every token of its family."""
    if login.status == "active":
        login.status = status
        login.revoked_reason = reason
        login.updated_at = now
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == login.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.flush()


async def close_session(
    session: AsyncSession,
    login: EnhancedUserSession,
    *,
    status: str,
    reason: str,
    meta: RequestMeta | None,
    now: datetime,
) -> None:
    """End one session and write its history line (``logout`` or ``revoke``)."""
    await end_session(session, login, status=status, reason=reason, now=now)
    await log_session_event(
        session,
        action="logout" if status == "logged_out" else "revoke",
        user_id=login.user_id,
        session_handle=login.session_id,
        success=True,
        meta=meta,
    )


async def end_user_sessions(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    status: str,
    reason: str,
    now: datetime,
    meta: RequestMeta | None,
    keep: uuid.UUID | None = None,
) -> int:
    """Close every active session of a user (but ``keep``); returns how many."""
    query = select(EnhancedUserSession).where(
        EnhancedUserSession.user_id == user_id, EnhancedUserSession.status == "active"
    )
    if keep is not None:
        query = query.where(EnhancedUserSession.id != keep)
    logins = (await session.scalars(query)).all()
    for login in logins:
        await close_session(session, login, status=status, reason=reason, meta=meta, now=now)
    return len(logins)


async def revoke_family_after_reuse(
    session: AsyncSession, session_pk: uuid.UUID, *, meta: RequestMeta, now: datetime
) -> EnhancedUserSession:
    login = await session.get_one(EnhancedUserSession, session_pk)
    await end_session(session, login, status="revoked", reason="refresh_token_reuse", now=now)
    await log_session_event(
        session,
        action="reuse_detected",
        user_id=login.user_id,
        session_handle=login.session_id,
        success=False,
        meta=meta,
    )
    return login


async def active_sessions(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[EnhancedUserSession, str | None]]:
    """A user's active sessions, newest first, with the device their token names."""
    rows = await session.execute(
        select(EnhancedUserSession, RefreshToken.device_info)
        .outerjoin(RefreshToken, RefreshToken.id == EnhancedUserSession.refresh_token_id)
        .where(EnhancedUserSession.user_id == user_id, EnhancedUserSession.status == "active")
        .order_by(EnhancedUserSession.id.desc())
    )
    return [(login, device) for login, device in rows]
