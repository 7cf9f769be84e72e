"""Small helpers for the payments tests: calls with keys, and what the database holds."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.orders.models import OrderEvent
from frontdesk.business.payments import providers
from frontdesk.business.payments.models import PaymentTransaction
from frontdesk.core.idempotency import IdempotencyKey
from frontdesk.security.audit.models import AuditLog
from tests.security.audit.callers import Caller

API = "/api/v1"
_keys = itertools.count()


@contextmanager
def points_served_by(provider: providers.PaymentProvider | None) -> Iterator[None]:
    """Serve the ``points`` method with ``provider`` (None: nobody) for a while: the
    business layer's own behaviour, whatever the rewards layer registered at start-up."""
    try:
        previous: providers.PaymentProvider | None = providers.provider_for("points")
    except providers.PaymentMethodUnavailableError:
        previous = None
    if previous is not None:
        providers.unregister_provider(previous)
    if provider is not None:
        providers.register_provider(provider)
    try:
        yield
    finally:
        if provider is not None:
            providers.unregister_provider(provider)
        if previous is not None:
            providers.register_provider(previous)


def keyed(caller: Caller, key: str | None = None) -> dict[str, str]:
    """The caller's headers with an Idempotency-Key (a fresh one unless given)."""
    return {**caller.headers, "Idempotency-Key": key or f"test-key-{next(_keys)}"}


async def pay(
    client: httpx.AsyncClient,
    caller: Caller,
    booking_id: uuid.UUID | str,
    amount: Any = "30.00",
    *,
    key: str | None = None,
    **fields: Any,
) -> httpx.Response:
    body = {"amount": amount, "currency": "EUR", "method": "cash", **fields}
    return await client.post(
        f"{API}/bookings/{booking_id}/payments", headers=keyed(caller, key), json=body
    )


async def refund(
    client: httpx.AsyncClient,
    caller: Caller,
    payment_id: str,
    amount: Any,
    *,
    key: str | None = None,
    **fields: Any,
) -> httpx.Response:
    return await client.post(
        f"{API}/payments/{payment_id}/refunds",
        headers=keyed(caller, key),
        json={"amount": amount, **fields},
    )


async def move(
    client: httpx.AsyncClient, caller: Caller, payment_id: str, action: str, key: str | None = None
) -> httpx.Response:
    return await client.post(f"{API}/payments/{payment_id}/{action}", headers=keyed(caller, key))


def ok(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def count(db: async_sessionmaker[AsyncSession], model: Any, *where: Any) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def stored(db: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """How many payment rows, payment timeline entries, payment audit rows and
    idempotency keys the database holds."""
    return {
        "payments": await count(db, PaymentTransaction),
        "events": await count(db, OrderEvent, OrderEvent.event_type.like("payment.%")),
        "audit": await count(db, AuditLog, AuditLog.action.like("payment.%")),
        "keys": await count(db, IdempotencyKey),
    }


NOTHING = {"payments": 0, "events": 0, "audit": 0, "keys": 0}
