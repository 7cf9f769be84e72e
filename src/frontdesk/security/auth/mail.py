"""The account emails: verification and password reset, sent through the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.config import Settings
from frontdesk.core.outbox import OutboxDispatcher, enqueue_email
from frontdesk.security.auth.models import User
from frontdesk.security.auth.service import issue_one_time_token, reset_link, verification_link


async def _send_token_link(
    session: AsyncSession,
    user: User,
    dispatcher: OutboxDispatcher | None,
    *,
    purpose: str,
    lifetime: timedelta,
    subject: str,
    compose: Callable[[str], str],
) -> None:
    """Issue a one-time token and mail the text ``compose`` builds around it (the raw
    token only ever travels in the message; the database keeps its hash)."""
    raw = await issue_one_time_token(session, user, purpose=purpose, lifetime=lifetime)
    await enqueue_email(
        session,
        to=user.email,
        subject=subject,
        text=compose(raw),
        meta={"template": purpose, "user_id": str(user.id)},
        dispatcher=dispatcher,
    )


async def send_verification(
    session: AsyncSession, settings: Settings, user: User, dispatcher: OutboxDispatcher | None
) -> None:
    hours = settings.email_verification_hours
    await _send_token_link(
        session,
        user,
        dispatcher,
        purpose="email_verification",
        lifetime=timedelta(hours=hours),
        subject="Confirm your email address",
        compose=lambda raw: (
            f"Hello {user.username},\n\n"
            f"Confirm your email address by opening this link within {hours} hours:\n"
            f"{verification_link(settings, raw)}\n\n"
            "If you did not create an account, ignore this message.\n"
        ),
    )


async def send_password_reset(
    session: AsyncSession, settings: Settings, user: User, dispatcher: OutboxDispatcher | None
) -> None:
    minutes = settings.password_reset_minutes
    await _send_token_link(
        session,
        user,
        dispatcher,
        purpose="password_reset",
        lifetime=timedelta(minutes=minutes),
        subject="Reset your password",
        compose=lambda raw: (
            f"Hello {user.username},\n\n"
            f"Someone asked to reset your password. The link works once, for {minutes} "
            f"minutes:\n{reset_link(settings, raw)}\n\n"
            "If it was not you, ignore this message; your password stays as it is.\n"
        ),
    )
