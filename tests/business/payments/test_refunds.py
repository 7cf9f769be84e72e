"""Refunds: full, partial, several; never above the capture, also under concurrent
requests on real connections (SECURITY.md 19); payments never above the balance either."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.orders.models import Booking
from frontdesk.business.payments import service
from frontdesk.business.payments.models import PaymentTransaction
from frontdesk.business.payments.schemas import RefundCreate
from frontdesk.core.db import open_session
from frontdesk.core.errors import AppError
from frontdesk.core.request_context import RequestMeta
from tests.business.payments.conftest import NewBooking
from tests.business.payments.support import ok, pay, refund
from tests.security.audit.callers import Caller


async def _refunded(db: async_sessionmaker[AsyncSession], payment_id: str) -> Decimal:
    async with db() as session:
        total = await session.scalar(
            select(func.sum(PaymentTransaction.amount)).where(
                PaymentTransaction.refund_of_id == uuid.UUID(payment_id)
            )
        )
    return total or Decimal(0)


async def test_a_full_refund(
    client: httpx.AsyncClient, admin: Caller, new_booking: NewBooking
) -> None:
    booking = await new_booking("45.00")
    paid = ok(await pay(client, admin, booking, "45"))
    back = ok(await refund(client, admin, paid["id"], "45.00", reason="double-charged"))
    assert (back["amount"], back["method"], back["booking_id"]) == ("45", "cash", str(booking))
    more = await refund(client, admin, paid["id"], "0.01")
    assert (more.status_code, more.json()["code"]) == (409, "refund_exceeds_captured")
    assert more.json()["refundable"] == "0"


async def test_several_partial_refunds_up_to_the_capture(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking("100.00")
    paid = ok(await pay(client, admin, booking, "100"))
    for amount in ("10", "20.25", "30"):
        ok(await refund(client, admin, paid["id"], amount))
    too_much = await refund(client, admin, paid["id"], "39.76")
    assert (too_much.status_code, too_much.json()["refundable"]) == (409, "39.75")
    ok(await refund(client, admin, paid["id"], "39.75"))
    assert await _refunded(db, paid["id"]) == Decimal(100)


async def test_a_refund_in_another_currency_is_refused(
    client: httpx.AsyncClient, admin: Caller, new_booking: NewBooking
) -> None:
    booking = await new_booking("100.00")
    paid = ok(await pay(client, admin, booking, "100"))
    refused = await refund(client, admin, paid["id"], "10", currency="USD")
    assert refused.status_code == 422
    ok(await refund(client, admin, paid["id"], "10", currency="EUR"))


async def test_a_cancelled_booking_can_still_be_refunded(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking("60.00")
    paid = ok(await pay(client, admin, booking, "60"))
    async with db() as session, session.begin():
        row = await session.get(Booking, booking)
        assert row is not None
        row.status = "cancelled"
    ok(await refund(client, admin, paid["id"], "60"))


async def test_concurrent_refunds_never_exceed_the_capture(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    """10 refunds of 30 on a captured 100 at once, each request on its own connection:
    exactly 3 succeed, the 7 others are 409, and 90 was refunded."""
    booking = await new_booking("100.00")
    paid = ok(await pay(client, admin, booking, "100"))
    responses = await asyncio.gather(*(refund(client, admin, paid["id"], "30") for _ in range(10)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 3 + [409] * 7, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {
        "refund_exceeds_captured"
    }
    assert await _refunded(db, paid["id"]) == Decimal(90)


async def test_concurrent_refunds_in_the_service_on_separate_connections(
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
) -> None:
    """The same race without HTTP: eight sessions, each on its own connection, refund
    25 of a captured 100 at the same time."""
    booking = await new_booking("100.00")
    paid = ok(await pay(client, admin, booking, "100"))
    actor = service.Actor(admin.user_id, RequestMeta(None, None, None))

    async def one() -> str:
        async with open_session(db, write=True) as session:
            try:
                await service.refund_payment(
                    session,
                    uuid.UUID(paid["id"]),
                    RefundCreate(amount=Decimal(25)),
                    actor=actor,
                    idempotency_key=None,
                )
                await session.commit()
            except AppError as error:
                await session.rollback()
                return error.code
        return "ok"

    outcomes = await asyncio.gather(*(one() for _ in range(8)))
    assert sorted(outcomes) == ["ok"] * 4 + ["refund_exceeds_captured"] * 4
    assert await _refunded(db, paid["id"]) == Decimal(100)


async def test_concurrent_payments_never_exceed_the_balance(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking("100.00")
    responses = await asyncio.gather(*(pay(client, admin, booking, "30") for _ in range(10)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 3 + [409] * 7, [r.text for r in responses]
    async with db() as session:
        taken = await session.scalar(
            select(func.sum(PaymentTransaction.amount)).where(
                PaymentTransaction.booking_id == booking
            )
        )
    assert taken == Decimal(90)
