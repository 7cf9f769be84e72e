"""SECURITY.md 1, 5, 6: Argon2id, one generic failure, throttled attempts, audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import open_session
from frontdesk.security.audit.models import AuditLog
from frontdesk.security.auth import login as login_module
from frontdesk.security.auth import passwords
from frontdesk.security.auth.models import (
    EnhancedUserSession,
    RateLimitLog,
    RefreshToken,
    SessionLog,
    User,
)
from frontdesk.security.auth.tokens import hash_token
from tests.security.accounts import STRONG_PASSWORD, login, make_user

LOGIN = "/api/v1/auth/login"


class CountingHasher:
    """Wraps the real hasher and counts verify calls (SECURITY.md 5: counted, not timed)."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.verifies = 0

    def verify(self, hashed: str, password: str) -> bool:
        self.verifies += 1
        return self.real.verify(hashed, password)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher(passwords.HASHER)
    monkeypatch.setattr(passwords, "HASHER", counting)
    return counting


async def _attempt(client: httpx.AsyncClient, identifier: str, password: str) -> httpx.Response:
    return await client.post(LOGIN, json={"identifier": identifier, "password": password})


def _public_part(response: httpx.Response) -> tuple[int, str, str, str]:
    body = response.json()
    return response.status_code, body["code"], body["title"], body["detail"]


async def test_login_by_username_or_email_in_any_case_opens_a_new_session_each_time(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await make_user(db, "Marta")
    first = await login(client, "marta")
    second = await login(client, "MARTA@example.com")
    assert first["session_id"] != second["session_id"]
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(EnhancedUserSession)) == 2


async def test_every_failure_looks_the_same_and_costs_one_hash(
    db: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FrozenClock,
    hasher: CountingHasher,
    app: Any,
) -> None:
    await make_user(db, "victim")
    disabled = await make_user(db, "gone")
    async with open_session(db, write=True) as session:
        (await session.get_one(User, disabled.id)).is_active = False
        await session.commit()
    answers = []
    for identifier, password in [
        ("nobody-here", STRONG_PASSWORD),
        ("victim", "wrong-password-123"),
        ("gone", STRONG_PASSWORD),
    ]:
        before = hasher.verifies
        answers.append(_public_part(await _attempt(client, identifier, password)))
        assert hasher.verifies - before == 1
    # Lock the victim, then even the right password gets the same answer.
    for _ in range(app.state.settings.login_max_failures):
        await _attempt(client, "victim", "wrong-password-123")
    before = hasher.verifies
    answers.append(_public_part(await _attempt(client, "victim", STRONG_PASSWORD)))
    assert hasher.verifies - before == 1
    assert len(set(answers)) == 1
    assert answers[0][0] == 401


async def test_failed_logins_are_audited_and_counted_though_the_request_fails(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await make_user(db, "counted")
    response = await _attempt(client, "counted", "wrong-password-123")
    assert response.status_code == 401
    async with db() as session:
        rows = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "auth.login"))
        ).all()
        assert [(row.success, row.details["reason"]) for row in rows] == [(False, "wrong_password")]
        assert "wrong-password-123" not in str(rows[0].details)
        attempts = await session.scalar(
            select(RateLimitLog.attempts).where(RateLimitLog.identifier == "login:counted")
        )
        assert attempts == 1


async def test_a_lockout_ends_after_its_wait_and_success_resets_the_count(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock, app: Any
) -> None:
    settings = app.state.settings
    await make_user(db, "patient")
    for _ in range(settings.login_max_failures):
        await _attempt(client, "patient", "wrong-password-123")
    assert (await _attempt(client, "patient", STRONG_PASSWORD)).status_code == 401
    clock.advance(timedelta(seconds=settings.login_max_wait_seconds + 1))
    assert (await _attempt(client, "patient", STRONG_PASSWORD)).status_code == 200
    async with db() as session:
        row = await session.scalar(
            select(RateLimitLog).where(RateLimitLog.identifier == "login:patient")
        )
        assert row is None or row.attempts == 0


async def test_an_outdated_hash_is_upgraded_at_login(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    user = await make_user(db, "oldhash")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    async with open_session(db, write=True) as session:
        (await session.get_one(User, user.id)).hashed_password = weak.hash(STRONG_PASSWORD)
        await session.commit()
    await login(client, "oldhash")
    async with db() as session:
        upgraded = (await session.get_one(User, user.id)).hashed_password
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert not passwords.needs_rehash(upgraded)


async def test_successful_login_is_audited(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    user = await make_user(db, "audited")
    await login(client, "audited")
    async with db() as session:
        row = await session.scalar(
            select(AuditLog).where(AuditLog.action == "auth.login", AuditLog.success.is_(True))
        )
    assert row is not None
    assert row.user_id == user.id
    assert row.created_at == clock.now()


async def test_a_sign_in_writes_its_session_token_log_and_audit_row(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    user = await make_user(db, "writer")
    body = await login(client, "writer", device_info="pytest phone")
    async with db() as session:
        login_row = await session.scalar(select(EnhancedUserSession))
        token = await session.scalar(select(RefreshToken))
        log = await session.scalar(select(SessionLog))
        audit = await session.scalar(select(AuditLog))
        account = await session.get_one(User, user.id)
    assert login_row is not None
    assert token is not None
    assert log is not None
    assert (login_row.session_id, login_row.status) == (body["session_id"], "active")
    # The session names its first token, and the token's family is the session.
    assert (login_row.refresh_token_id, token.family_id) == (token.id, login_row.id)
    assert token.token_hash == hash_token(body["refresh_token"])
    assert token.expires_at == login_row.expires_at
    assert token.device_info == "pytest phone"
    assert (log.action, log.success, log.session_token) == ("login", True, body["session_id"])
    assert audit is not None
    assert audit.details == {"session_id": body["session_id"]}
    assert account.last_login_at == clock.now()


async def test_a_success_settles_the_ledger_before_the_request_commits(
    db: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ledger is settled in its own short transaction right after the password check
    (its rows stay locked only that long), so it stays settled if the request then fails;
    that takes the right password, so it grants nothing."""
    await make_user(db, "settled")
    await _attempt(client, "settled", "wrong-password-123")

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the session rows cannot be written")

    monkeypatch.setattr(login_module, "record_sign_in", broken)
    assert (await _attempt(client, "settled", STRONG_PASSWORD)).status_code == 500
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(EnhancedUserSession)) == 0
        account = await session.scalar(
            select(RateLimitLog).where(RateLimitLog.identifier == "login:settled")
        )
        ip_attempts = await session.scalar(
            select(RateLimitLog.attempts).where(RateLimitLog.identifier.startswith("ip:"))
        )
    assert account is None  # reset by the right password
    assert ip_attempts == 1  # the failure stays counted, the success was refunded
