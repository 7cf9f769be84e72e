"""A booking's one discount: recomputed from its rule when the lines change, one per
booking, fixed once money moves, and removed with an event for whoever granted it."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.orders import discounts, lifecycle
from frontdesk.business.orders.lines import Actor
from frontdesk.business.orders.pricing import DiscountRule, Line, discount_for
from frontdesk.core import clock
from frontdesk.core.request_context import RequestMeta
from tests.business.orders.test_booking import API, admin, customer_account
from tests.business.orders.test_lines import _add, _booked, _events, _product
from tests.business.payments.support import pay
from tests.events import listening
from tests.security.audit.callers import Caller

__all__ = ["admin"]  # a fixture, imported for pytest to find

SERVICE = uuid.uuid4()
PRODUCT = uuid.uuid4()


def _line(price: str, quantity: int = 1, *, service: bool = True) -> Line:
    unit = Decimal(price)
    return Line(
        service_id=SERVICE if service else None,
        product_id=None if service else PRODUCT,
        unit_price=unit,
        line_total=unit * quantity,
    )


# --- pricing: the arithmetic ------------------------------------------------------------


def test_a_percent_discount_rounds_half_up_to_the_currency() -> None:
    rule = DiscountRule("percent", Decimal("12.5"))
    assert discount_for(rule, [_line("30.50")], "EUR") == Decimal("3.81")  # 3.8125
    assert discount_for(rule, [_line("30.50")], "JPY") == Decimal("4")
    assert discount_for(DiscountRule("percent", Decimal(10)), [_line("0.05")], "EUR") == Decimal(
        "0.01"
    )  # 0.005, half up


def test_an_amount_never_exceeds_the_lines_in_scope() -> None:
    rule = DiscountRule("amount", Decimal(50), product_ids=frozenset({PRODUCT}))
    lines = [_line("30"), _line("12.25", 2, service=False)]
    assert discount_for(rule, lines, "EUR") == Decimal("24.50")


def test_a_free_item_is_one_unit_of_the_dearest_line_in_scope() -> None:
    rule = DiscountRule("free_item", product_ids=frozenset({PRODUCT}))
    lines = [_line("99"), _line("12.25", 3, service=False)]
    assert discount_for(rule, lines, "EUR") == Decimal("12.25")
    assert discount_for(rule, [_line("99")], "EUR") == 0  # nothing in scope


@pytest.mark.parametrize(
    ("kind", "value"), [("percent", "100.01"), ("percent", "-1"), ("amount", "-0.01"), ("x", "1")]
)
def test_a_rule_out_of_range_is_a_programming_error(kind: Any, value: str) -> None:
    with pytest.raises(ValueError, match="discount"):
        DiscountRule(kind, Decimal(value))


def test_a_rule_survives_its_json_form() -> None:
    rule = DiscountRule("percent", Decimal("7.5"), service_ids=frozenset({SERVICE}))
    assert DiscountRule.from_json(rule.as_json()) == rule
    minimum = DiscountRule("amount", Decimal(5), min_subtotal=Decimal("49.99"))
    assert DiscountRule.from_json(minimum.as_json()) == minimum


def test_below_its_minimum_subtotal_a_discount_takes_nothing() -> None:
    rule = DiscountRule(
        "percent", Decimal(10), service_ids=frozenset({SERVICE}), min_subtotal=Decimal(40)
    )
    service, product = _line("30"), _line("10", service=False)
    assert discount_for(rule, [service, product], "EUR") == Decimal("3.00")  # 40 reached
    assert discount_for(rule, [service], "EUR") == 0  # 30: below the minimum


prices = st.decimals(min_value=0, max_value=10_000, places=2)


@given(
    kind=st.sampled_from(["percent", "amount", "free_item"]),
    value=st.decimals(min_value=0, max_value=100, places=2),
    lines=st.lists(st.tuples(prices, st.integers(1, 5), st.booleans()), max_size=6),
)
def test_a_discount_is_never_negative_nor_above_its_scope(
    kind: Any, value: Decimal, lines: list[tuple[Decimal, int, bool]]
) -> None:
    rule = DiscountRule(kind, value, service_ids=frozenset({SERVICE}))
    priced = [_line(str(price), qty, service=is_service) for price, qty, is_service in lines]
    in_scope = sum((line.line_total for line in priced if line.service_id), Decimal(0))
    off = discount_for(rule, priced, "EUR")
    assert 0 <= off <= in_scope
    assert off == off.quantize(Decimal("0.01"))


# --- on a booking -----------------------------------------------------------------------


async def _apply(
    db: async_sessionmaker[AsyncSession],
    booking_id: str,
    rule: DiscountRule,
    *,
    actor: Caller,
    source: str = "voucher",
) -> tuple[Decimal, uuid.UUID]:
    """What the rewards layer does: lock the booking and apply, in one transaction."""
    reference = uuid.uuid4()
    async with db() as session, session.begin():
        booking = await lifecycle.locked_booking(session, uuid.UUID(booking_id))
        off = await discounts.apply_discount(
            session,
            booking,
            rule,
            source=source,
            reference_id=reference,
            actor=Actor(actor.user_id, clock.now(), RequestMeta(None, None, None)),
        )
    return off, reference


async def _booking(client: httpx.AsyncClient, caller: Caller, booking_id: str) -> dict[str, Any]:
    response = await client.get(f"{API}/bookings/{booking_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_percent_discount_follows_the_lines(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    booking = await _booked(client, admin)  # the service line: 30.50
    off, reference = await _apply(
        db, booking["id"], DiscountRule("percent", Decimal(10)), actor=admin
    )
    assert off == Decimal("3.05")
    shown = await _booking(client, admin, booking["id"])
    assert (shown["subtotal"], shown["discount"], shown["total"]) == ("30.5", "3.05", "27.45")
    assert (shown["discount_source"], shown["discount_reference_id"]) == ("voucher", str(reference))
    added = await _add(client, admin, booking["id"], await _product(db, "10", stock=3), 1)
    assert (added.json()["discount"], added.json()["total"]) == ("4.05", "36.45")
    applied = [
        e
        for e in await _events(client, admin, booking["id"])
        if e["event_type"] == "voucher.applied"
    ]
    assert [e["event_data"]["discount"] for e in applied] == ["3.05"]
    assert applied[0]["event_data"]["reference_id"] == str(reference)


async def test_a_minimum_spend_discount_lapses_and_returns_with_the_lines(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    booking = await _booked(client, admin)  # the service line: 30.50
    shampoo = await _product(db, "10", stock=3)
    added = await _add(client, admin, booking["id"], shampoo, 1)
    [line] = [item for item in added.json()["items"] if item["kind"] == "product"]
    rule = DiscountRule("percent", Decimal(10), min_subtotal=Decimal(40))
    off, _ = await _apply(db, booking["id"], rule, actor=admin)
    assert off == Decimal("4.05")
    path = f"{API}/bookings/{booking['id']}/items/{line['id']}"
    removed = await client.delete(path, headers=admin.headers)
    assert removed.status_code == 200, removed.text
    shown = await _booking(client, admin, booking["id"])
    assert (shown["discount"], shown["total"], shown["discount_source"]) == ("0", "30.5", "voucher")
    again = await _add(client, admin, booking["id"], shampoo, 1)
    assert (again.json()["discount"], again.json()["total"]) == ("4.05", "36.45")


async def test_one_discount_per_booking(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    booking = await _booked(client, admin)
    await _apply(db, booking["id"], DiscountRule("amount", Decimal(5)), actor=admin)
    with pytest.raises(discounts.DiscountAlreadyAppliedError):
        await _apply(
            db, booking["id"], DiscountRule("percent", Decimal(50)), actor=admin, source="offer"
        )
    assert (await _booking(client, admin, booking["id"]))["discount"] == "5"


async def test_a_discount_that_takes_nothing_off_is_refused_and_leaves_nothing(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    booking = await _booked(client, admin)
    rule = DiscountRule("free_item", product_ids=frozenset({uuid.uuid4()}))
    with pytest.raises(discounts.DiscountNotApplicableError):
        await _apply(db, booking["id"], rule, actor=admin)
    shown = await _booking(client, admin, booking["id"])
    assert (shown["discount"], shown["discount_source"]) == ("0", None)


async def test_once_money_moved_the_discount_is_fixed(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    booking = await _booked(client, admin)
    assert (await pay(client, admin, booking["id"], "10.00")).status_code == 201
    with pytest.raises(discounts.BookingHasPaymentsError):
        await _apply(db, booking["id"], DiscountRule("amount", Decimal(5)), actor=admin)


async def test_a_closed_booking_takes_no_discount(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    booking = await _booked(client, admin)
    cancelled = await client.post(f"{API}/bookings/{booking['id']}/cancel", headers=admin.headers)
    assert cancelled.status_code == 200, cancelled.text
    with pytest.raises(Exception, match="lines cannot change"):
        await _apply(db, booking["id"], DiscountRule("amount", Decimal(5)), actor=admin)


async def test_removing_the_discount_restores_the_total_and_tells_the_granter(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    booking = await _booked(client, admin)
    _, reference = await _apply(db, booking["id"], DiscountRule("amount", Decimal(5)), actor=admin)
    with listening(discounts.DISCOUNT_REMOVED) as heard:
        removed = await client.request(
            "DELETE",
            f"{API}/bookings/{booking['id']}/discount",
            headers=admin.headers,
            json={"reason": "customer changed their mind"},
        )
    assert removed.status_code == 200, removed.text
    body = removed.json()
    assert (body["discount"], body["total"], body["discount_source"]) == ("0", "30.5", None)
    [event] = heard
    assert (event.payload["source"], event.payload["reference_id"]) == ("voucher", reference)
    last = (await _events(client, admin, booking["id"]))[-1]
    assert last["event_type"] == "voucher.removed"
    assert last["event_data"]["reason"] == "customer changed their mind"
    again = await client.delete(f"{API}/bookings/{booking['id']}/discount", headers=admin.headers)
    assert (again.status_code, again.json()["code"]) == (409, "no_discount")


async def test_a_customer_removes_only_their_own_bookings_discount(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    app: FastAPI,
) -> None:
    booking = await _booked(client, admin)  # for a walk-in, not this account's profile
    await _apply(db, booking["id"], DiscountRule("amount", Decimal(5)), actor=admin)
    account, _ = await customer_account(app, client, db)
    response = await client.delete(
        f"{API}/bookings/{booking['id']}/discount", headers=account.headers
    )
    assert response.status_code == 404
    assert (await _booking(client, admin, booking["id"]))["discount"] == "5"


async def test_the_cancellation_event_names_the_discount(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    booking = await _booked(client, admin)
    _, reference = await _apply(db, booking["id"], DiscountRule("amount", Decimal(5)), actor=admin)
    with listening("booking.cancelled") as heard:
        await client.post(f"{API}/bookings/{booking['id']}/cancel", headers=admin.headers)
    [event] = heard
    assert (event.payload["discount_source"], event.payload["discount_reference_id"]) == (
        "voucher",
        reference,
    )
