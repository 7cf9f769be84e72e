"""Self-registration: a customer account, its first profile, a verification email."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers.models import Customer
from frontdesk.core.clock import FrozenClock
from frontdesk.security.auth.models import User
from tests.security.accounts import STRONG_PASSWORD, bearer, login
from tests.security.auth.conftest import delivered_token
from tests.smtp import SMTPServer

REGISTER = "/api/v1/auth/register"


def _body(**overrides: Any) -> dict[str, Any]:
    body = {
        "username": "Zoë",
        "email": "Zoe@Example.com",
        "password": STRONG_PASSWORD,
        "name": "Zoë Client",
        "phone": "+49 170 1234567",
    }
    body.update(overrides)
    return body


async def test_register_creates_a_customer_account_and_its_first_profile(
    db: async_sessionmaker[AsyncSession],
    mail_client: httpx.AsyncClient,
    mail_app: FastAPI,
    smtp_server: SMTPServer,
    clock: FrozenClock,
) -> None:
    response = await mail_client.post(REGISTER, json=_body())
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["is_customer"] is True
    assert created["email_verified_at"] is None
    async with db() as session:
        profile = await session.scalar(select(Customer))
    assert profile is not None
    assert str(profile.user_id) == created["id"]
    assert profile.name == "Zoë Client"
    assert profile.contact_info["email"] == "Zoe@example.com"  # domain case folded

    token = await delivered_token(
        mail_app, smtp_server, "Zoe@example.com", "Confirm your email address"
    )
    verify = await mail_client.post("/api/v1/auth/email/verify", json={"token": token})
    assert verify.status_code == 204
    again = await mail_client.post("/api/v1/auth/email/verify", json={"token": token})
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"
    tokens = await login(mail_client, "zoe@example.com")
    me = (await mail_client.get("/api/v1/auth/me", headers=bearer(tokens))).json()
    assert me["email_verified_at"] is not None


@pytest.mark.parametrize("field", ["is_active", "is_customer", "roles", "id"])
async def test_mass_assignment_on_register_is_refused(
    mail_client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], field: str
) -> None:
    value: Any = {"is_active": False, "is_customer": False, "roles": ["admin"], "id": "x"}[field]
    response = await mail_client.post(REGISTER, json=_body(**{field: value}))
    assert response.status_code == 422
    assert f"body.{field}" in {error["path"] for error in response.json()["errors"]}
    async with db() as session:
        assert await session.scalar(select(User)) is None


@pytest.mark.parametrize(
    ("username", "email"),
    [
        ("ZOË", "other@example.com"),
        ("\uff3aoë", "other@example.com"),  # a fullwidth Z folds to Z under NFKC
        ("other", "ZOE@example.COM"),
    ],
)
async def test_usernames_and_emails_are_unique_after_normalization(
    mail_client: httpx.AsyncClient, clock: FrozenClock, username: str, email: str
) -> None:
    assert (await mail_client.post(REGISTER, json=_body())).status_code == 201
    clash = await mail_client.post(REGISTER, json=_body(username=username, email=email))
    assert clash.status_code == 409
    assert clash.json()["code"] == "account_exists"


@pytest.mark.parametrize("password", ["short", "password1", "qwertyuiop", "Zoë"])
async def test_weak_or_common_passwords_are_refused_at_registration(
    mail_client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], password: str
) -> None:
    response = await mail_client.post(REGISTER, json=_body(password=password))
    assert response.status_code == 422
    async with db() as session:
        assert await session.scalar(select(User)) is None


async def test_a_referral_code_given_at_registration_reaches_the_business_layer(
    mail_client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    response = await mail_client.post(REGISTER, json=_body(referral_code="abcd-efgh-jk"))
    # No customer has that code: the business layer refuses it, and with it the whole
    # registration, pointing at the field the code came in.
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "unknown_referral_code"
    assert [error["path"] for error in response.json()["errors"]] == ["body.referral_code"]
    async with db() as session:
        assert await session.scalar(select(User)) is None
    too_long = await mail_client.post(REGISTER, json=_body(referral_code="X" * 33))
    assert "body.referral_code" in {error["path"] for error in too_long.json()["errors"]}
    without = await mail_client.post(REGISTER, json=_body())
    assert without.status_code == 201, without.text
