"""SECURITY.md 7: reset tokens are single-use, expiring, hashed; the request leaks nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.security.auth.models import OneTimeToken
from frontdesk.security.auth.tokens import hash_token
from tests.security.accounts import bearer, login, make_user
from tests.security.auth.conftest import delivered_token
from tests.smtp import SMTPServer

FORGOT = "/api/v1/auth/password/forgot"
RESET = "/api/v1/auth/password/reset"
NEW = "amber-glacier-window-77"


async def test_forgot_answers_the_same_for_known_and_unknown_addresses(
    db: async_sessionmaker[AsyncSession],
    mail_client: httpx.AsyncClient,
    mail_app: FastAPI,
    smtp_server: SMTPServer,
    clock: FrozenClock,
) -> None:
    await make_user(db, "known")
    known = await mail_client.post(FORGOT, json={"email": "known@example.com"})
    unknown = await mail_client.post(FORGOT, json={"email": "stranger@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    await mail_app.state.outbox.drain()
    assert [r.envelope_to for r in smtp_server.received] == [["known@example.com"]]


async def test_reset_sets_the_password_once_ends_sessions_and_does_not_log_in(
    db: async_sessionmaker[AsyncSession],
    mail_client: httpx.AsyncClient,
    mail_app: FastAPI,
    smtp_server: SMTPServer,
    clock: FrozenClock,
) -> None:
    await make_user(db, "forgetful")
    signed_in = await login(mail_client, "forgetful")
    await mail_client.post(FORGOT, json={"email": "forgetful@example.com"})
    token = await delivered_token(
        mail_app, smtp_server, "forgetful@example.com", "Reset your password"
    )
    async with db() as session:
        stored = (await session.scalars(select(OneTimeToken.token_hash))).all()
    assert token not in stored  # only the hash is kept
    assert hash_token(token) in stored

    common = await mail_client.post(RESET, json={"token": token, "new_password": "password123"})
    assert common.status_code == 422
    response = await mail_client.post(RESET, json={"token": token, "new_password": NEW})
    assert response.status_code == 204
    assert response.content == b""  # no tokens: a reset does not log in
    assert (await mail_client.get("/api/v1/auth/me", headers=bearer(signed_in))).status_code == 401
    await login(mail_client, "forgetful", NEW)
    replay = await mail_client.post(RESET, json={"token": token, "new_password": "x" + NEW})
    assert replay.status_code == 400


async def test_reset_tokens_expire(
    db: async_sessionmaker[AsyncSession],
    mail_client: httpx.AsyncClient,
    mail_app: FastAPI,
    smtp_server: SMTPServer,
    clock: FrozenClock,
) -> None:
    await make_user(db, "slow")
    await mail_client.post(FORGOT, json={"email": "slow@example.com"})
    token = await delivered_token(mail_app, smtp_server, "slow@example.com", "Reset your password")
    clock.advance(timedelta(minutes=mail_app.state.settings.password_reset_minutes + 1))
    response = await mail_client.post(RESET, json={"token": token, "new_password": NEW})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


async def test_a_newer_reset_link_replaces_the_older_one(
    db: async_sessionmaker[AsyncSession],
    mail_client: httpx.AsyncClient,
    mail_app: FastAPI,
    smtp_server: SMTPServer,
    clock: FrozenClock,
) -> None:
    await make_user(db, "twice")
    await mail_client.post(FORGOT, json={"email": "twice@example.com"})
    first = await delivered_token(mail_app, smtp_server, "twice@example.com", "Reset your password")
    await mail_client.post(FORGOT, json={"email": "twice@example.com"})
    second = await delivered_token(
        mail_app, smtp_server, "twice@example.com", "Reset your password"
    )
    assert first != second
    assert (
        await mail_client.post(RESET, json={"token": first, "new_password": NEW})
    ).status_code == 400
    assert (
        await mail_client.post(RESET, json={"token": second, "new_password": NEW})
    ).status_code == 204
