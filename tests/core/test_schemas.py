"""Request schemas refuse what they must with a 4xx problem, never a 500."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from frontdesk.core.schemas import Instant, MoneyAmount, RequestModel


class Charge(RequestModel):
    amount: MoneyAmount
    at: Instant


@pytest.fixture
def charge_app(plain_app: FastAPI) -> FastAPI:
    @plain_app.post("/_test/charges/{charge_id}")
    async def charge(charge_id: uuid.UUID, body: Charge) -> dict[str, object]:
        return {"id": str(charge_id), "amount": body.amount, "at": body.at.isoformat()}

    return plain_app


async def _post(
    client: httpx.AsyncClient, body: str, charge_id: str | None = None
) -> httpx.Response:
    return await client.post(
        f"/_test/charges/{charge_id or uuid.uuid4()}",
        content=body.encode(),
        headers={"content-type": "application/json"},
    )


async def test_a_valid_request_keeps_money_exact_and_times_in_utc(
    charge_app: FastAPI, plain_client: httpx.AsyncClient
) -> None:
    response = await _post(plain_client, '{"amount": "19.99", "at": "2026-05-01T10:00:00+02:00"}')
    assert response.status_code == 200
    assert Decimal(response.json()["amount"]) == Decimal("19.99")
    assert response.json()["at"] == "2026-05-01T08:00:00+00:00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"amount": "1.00", "at": "2026-05-01T10:00:00"}', "body.at"),
        ('{"amount": "NaN", "at": "2026-05-01T10:00:00Z"}', "body.amount"),
        ('{"amount": "1e400", "at": "2026-05-01T10:00:00Z"}', "body.amount"),
        ('{"amount": "0.00001", "at": "2026-05-01T10:00:00Z"}', "body.amount"),
        ('{"amount": "1", "at": "2026-05-01T10:00:00Z", "status": "paid"}', "body.status"),
    ],
)
async def test_bad_values_are_422_with_the_field_path(
    charge_app: FastAPI, plain_client: httpx.AsyncClient, body: str, field: str
) -> None:
    response = await _post(plain_client, body)
    assert response.status_code == 422
    assert field in {error["path"] for error in response.json()["errors"]}


async def test_a_bad_uuid_in_the_path_is_422(
    charge_app: FastAPI, plain_client: httpx.AsyncClient
) -> None:
    response = await _post(plain_client, '{"amount": "1", "at": "2026-05-01T10:00:00Z"}', "nope")
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "path.charge_id"
