"""Test helpers for accounts: users with roles, logins over the API, bearer headers."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.db import open_session
from frontdesk.security.auth.models import User
from frontdesk.security.auth.service import create_user
from frontdesk.security.rbac.service import assign_role

STRONG_PASSWORD = "violet-harbor-lantern-42"


async def make_user(
    db: async_sessionmaker[AsyncSession],
    username: str,
    *,
    password: str = STRONG_PASSWORD,
    roles: tuple[str, ...] = (),
    is_customer: bool = False,
) -> User:
    """A committed account with the given system roles."""
    async with open_session(db, write=True) as session:
        user = await create_user(
            session,
            username=username,
            email=f"{username}@example.com",
            password=password,
            is_customer=is_customer,
        )
        for role in roles:
            await assign_role(session, user.id, role, assigned_by=None)
        await session.commit()
        return user


async def login(
    client: httpx.AsyncClient, identifier: str, password: str = STRONG_PASSWORD, **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/login", json={"identifier": identifier, "password": password, **extra}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(tokens: dict[str, Any] | str) -> dict[str, str]:
    token = tokens if isinstance(tokens, str) else tokens["access_token"]
    return {"Authorization": f"Bearer {token}"}
