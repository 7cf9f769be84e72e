"""Signed-in callers for router tests, built straight in the database.

The login endpoints are not needed: a user, optionally a role, a live session row and
an access token minted with the app's own settings are all ``authenticate`` checks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core import clock
from frontdesk.core.db import transaction
from frontdesk.security.auth.models import EnhancedUserSession
from frontdesk.security.auth.tokens import issue_access_token, new_session_handle
from frontdesk.security.rbac.service import assign_role
from tests import factories


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    headers: dict[str, str]


async def signed_in(
    app: FastAPI, db: async_sessionmaker[AsyncSession], *, role: str | None = None
) -> Caller:
    """A committed user on an active session, with ``role`` if given, and its bearer header."""
    async with transaction(db) as session:
        user = await factories.user(session)
        if role is not None:
            await assign_role(session, user.id, role, assigned_by=None)
    return await signed_in_again(app, db, user.id)


async def signed_in_again(
    app: FastAPI, db: async_sessionmaker[AsyncSession], user_id: uuid.UUID
) -> Caller:
    """A fresh session and token for an existing user, at the clock's current time (a
    test that moves the clock past the token's lifetime signs in again)."""
    now = clock.now()
    handle = new_session_handle()
    async with transaction(db) as session:
        session.add(
            EnhancedUserSession(
                user_id=user_id,
                session_id=handle,
                status="active",
                expires_at=now + timedelta(hours=1),
                last_seen_at=now,
            )
        )
    token, _expires = issue_access_token(
        app.state.settings, user_id=user_id, session_id=handle, now=now
    )
    return Caller(user_id=user_id, headers={"Authorization": f"Bearer {token}"})
