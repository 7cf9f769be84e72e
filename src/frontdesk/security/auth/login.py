"""Login (SECURITY.md 5-6): one generic failure, the hasher run exactly once, throttled."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.core import clock
from frontdesk.core.config import Settings
from frontdesk.core.db import transaction
from frontdesk.core.errors import UnauthenticatedError
from frontdesk.core.fastsql import DriverStatement, driver_connection
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
from frontdesk.security.auth.service import normalize_identifier
from frontdesk.security.auth.sessions import TokenPair, log_session_event
from frontdesk.security.auth.signin import record_sign_in

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
    ``_admit`` before the password check, so nothing is counted here."""

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


@dataclass(frozen=True)
class _Account:
    """What a login needs of the account it names."""

    id: uuid.UUID
    hashed_password: str
    is_active: bool
    is_customer: bool


def _failure_reason(account: _Account | None, password_ok: bool, admitted: bool) -> str | None:
    if not admitted:
        return "locked"
    if account is None:
        return "unknown_user"
    if not password_ok:
        return "wrong_password"
    if not account.is_active:
        return "disabled"
    return None


async def _admit(
    engine: AsyncEngine,
    settings: Settings,
    *,
    identifier: str,
    ip: str,
    now: datetime,
) -> tuple[bool, _Account | None]:
    """Look the account up and count the attempt (``throttle.admit``), committed before
    the password check. Refused: nothing counted, and the account is still returned
    (the hasher runs against its hash)."""
    admitted, found = await throttle.admit(
        engine,
        identifier=identifier,
        ip=ip,
        settings=settings,
        now=now,
        lookup=_FIND_ACCOUNT,
        lookup_params={"identifier": normalize_identifier(identifier)},
    )
    return admitted, _Account(**found) if found is not None else None


async def _settle_success(
    engine: AsyncEngine,
    settings: Settings,
    *,
    identifier: str,
    ip: str,
    now: datetime,
) -> None:
    """Reset the account's ledger row and refund the IP's attempt, committed at once.

    Not in the request's transaction: every attempt on the account, and every attempt
    from the address, waits for these row locks, so they are held for one statement
    rather than the whole sign-in. The cost: if the request fails after this (the session
    rows cannot be written), a correct password has still reset the count. That grants
    an attacker nothing, because it takes the password. (On PostgreSQL the two statements
    commit one by one; a crash between them leaves the IP one attempt too many, which
    errs on the safe side.)
    """
    async with driver_connection(engine, transaction=False) as conn:
        await throttle.record_success(
            conn, identifier=identifier, ip=ip, settings=settings, now=now
        )


async def login(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    engine: AsyncEngine,
    identifier: str,
    password: str,
    device_info: str | None,
    meta: RequestMeta,
) -> TokenPair:
    """Sign in.

    1. The account is looked up and the attempt counted in one short committed
       transaction (so parallel guesses cannot all slip past the block).
    2. The password is verified, exactly once on every path, holding no connection.
    3. A success settles the ledger on its own (:func:`_settle_success`), then writes
       the session rows and the audit row in one more short transaction; a failure
       writes its session log and audit row in a transaction of its own, before the
       generic 401 goes out. No transaction is open during a hash: on SQLite none holds
       the write lock then, on PostgreSQL no connection waits on one. The login needs
       no request transaction at all.
    """
    now = clock.now()
    ip = meta.ip or "unknown"
    admitted, account = await _admit(engine, settings, identifier=identifier, ip=ip, now=now)
    hashed = account.hashed_password if account else _dummy_hash()
    password_ok = await verify_password(hashed, password)
    reason = _failure_reason(account, password_ok, admitted)
    if reason is not None or account is None:
        failure = FailedLogin(
            identifier, account.id if account else None, reason or "unknown_user", meta
        )
        async with transaction(sessionmaker) as session:
            await failure.persist(session)
        raise InvalidCredentialsError
    await _settle_success(engine, settings, identifier=identifier, ip=ip, now=now)
    rehashed = await hash_password(password) if needs_rehash(hashed) else None
    # Its own short transaction, not the request's: it holds the audit chain's lock
    # for two statements rather than until the response is under way.
    async with driver_connection(engine, transaction=True) as conn:
        pair = await record_sign_in(
            conn,
            settings,
            user_id=account.id,
            is_customer=account.is_customer,
            new_hash=rehashed,
            meta=meta,
            device_info=device_info,
            now=now,
        )
    return pair


# Built once: every login runs them (on the connection: Core, no unit of work).
_FIND_ACCOUNT = DriverStatement(
    select(User.id, User.hashed_password, User.is_active, User.is_customer).where(
        or_(
            User.username_normalized == bindparam("identifier"),
            User.email_normalized == bindparam("identifier"),
        )
    )
)
