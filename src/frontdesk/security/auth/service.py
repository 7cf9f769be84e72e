"""Account rules: identifiers, creation, password change/reset, email verification."""

from __future__ import annotations

import secrets
import unicodedata
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core import clock
from frontdesk.core.config import Settings
from frontdesk.core.errors import (
    VALIDATION_FAILED,
    AppError,
    ConflictError,
    UnauthenticatedError,
    register_code,
)
from frontdesk.core.events import DomainEvent, bus
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.auth.models import OneTimeToken, User
from frontdesk.security.auth.passwords import (
    check_password_policy,
    hash_password,
    verify_password,
)
from frontdesk.security.auth.sessions import end_user_sessions
from frontdesk.security.auth.tokens import hash_token

ACCOUNT_EXISTS = register_code("account_exists", 409, "Account already exists")
INVALID_TOKEN = register_code("invalid_token", 400, "Invalid or expired token")
USER_REGISTERED = "user.registered"


class AccountExistsError(ConflictError):
    error = ACCOUNT_EXISTS


class InvalidOneTimeTokenError(AppError):
    error = INVALID_TOKEN


class WrongPasswordError(UnauthenticatedError):
    def __init__(self) -> None:
        super().__init__("The current password is not correct.")


class UnchangedPasswordError(AppError):
    error = VALIDATION_FAILED


def normalize_identifier(value: str) -> str:
    """NFKC then casefold: a fullwidth 'Alice' and 'ALICE' are the same account."""
    return unicodedata.normalize("NFKC", value).casefold().strip()


async def find_user_by_identifier(session: AsyncSession, identifier: str) -> User | None:
    folded = normalize_identifier(identifier)
    result = await session.execute(
        select(User).where(or_(User.username_normalized == folded, User.email_normalized == folded))
    )
    return result.scalars().first()


async def _ensure_unused(
    session: AsyncSession, username: str, email: str, *, except_id: uuid.UUID | None = None
) -> None:
    # A username may not equal anyone's email and vice versa: login accepts either.
    names = [normalize_identifier(username), normalize_identifier(email)]
    query = select(User.id).where(
        or_(User.username_normalized.in_(names), User.email_normalized.in_(names))
    )
    if except_id is not None:
        query = query.where(User.id != except_id)
    if (await session.execute(query.limit(1))).first() is not None:
        raise AccountExistsError("An account with that username or email already exists.")


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    email: str,
    password: str,
    is_customer: bool = False,
) -> User:
    check_password_policy(password, username=username, email=email)
    await _ensure_unused(session, username, email)
    now = clock.now()
    user = User(
        username=username.strip(),
        username_normalized=normalize_identifier(username),
        email=email.strip(),
        email_normalized=normalize_identifier(email),
        hashed_password=await hash_password(password),
        is_customer=is_customer,
        password_changed_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def register_customer(
    session: AsyncSession,
    *,
    username: str,
    email: str,
    password: str,
    name: str,
    phone: str | None,
    referral_code: str | None = None,
) -> User:
    """A self-service customer account; the business layer opens its first profile
    (and refuses an unusable ``referral_code``, which undoes the registration)."""
    user = await create_user(
        session, username=username, email=email, password=password, is_customer=True
    )
    payload = {
        "user_id": user.id,
        "name": name,
        "email": user.email,
        "phone": phone,
        "referral_code": referral_code,
    }
    await bus.publish(session, DomainEvent(USER_REGISTERED, payload))
    return user


async def update_identity(
    session: AsyncSession, user: User, *, username: str | None, email: str | None
) -> None:
    new_username = username if username is not None else user.username
    new_email = email if email is not None else user.email
    await _ensure_unused(session, new_username, new_email, except_id=user.id)
    if email is not None and normalize_identifier(email) != user.email_normalized:
        user.email_verified_at = None
    user.username, user.username_normalized = new_username, normalize_identifier(new_username)
    user.email, user.email_normalized = new_email, normalize_identifier(new_email)
    await session.flush()


async def set_password(session: AsyncSession, user: User, password: str) -> None:
    check_password_policy(password, username=user.username, email=user.email)
    user.hashed_password = await hash_password(password)
    user.password_changed_at = clock.now()
    await session.flush()


async def change_password(
    session: AsyncSession,
    user: User,
    *,
    current: str,
    new: str,
    keep_session: uuid.UUID,
    meta: RequestMeta,
) -> int:
    """Needs the current password; ends every other session. Returns how many ended."""
    if not await verify_password(user.hashed_password, current):
        raise WrongPasswordError
    if current == new:
        raise UnchangedPasswordError("The new password must differ from the current one.")
    await set_password(session, user, new)
    return await end_user_sessions(
        session,
        user.id,
        status="revoked",
        reason="password_changed",
        now=clock.now(),
        meta=meta,
        keep=keep_session,
    )


async def issue_one_time_token(
    session: AsyncSession, user: User, *, purpose: str, lifetime: timedelta
) -> str:
    """A fresh single-use token; earlier unused ones of the same purpose stop working."""
    now = clock.now()
    await session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    raw = secrets.token_urlsafe(32)
    session.add(
        OneTimeToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(raw),
            expires_at=now + lifetime,
            created_at=now,
        )
    )
    await session.flush()
    return raw


async def redeem_one_time_token(session: AsyncSession, raw: str, *, purpose: str) -> User:
    """Consume a token (single use, unexpired) and return its user; locked while deciding."""
    now = clock.now()
    token = (
        await session.execute(
            select(OneTimeToken)
            .where(OneTimeToken.token_hash == hash_token(raw), OneTimeToken.purpose == purpose)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise InvalidOneTimeTokenError("This link is invalid or has expired; request a new one.")
    user = await session.get_one(User, token.user_id)
    if not user.is_active:
        raise InvalidOneTimeTokenError("This link is invalid or has expired; request a new one.")
    token.used_at = now
    await session.flush()
    return user


async def reset_password(
    session: AsyncSession, raw: str, new_password: str, *, meta: RequestMeta
) -> User:
    """Single-use reset: sets the password, ends every session, does not log in."""
    user = await redeem_one_time_token(session, raw, purpose="password_reset")
    await set_password(session, user, new_password)
    await end_user_sessions(
        session, user.id, status="revoked", reason="password_reset", now=clock.now(), meta=meta
    )
    return user


async def verify_email(session: AsyncSession, raw: str) -> User:
    user = await redeem_one_time_token(session, raw, purpose="email_verification")
    user.email_verified_at = clock.now()
    await session.flush()
    return user


async def find_active_by_email(session: AsyncSession, email: str) -> User | None:
    folded = normalize_identifier(email)
    return (
        await session.execute(
            select(User).where(User.email_normalized == folded, User.is_active.is_(True))
        )
    ).scalar_one_or_none()


def verification_link(settings: Settings, raw: str) -> str:
    return f"{settings.public_url.rstrip('/')}/verify-email?token={raw}"


def reset_link(settings: Settings, raw: str) -> str:
    return f"{settings.public_url.rstrip('/')}/reset-password?token={raw}"


async def deactivate(session: AsyncSession, user: User, *, meta: RequestMeta, now: datetime) -> int:
    """Switch the account off; every session ends at once."""
    user.is_active = False
    await session.flush()
    return await end_user_sessions(
        session, user.id, status="revoked", reason="account_deactivated", now=now, meta=meta
    )
