"""Account rules: identifier normalization and account creation."""

from __future__ import annotations

import unicodedata

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core import clock
from frontdesk.core.errors import ConflictError, register_code
from frontdesk.security.auth.models import User
from frontdesk.security.auth.passwords import check_password_policy, hash_password

ACCOUNT_EXISTS = register_code("account_exists", 409, "Account already exists")


class AccountExistsError(ConflictError):
    error = ACCOUNT_EXISTS


def normalize_identifier(value: str) -> str:
    """NFKC then casefold: a fullwidth 'Alice' and 'ALICE' are the same account."""
    return unicodedata.normalize("NFKC", value).casefold().strip()


async def find_user_by_identifier(session: AsyncSession, identifier: str) -> User | None:
    folded = normalize_identifier(identifier)
    result = await session.execute(
        select(User).where(or_(User.username_normalized == folded, User.email_normalized == folded))
    )
    return result.scalar_one_or_none()


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    email: str,
    password: str,
    is_customer: bool = False,
) -> User:
    check_password_policy(password)
    username_folded = normalize_identifier(username)
    email_folded = normalize_identifier(email)
    clash = await session.execute(
        select(User.id).where(
            or_(
                User.username_normalized.in_([username_folded, email_folded]),
                User.email_normalized.in_([username_folded, email_folded]),
            )
        )
    )
    if clash.first() is not None:
        raise AccountExistsError("An account with that username or email already exists.")
    user = User(
        username=username.strip(),
        username_normalized=username_folded,
        email=email.strip(),
        email_normalized=email_folded,
        hashed_password=await hash_password(password),
        is_customer=is_customer,
        password_changed_at=clock.now(),
    )
    session.add(user)
    await session.flush()
    return user
