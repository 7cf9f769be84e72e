"""Product lines on bookings and product-only sales: stock moves at once, totals are the
server's exact sums, a cancellation puts the stock back, and no sale ever oversells."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.inventory.models import InventoryLog, Product
from frontdesk.business.inventory.stock import move_stock
from frontdesk.core import clock
from tests.business.orders.test_booking import API, _body, _salon, admin, customer_account
from tests.events import listening
from tests.security.audit.callers import Caller

__all__ = ["admin"]  # a fixture, imported for pytest to find

_skus = itertools.count()


async def _product(
    db: async_sessionmaker[AsyncSession], price: str, stock: int, *, active: bool = True
) -> uuid.UUID:
    """A product whose stock came in through a restock log, as the products API does it."""
    async with db() as session, session.begin():
        product = Product(
            name=f"Shampoo {next(_skus)}",
            sku=f"SKU-{uuid.uuid4().hex[:12]}",
            price=Decimal(price),
            is_active=active,
        )
        session.add(product)
        await session.flush()
        if stock:
            await move_stock(
                session,
                product.id,
                action="restock",
                quantity=stock,
                now=clock.now(),
                actor_id=None,
            )
        return product.id


async def _stock(db: async_sessionmaker[AsyncSession], product_id: uuid.UUID) -> tuple[int, int]:
    """(stock_quantity, sum of its logs)."""
    async with db() as session:
        stock = await session.scalar(select(Product.stock_quantity).where(Product.id == product_id))
        logged = await session.scalar(
            select(func.coalesce(func.sum(InventoryLog.quantity), 0)).where(
                InventoryLog.product_id == product_id
            )
        )
    return int(stock or 0), int(logged or 0)


async def _booked(client: httpx.AsyncClient, admin: Caller) -> dict[str, Any]:
    salon = await _salon(client, admin, stylists=1)
    response = await client.post(f"{API}/bookings", headers=admin.headers, json=_body(salon))
    assert response.status_code == 201, response.text
    booking: dict[str, Any] = response.json()
    return booking


async def _add(
    client: httpx.AsyncClient, caller: Caller, booking_id: str, product_id: uuid.UUID, qty: int
) -> httpx.Response:
    return await client.post(
        f"{API}/bookings/{booking_id}/items",
        headers=caller.headers,
        json={"product_id": str(product_id), "quantity": qty},
    )


async def _events(client: httpx.AsyncClient, caller: Caller, booking_id: str) -> list[Any]:
    response = await client.get(f"{API}/bookings/{booking_id}/events", headers=caller.headers)
    events: list[Any] = response.json()
    return events


async def test_a_product_line_moves_stock_and_the_totals_at_once(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    booking = await _booked(client, admin)  # the service line: 30.50
    shampoo = await _product(db, "12.25", stock=5)
    added = await _add(client, admin, booking["id"], shampoo, 2)
    assert added.status_code == 201, added.text
    body = added.json()
    assert (body["subtotal"], body["discount"], body["total"]) == ("55", "0", "55")
    [line] = [item for item in body["items"] if item["kind"] == "product"]
    assert (line["product_id"], line["quantity"], line["unit_price"], line["line_total"]) == (
        str(shampoo),
        2,
        "12.25",
        "24.5",
    )
    assert await _stock(db, shampoo) == (3, 3)
    event = (await _events(client, admin, booking["id"]))[-1]
    assert event["event_type"] == "booking.item_added"
    assert {
        k: event["event_data"][k] for k in ("quantity", "line_total", "total", "stock_after")
    } == {
        "quantity": 2,
        "line_total": "24.5",
        "total": "55",
        "stock_after": 3,
    }
    async with db() as session:
        sale = await session.scalar(
            select(InventoryLog).where(
                InventoryLog.product_id == shampoo, InventoryLog.action == "sale"
            )
        )
    assert sale is not None
    assert (str(sale.booking_id), sale.quantity, sale.user_id) == (booking["id"], -2, admin.user_id)


async def test_more_than_the_stock_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    booking = await _booked(client, admin)
    shampoo = await _product(db, "9.99", stock=2)
    refused = await _add(client, admin, booking["id"], shampoo, 3)
    assert refused.status_code == 409
    assert (refused.json()["code"], refused.json()["available"]) == ("insufficient_stock", 2)
    after = (await client.get(f"{API}/bookings/{booking['id']}", headers=admin.headers)).json()
    assert (after["total"], len(after["items"])) == (booking["total"], 1)
    assert await _stock(db, shampoo) == (2, 2)
    assert (await _events(client, admin, booking["id"]))[-1]["event_type"] == "booking.created"


async def test_removing_a_line_gives_the_stock_back(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    booking = await _booked(client, admin)
    shampoo = await _product(db, "12.25", stock=5)
    added = (await _add(client, admin, booking["id"], shampoo, 2)).json()
    [line] = [item for item in added["items"] if item["kind"] == "product"]
    [service_line] = [item for item in added["items"] if item["kind"] == "service"]
    url = f"{API}/bookings/{booking['id']}/items"
    removed = await client.delete(f"{url}/{line['id']}", headers=admin.headers)
    assert removed.status_code == 200, removed.text
    assert (removed.json()["total"], len(removed.json()["items"])) == ("30.5", 1)
    assert await _stock(db, shampoo) == (5, 5)
    assert (await _events(client, admin, booking["id"]))[-1]["event_type"] == "booking.item_removed"
    service = await client.delete(f"{url}/{service_line['id']}", headers=admin.headers)
    assert (service.status_code, service.json()["code"]) == (409, "booking_closed")
    missing = await client.delete(f"{url}/{uuid.uuid4()}", headers=admin.headers)
    assert missing.status_code == 404


async def test_cancelling_puts_the_products_back_and_closes_the_lines(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    booking = await _booked(client, admin)
    shampoo = await _product(db, "12.25", stock=5)
    await _add(client, admin, booking["id"], shampoo, 3)
    with listening("booking.cancelled") as published:
        cancelled = await client.post(
            f"{API}/bookings/{booking['id']}/cancel", headers=admin.headers, json=None
        )
    assert cancelled.status_code == 200, cancelled.text
    assert await _stock(db, shampoo) == (5, 5)
    event = (await _events(client, admin, booking["id"]))[-1]
    assert event["event_data"]["returned_stock"] == [{"product_id": str(shampoo), "quantity": 3}]
    [sent] = published
    assert (sent.payload["booking_id"], sent.payload["status"]) == (
        uuid.UUID(booking["id"]),
        "cancelled",
    )
    closed = await _add(client, admin, booking["id"], shampoo, 1)
    assert (closed.status_code, closed.json()["code"]) == (409, "booking_closed")


async def test_a_deactivated_product_cannot_be_sold(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    booking = await _booked(client, admin)
    retired = await _product(db, "5", stock=4, active=False)
    refused = await _add(client, admin, booking["id"], retired, 1)
    assert (refused.status_code, refused.json()["code"]) == (409, "product_inactive")
    unknown = await _add(client, admin, booking["id"], uuid.uuid4(), 1)
    assert unknown.status_code == 422
    assert await _stock(db, retired) == (4, 4)


@pytest.mark.parametrize("quantity", [0, -1, 1001, "2.5", None])
async def test_bad_quantities_are_422(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession], quantity: Any
) -> None:
    booking = await _booked(client, admin)
    shampoo = await _product(db, "1", stock=3)
    refused = await client.post(
        f"{API}/bookings/{booking['id']}/items",
        headers=admin.headers,
        json={"product_id": str(shampoo), "quantity": quantity},
    )
    assert refused.status_code == 422
    assert await _stock(db, shampoo) == (3, 3)


async def test_a_product_only_sale_completes_without_an_appointment(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    shampoo, comb = await _product(db, "12.25", stock=5), await _product(db, "3.10", stock=5)
    sold = await client.post(
        f"{API}/sales",
        headers=admin.headers,
        json={"items": [{"product_id": str(shampoo), "quantity": 2}, {"product_id": str(comb)}]},
    )
    assert sold.status_code == 201, sold.text
    sale = sold.json()
    assert (sale["appointment"], sale["customer_id"], sale["status"], sale["total"]) == (
        None,
        None,
        "confirmed",
        "27.6",
    )
    done = await client.post(f"{API}/bookings/{sale['id']}/complete", headers=admin.headers)
    assert (done.status_code, done.json()["status"]) == (200, "completed")
    assert [await _stock(db, p) for p in (shampoo, comb)] == [(3, 3), (4, 4)]
    types = [event["event_type"] for event in await _events(client, admin, sale["id"])]
    assert types == [
        "booking.created",
        "booking.item_added",
        "booking.item_added",
        "booking.completed",
    ]
    no_show = await client.post(f"{API}/bookings/{sale['id']}/no-show", headers=admin.headers)
    assert (no_show.status_code, no_show.json()["code"]) == (409, "invalid_transition")


async def test_a_retried_sale_sells_once(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    shampoo = await _product(db, "12.25", stock=5)
    headers = {**admin.headers, "Idempotency-Key": "till-42"}
    body = {"items": [{"product_id": str(shampoo), "quantity": 2}]}
    first = await client.post(f"{API}/sales", headers=headers, json=body)
    again = await client.post(f"{API}/sales", headers=headers, json=body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await _stock(db, shampoo) == (3, 3)
    changed = await client.post(
        f"{API}/sales", headers=headers, json={"items": [{"product_id": str(shampoo)}]}
    )
    assert changed.status_code == 422
    assert await _stock(db, shampoo) == (3, 3)


async def test_customer_accounts_cannot_sell(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await _booked(client, admin)
    shampoo = await _product(db, "1", stock=3)
    account, _ = await customer_account(app, client, db)
    assert (await _add(client, account, booking["id"], shampoo, 1)).status_code == 403
    sale = await client.post(
        f"{API}/sales", headers=account.headers, json={"items": [{"product_id": str(shampoo)}]}
    )
    assert sale.status_code == 403
    assert await _stock(db, shampoo) == (3, 3)


async def test_fifty_concurrent_sales_of_ten_in_stock_sell_exactly_ten(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    """SECURITY.md 18: each sale on its own connection and transaction, all at once."""
    shampoo = await _product(db, "4.50", stock=10)
    body = {"items": [{"product_id": str(shampoo), "quantity": 1}]}
    responses = await asyncio.gather(
        *(client.post(f"{API}/sales", headers=admin.headers, json=body) for _ in range(50))
    )
    outcomes = Counter((r.status_code, r.json().get("code")) for r in responses)
    assert outcomes == {(201, None): 10, (409, "insufficient_stock"): 40}, outcomes
    assert await _stock(db, shampoo) == (0, 0)


PER_EXAMPLE = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
line_mixes = st.lists(st.tuples(prices, st.integers(1, 1000)), min_size=1, max_size=6)


@PER_EXAMPLE
@given(mix=line_mixes)
async def test_totals_are_the_exact_sum_of_any_line_mix(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    mix: list[tuple[Decimal, int]],
) -> None:
    items = [
        {"product_id": str(await _product(db, str(price), stock=quantity)), "quantity": quantity}
        for price, quantity in mix
    ]
    sold = await client.post(f"{API}/sales", headers=admin.headers, json={"items": items})
    assert sold.status_code == 201, sold.text
    expected = sum((price * quantity for price, quantity in mix), Decimal(0))
    assert Decimal(sold.json()["subtotal"]) == expected
    assert Decimal(sold.json()["total"]) == expected
    lines = {item["product_id"]: Decimal(item["line_total"]) for item in sold.json()["items"]}
    assert sorted(lines.values()) == sorted(price * quantity for price, quantity in mix)
