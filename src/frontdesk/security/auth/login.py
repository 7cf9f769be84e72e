"""Login (SECURITY.md 5-6): one generic failure, the hasher run exactly once, throttled."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core import clock
from frontdesk.core.config import Settings
from frontdesk.core.deps import persist_on_failure
from frontdesk.core.errors import UnauthenticatedError
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit import service as audit
from frontdesk.security.auth import throttle
from frontdesk.security.auth.models import User
from frontdesk.security.auth.passwords import (
    hash_password,
    hash_password_sync,
    needs_rehash,
    verify_password,
)
from frontdesk.security.auth.service import find_user_by_identifier
from frontdesk.security.auth.sessions import TokenPair, log_session_event, open_session

MAX_IDENTIFIER_IN_LOG = 100


class InvalidCredentialsError(UnauthenticatedError):
    """The one answer for unknown user, wrong password, locked or disabled account."""

    def __init__(self) -> None:
        super().__init__("The username/email or password is not correct.")


@cache
def _dummy_hash() -> str:
    # Unknown users are checked against this, so every failure costs one real verify.
    return hash_password_sync(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class FailedLogin:
    """What a refused login leaves behind. The attempt itself was already counted by
    ``throttle.admit_attempt`` before the password check, so nothing is counted here."""

    identifier: str
    user_id: uuid.UUID | None
    reason: str
    meta: RequestMeta

    async def persist(self, session: AsyncSession) -> None:
        if self.user_id is not None:
            await log_session_event(
                session,
                action="login",
                user_id=self.user_id,
                session_handle=None,
                success=False,
                meta=self.meta,
            )
        await audit.record(
            session,
            action="auth.login",
            success=False,
            actor_id=self.user_id,
            resource=f"user:{self.user_id}" if self.user_id else None,
            details={"reason": self.reason, "identifier": self.identifier[:MAX_IDENTIFIER_IN_LOG]},
            meta=self.meta,
        )


def _failure_reason(user: User | None, password_ok: bool, admitted: bool) -> str | None:
    if not admitted:
        return "locked"
    if user is None:
        return "unknown_user"
    if not password_ok:
        return "wrong_password"
    if not user.is_active:
        return "disabled"
    return None


async def login(
    session: AsyncSession,
    settings: Settings,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    identifier: str,
    password: str,
    device_info: str | None,
    meta: RequestMeta,
) -> TokenPair:
    """Sign in. The attempt is counted first, in its own committed transaction (so
    parallel guesses cannot all slip past the block), before ``session`` runs any
    statement (so on SQLite it never waits on this request's own write lock)."""
    now = clock.now()
    ip = meta.ip or "unknown"
    admitted = await throttle.admit_attempt(
        sessionmaker, identifier=identifier, ip=ip, settings=settings, now=now
    )
    # Every path, refused ones included, looks the user up and runs the hasher once.
    user = await find_user_by_identifier(session, identifier)
    password_ok = await verify_password(user.hashed_password if user else _dummy_hash(), password)
    reason = _failure_reason(user, password_ok, admitted)
    if reason is not None or user is None:
        failure = FailedLogin(identifier, user.id if user else None, reason or "unknown_user", meta)
        persist_on_failure(session, failure.persist)
        raise InvalidCredentialsError
    await throttle.record_success(session, identifier=identifier, ip=ip, settings=settings, now=now)
    if needs_rehash(user.hashed_password):
        user.hashed_password = await hash_password(password)
    user.last_login_at = now
    pair = await open_session(session, settings, user, meta=meta, device_info=device_info, now=now)
    await audit.record(
        session,
        action="auth.login",
        success=True,
        actor_id=user.id,
        resource=f"user:{user.id}",
        details={"session_id": pair.session_id},
        meta=meta,
    )
    return pair
