"""Recording payments: the balance rule, the summary, the timeline, the bus, and who may."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.orders.models import OrderEvent
from frontdesk.business.payments import service
from frontdesk.business.payments.schemas import PaymentSummary
from frontdesk.core.events import DomainEvent
from frontdesk.security.audit.models import AuditLog
from tests.business.payments.conftest import NewBooking
from tests.business.payments.support import (
    API,
    NOTHING,
    count,
    keyed,
    move,
    ok,
    pay,
    points_served_by,
    refund,
    stored,
)
from tests.security.audit.callers import Caller, signed_in


async def _summary(client: httpx.AsyncClient, caller: Caller, booking: uuid.UUID) -> dict[str, str]:
    listed = ok(await client.get(f"{API}/bookings/{booking}/payments", headers=caller.headers), 200)
    summary: dict[str, str] = listed["summary"]
    return summary


async def test_a_cash_payment_is_captured_with_its_timeline_and_audit(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking("100.00")
    paid = ok(await pay(client, admin, booking, "30.50"))
    assert (paid["status"], paid["kind"], paid["method"]) == ("captured", "payment", "cash")
    assert (paid["amount"], paid["currency"], paid["refundable"]) == ("30.5", "EUR", "30.5")
    async with db() as session:
        events = list(
            await session.scalars(
                select(OrderEvent).where(OrderEvent.order_id == booking).order_by(OrderEvent.id)
            )
        )
    assert [event.event_type for event in events] == ["payment.recorded", "payment.captured"]
    assert events[1].event_data == {
        "payment_id": paid["id"],
        "method": "cash",
        "amount": "30.5",
        "currency": "EUR",
        "from": "pending",
        "to": "captured",
    }
    assert await count(db, AuditLog, AuditLog.action.like("payment.%")) == 2
    timeline = ok(await client.get(f"{API}/bookings/{booking}/events", headers=admin.headers), 200)
    assert [entry["event_type"] for entry in timeline] == ["payment.recorded", "payment.captured"]


async def test_a_card_payment_needs_the_terminal_reference_and_can_be_held(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking("80.00")
    missing = await pay(client, admin, booking, "80", method="card")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["path"] == "body.external_reference"
    assert await stored(db) == NOTHING
    held = ok(
        await pay(
            client, admin, booking, "80", method="card", external_reference="T-1", capture=False
        )
    )
    assert (held["status"], held["external_reference"], held["refundable"]) == (
        "authorized",
        "T-1",
        "0",
    )
    summary = await _summary(client, admin, booking)
    assert (summary["paid"], summary["authorized"], summary["balance_due"]) == ("0", "80", "80")
    # The hold counts against the balance: nothing more can be taken meanwhile.
    over = await pay(client, admin, booking, "0.01")
    assert (over.status_code, over.json()["code"]) == (409, "amount_exceeds_balance_due")
    captured = ok(await move(client, admin, held["id"], "capture"), 200)
    assert captured["status"] == "captured"
    summary = await _summary(client, admin, booking)
    assert (summary["paid"], summary["authorized"], summary["balance_due"]) == ("80", "0", "0")


async def test_cash_cannot_be_only_authorized(
    client: httpx.AsyncClient, admin: Caller, new_booking: NewBooking
) -> None:
    booking = await new_booking()
    refused = await pay(client, admin, booking, "10", capture=False)
    assert (refused.status_code, refused.json()["code"]) == (422, "authorization_not_supported")


async def test_a_method_without_a_provider_is_refused(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking()
    with points_served_by(None):
        refused = await pay(client, admin, booking, "10", method="points")
    assert (refused.status_code, refused.json()["code"]) == (422, "payment_method_unavailable")
    assert await stored(db) == NOTHING


async def test_payments_never_exceed_the_balance_due(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking("50.00")
    ok(await pay(client, admin, booking, "20"))
    over = await pay(client, admin, booking, "30.01")
    assert (over.status_code, over.json()["code"]) == (409, "amount_exceeds_balance_due")
    assert over.json()["balance_due"] == "30"
    ok(await pay(client, admin, booking, "30"))
    summary = await _summary(client, admin, booking)
    assert summary == {
        "booking_id": str(booking),
        "currency": "EUR",
        "total": "50",
        "paid": "50",
        "refunded": "0",
        "net": "50",
        "balance_due": "0",
        "authorized": "0",
    }
    assert (await stored(db))["payments"] == 2


async def test_a_cancelled_booking_takes_no_payment(
    client: httpx.AsyncClient, admin: Caller, new_booking: NewBooking
) -> None:
    booking = await new_booking(status="cancelled")
    refused = await pay(client, admin, booking, "10")
    assert (refused.status_code, refused.json()["code"]) == (409, "booking_not_payable")


async def test_an_unknown_booking_is_404(client: httpx.AsyncClient, admin: Caller) -> None:
    missing = await pay(client, admin, uuid.uuid4(), "10")
    assert missing.status_code == 404
    listed = await client.get(f"{API}/bookings/{uuid.uuid4()}/payments", headers=admin.headers)
    assert listed.status_code == 404


async def test_the_summary_counts_refunds_and_the_service_agrees(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking("120.00")
    first = ok(await pay(client, admin, booking, "70.00"))
    ok(await pay(client, admin, booking, "50.00", method="gift_card"))
    ok(await refund(client, admin, first["id"], "25.50"))
    summary = await _summary(client, admin, booking)
    assert (summary["paid"], summary["refunded"], summary["net"], summary["balance_due"]) == (
        "120",
        "25.5",
        "94.5",
        "25.5",
    )
    async with db() as session:
        direct = await service.summary(session, booking)
    assert direct == PaymentSummary(
        booking_id=booking,
        currency="EUR",
        total=Decimal(120),
        paid=Decimal(120),
        refunded=Decimal("25.5"),
        net=Decimal("94.5"),
        balance_due=Decimal("25.5"),
        authorized=Decimal(0),
    )
    listed = ok(await client.get(f"{API}/bookings/{booking}/payments", headers=admin.headers), 200)
    first_row = listed["transactions"][0]
    assert (first_row["refunded"], first_row["refundable"]) == ("25.5", "44.5")
    assert [row["kind"] for row in listed["transactions"]] == ["payment", "payment", "refund"]


async def test_booking_paid_is_published_once_and_refunds_carry_amounts(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    published: list[DomainEvent],
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking("100.00")
    ok(await pay(client, admin, booking, "60"))
    assert published == []  # not paid in full yet
    second = ok(await pay(client, admin, booking, "40"))
    assert [event.name for event in published] == ["booking.paid"]
    assert published[0].payload["booking_id"] == booking
    assert published[0].payload["net"] == Decimal(100)
    assert published[0].payload["payment_id"] == uuid.UUID(second["id"])
    ok(await refund(client, admin, second["id"], "40", reason="unhappy"))
    ok(await pay(client, admin, booking, "40"))  # paid in full again: not published again
    assert [event.name for event in published] == ["booking.paid", "payment.refunded"]
    refunded = published[1].payload
    assert (refunded["amount"], refunded["refunded_total"], refunded["currency"]) == (
        Decimal(40),
        Decimal(40),
        "EUR",
    )
    assert refunded["payment_id"] == uuid.UUID(second["id"])
    assert await count(db, OrderEvent, OrderEvent.event_type == "booking.paid") == 1


async def test_who_may_do_what(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    desk = await signed_in(app, db, role="receptionist")
    stylist = await signed_in(app, db, role="staff")
    booking = await new_booking()
    paid = ok(await pay(client, desk, booking, "10"))  # the desk records payments
    assert (await pay(client, stylist, booking, "10")).status_code == 403
    assert (await refund(client, desk, paid["id"], "1")).status_code == 403
    assert (await move(client, stylist, paid["id"], "void")).status_code == 403
    export = await client.get(
        f"{API}/payments/export",
        headers=desk.headers,
        params={"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
    )
    assert export.status_code == 403
    anonymous = await client.post(f"{API}/bookings/{booking}/payments", json={})
    assert anonymous.status_code == 401
    assert (await client.get(f"{API}/bookings/{booking}/payments")).status_code == 401
    # Reading: staff with payments:read, or the booking's own customer; anyone else 404.
    assert (
        await client.get(f"{API}/bookings/{booking}/payments", headers=stylist.headers)
    ).status_code == 404
    assert (await stored(db))["payments"] == 1


async def test_a_customer_reads_only_its_own_bookings_payments(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    account = await signed_in(app, db, role="customer")
    mine = ok(
        await client.post(f"{API}/me/customers", headers=account.headers, json={"name": "Me"})
    )
    booking = await new_booking(customer_id=uuid.UUID(mine["id"]))
    other = await new_booking()
    ok(await pay(client, admin, booking, "10"))
    listed = ok(
        await client.get(f"{API}/bookings/{booking}/payments", headers=account.headers), 200
    )
    assert listed["summary"]["paid"] == "10"
    hidden = await client.get(f"{API}/bookings/{other}/payments", headers=account.headers)
    assert hidden.status_code == 404
    assert (await pay(client, account, booking, "1")).status_code == 403


async def test_a_payment_never_logs_a_card_number(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking()
    refused = await pay(
        client, admin, booking, "10", method="card", external_reference="4111 1111 1111 1111"
    )
    assert refused.status_code == 422
    assert await stored(db) == NOTHING
    response = await client.post(
        f"{API}/bookings/{booking}/payments",
        headers=keyed(admin),
        json={
            "amount": "10",
            "currency": "EUR",
            "method": "card",
            "external_reference": "AUTH 0042",
        },
    )
    assert ok(response)["external_reference"] == "AUTH 0042"
