"""The payment transition table: every allowed move, every refused one (409), through
the rules alone and through the API on rows placed in each state."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.orders.lifecycle import InvalidTransitionError
from frontdesk.business.payments import rules
from frontdesk.business.payments.models import PAYMENT_STATUSES, PaymentTransaction
from frontdesk.core.db import transaction
from tests.business.payments.conftest import NewBooking
from tests.business.payments.support import move, ok, pay, refund
from tests.security.audit.callers import Caller

ACTIONS = ("authorize", "capture", "void", "fail")
ALLOWED = {
    ("pending", "authorize"): "authorized",
    ("pending", "capture"): "captured",
    ("pending", "fail"): "failed",
    ("authorized", "capture"): "captured",
    ("authorized", "void"): "voided",
    ("authorized", "fail"): "failed",
}


@pytest.mark.parametrize("status", PAYMENT_STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_the_table_allows_exactly_these_moves(status: str, action: str) -> None:
    expected = ALLOWED.get((status, action))
    if expected is None:
        with pytest.raises(InvalidTransitionError):
            rules.check_move("payment", status, action)
    else:
        assert rules.check_move("payment", status, action).target == expected
    with pytest.raises(InvalidTransitionError):
        rules.check_move("refund", status, action)  # a refund row never moves


def test_final_states_have_no_way_out() -> None:
    for status in rules.FINAL_STATUSES:
        assert not any(status in move.sources for move in rules.TRANSITIONS.values())


@pytest.mark.parametrize("status", PAYMENT_STATUSES)
def test_only_a_captured_payment_can_be_refunded(status: str) -> None:
    if status == "captured":
        rules.check_refundable("payment", status)
    else:
        with pytest.raises(InvalidTransitionError):
            rules.check_refundable("payment", status)
    with pytest.raises(InvalidTransitionError):
        rules.check_refundable("refund", status)


async def _payment_in(
    db: async_sessionmaker[AsyncSession], booking_id: uuid.UUID, status: str
) -> str:
    """A card payment of 40 placed straight in ``status`` (pending rows only exist while
    a provider answers, so the API cannot leave one behind)."""
    async with transaction(db) as session:
        row = PaymentTransaction(
            booking_id=booking_id,
            amount=Decimal(40),
            currency="EUR",
            payment_method="card",
            status=status,
            kind="payment",
            external_reference="T-42",
        )
        session.add(row)
        await session.flush()
        return str(row.id)


@pytest.mark.parametrize("status", ["pending", "authorized", "captured", "failed", "voided"])
@pytest.mark.parametrize("action", ["capture", "void", "fail"])
async def test_every_move_through_the_api(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
    status: str,
    action: str,
) -> None:
    booking = await new_booking("100.00")
    payment = await _payment_in(db, booking, status)
    response = await move(client, admin, payment, action)
    expected = ALLOWED.get((status, action))
    if expected is None:
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "invalid_transition"
    else:
        assert ok(response, 200)["status"] == expected


async def test_refund_rows_and_unsettled_payments_refuse_refunds_and_moves(
    client: httpx.AsyncClient, admin: Caller, new_booking: NewBooking
) -> None:
    booking = await new_booking("100.00")
    paid = ok(await pay(client, admin, booking, "50"))
    back = ok(await refund(client, admin, paid["id"], "10"))
    assert (back["kind"], back["status"], back["refund_of_id"]) == (
        "refund",
        "refunded",
        paid["id"],
    )
    for action in ("capture", "void", "fail"):
        refused = await move(client, admin, back["id"], action)
        assert (refused.status_code, refused.json()["code"]) == (409, "invalid_transition")
    again = await refund(client, admin, back["id"], "1")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    held = ok(
        await pay(
            client, admin, booking, "20", method="card", external_reference="H", capture=False
        )
    )
    early = await refund(client, admin, held["id"], "1")
    assert (early.status_code, early.json()["code"]) == (409, "invalid_transition")


async def test_a_capture_that_would_overpay_is_refused(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    """A hold placed straight in the database beyond the balance (as if the booking's
    total had fallen since) cannot be captured; it can still be voided."""
    booking = await new_booking("30.00")
    payment = await _payment_in(db, booking, "authorized")  # 40 held on a total of 30
    refused = await move(client, admin, payment, "capture")
    assert (refused.status_code, refused.json()["code"]) == (409, "amount_exceeds_balance_due")
    assert ok(await move(client, admin, payment, "void"), 200)["status"] == "voided"


async def test_an_unknown_payment_is_404(client: httpx.AsyncClient, admin: Caller) -> None:
    assert (await move(client, admin, str(uuid.uuid4()), "capture")).status_code == 404
    assert (await refund(client, admin, str(uuid.uuid4()), "1")).status_code == 404
