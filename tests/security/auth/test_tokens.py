"""SECURITY.md 8: access tokens are short-lived JWTs checked claim by claim."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.core.config import Settings
from frontdesk.security.auth.tokens import ALGORITHM
from tests.security.accounts import bearer, login, make_user


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture
async def tokens(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> dict[str, Any]:
    await make_user(db, "tokenholder")
    return await login(client, "tokenholder")


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/v1/auth/me", headers=bearer(token))


async def test_a_valid_token_reaches_me(client: httpx.AsyncClient, tokens: dict[str, Any]) -> None:
    response = await _me(client, tokens["access_token"])
    assert response.status_code == 200
    assert response.json()["username"] == "tokenholder"


def test_the_access_token_carries_every_required_claim_and_lives_at_most_15_minutes(
    tokens: dict[str, Any],
) -> None:
    claims = _claims(tokens["access_token"])
    assert {"sub", "sid", "exp", "iat", "iss", "aud", "typ"} <= set(claims)
    assert claims["typ"] == "access"
    assert 0 < claims["exp"] - claims["iat"] <= 15 * 60
    assert jwt.get_unverified_header(tokens["access_token"])["alg"] == ALGORITHM


async def test_no_token_is_401_with_a_bearer_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["code"] == "unauthenticated"


async def test_alg_none_is_refused(client: httpx.AsyncClient, tokens: dict[str, Any]) -> None:
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(tokens['access_token']))}."
    assert (await _me(client, forged)).status_code == 401


async def test_another_algorithm_is_refused_even_with_the_right_key(
    client: httpx.AsyncClient, tokens: dict[str, Any], app: Any
) -> None:
    settings: Settings = app.state.settings
    other = jwt.encode(_claims(tokens["access_token"]), settings.signing_key, algorithm="HS512")
    assert (await _me(client, other)).status_code == 401


async def test_a_bad_signature_is_refused(
    client: httpx.AsyncClient, tokens: dict[str, Any]
) -> None:
    forged = jwt.encode(_claims(tokens["access_token"]), "x" * 48, algorithm=ALGORITHM)
    assert (await _me(client, forged)).status_code == 401
    head, payload, signature = tokens["access_token"].split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert (await _me(client, f"{head}.{payload}.{flipped}")).status_code == 401


async def test_an_expired_token_is_refused(
    client: httpx.AsyncClient, tokens: dict[str, Any], clock: FrozenClock
) -> None:
    clock.advance(timedelta(minutes=16))
    assert (await _me(client, tokens["access_token"])).status_code == 401


@pytest.mark.parametrize(
    ("claim", "value"),
    [("aud", "someone-else"), ("iss", "another-issuer"), ("typ", "refresh"), ("sid", "nope")],
)
async def test_wrong_audience_issuer_type_or_session_is_refused(
    client: httpx.AsyncClient, tokens: dict[str, Any], app: Any, claim: str, value: str
) -> None:
    settings: Settings = app.state.settings
    claims = {**_claims(tokens["access_token"]), claim: value}
    forged = jwt.encode(claims, settings.signing_key, algorithm=ALGORITHM)
    assert (await _me(client, forged)).status_code == 401


async def test_a_token_missing_a_claim_is_refused(
    client: httpx.AsyncClient, tokens: dict[str, Any], app: Any
) -> None:
    settings: Settings = app.state.settings
    claims = _claims(tokens["access_token"])
    del claims["sid"]
    forged = jwt.encode(claims, settings.signing_key, algorithm=ALGORITHM)
    assert (await _me(client, forged)).status_code == 401


async def test_the_refresh_token_is_not_an_access_token(
    client: httpx.AsyncClient, tokens: dict[str, Any]
) -> None:
    assert (await _me(client, tokens["refresh_token"])).status_code == 401


def test_the_refresh_token_carries_at_least_256_bits(tokens: dict[str, Any]) -> None:
    raw = base64.urlsafe_b64decode(
        tokens["refresh_token"] + "=" * (-len(tokens["refresh_token"]) % 4)
    )
    assert len(raw) >= 32
