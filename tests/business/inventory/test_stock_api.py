"""Restock, adjust, the movement log and the low-stock list through the API: every
movement is one log row, bad input changes nothing, the stock never goes below zero."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.security.audit.models import AuditLog
from tests.business.inventory.conftest import URL, create, ledger, ok
from tests.security.audit.callers import Caller


async def _move(
    client: httpx.AsyncClient, caller: Caller, product_id: str, kind: str, **body: Any
) -> httpx.Response:
    return await client.post(f"{URL}/{product_id}/{kind}", headers=caller.headers, json=body)


async def test_restock_adds_and_logs_who_and_why(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    created = await create(client, manager, initial_stock=2, reorder_level=5)
    moved = await ok(await _move(client, manager, created["id"], "restock", quantity=10,
                                 reason=" delivery 42 "))  # fmt: skip
    assert moved["product"]["stock_quantity"] == 12
    assert moved["product"]["low_stock"] is False
    movement = moved["movement"]
    assert (movement["action"], movement["quantity"], movement["stock_after"]) == (
        "restock", 10, 12,
    )  # fmt: skip
    assert movement["reason"] == "delivery 42"
    assert movement["user_id"] == str(manager.user_id)
    assert movement["product_id"] == created["id"]
    assert await ledger(db, created["id"]) == {"stock": 12, "logged": 12, "logs": 2, "last": 12}
    async with db() as session:
        audited = await session.scalar(
            select(AuditLog).where(AuditLog.action == "inventory.restock")
        )
    assert audited is not None
    assert audited.resource == f"product:{created['id']}"
    assert audited.details == {
        "movement_id": movement["id"], "quantity": 10, "stock_after": 12, "reason": "delivery 42",
    }  # fmt: skip


async def test_adjustments_go_either_way_and_damage_only_down(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    created = await create(client, manager, initial_stock=10)
    pid = created["id"]
    found = await ok(await _move(client, manager, pid, "adjust", quantity=3,
                                 action="adjustment", reason="count found 3 more"))  # fmt: skip
    assert found["product"]["stock_quantity"] == 13
    lost = await ok(await _move(client, manager, pid, "adjust", quantity=-4,
                                action="adjustment", reason="count"))  # fmt: skip
    assert lost["product"]["stock_quantity"] == 9
    broken = await ok(await _move(client, manager, pid, "adjust", quantity=-2,
                                  action="damage", reason="dropped"))  # fmt: skip
    assert (broken["movement"]["action"], broken["product"]["stock_quantity"]) == ("damage", 7)
    assert await ledger(db, pid) == {"stock": 7, "logged": 7, "logs": 4, "last": 7}
    async with db() as session:
        actions = (
            await session.scalars(
                select(AuditLog.action)
                .where(AuditLog.action.like("inventory.%"))
                .order_by(AuditLog.sequence)
            )
        ).all()
    assert actions == ["inventory.adjustment", "inventory.adjustment", "inventory.damage"]


async def test_stock_never_goes_below_zero(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    created = await create(client, manager, initial_stock=5)
    refused = await _move(client, manager, created["id"], "adjust", quantity=-6,
                          action="damage", reason="flood")  # fmt: skip
    assert refused.status_code == 409
    assert (refused.json()["code"], refused.json()["available"]) == ("insufficient_stock", 5)
    emptied = await ok(await _move(client, manager, created["id"], "adjust", quantity=-5,
                                   action="adjustment", reason="count"))  # fmt: skip
    assert emptied["product"]["stock_quantity"] == 0
    assert await ledger(db, created["id"]) == {"stock": 0, "logged": 0, "logs": 2, "last": 0}


BAD_RESTOCKS: list[dict[str, Any]] = [
    {},
    {"quantity": 0},
    {"quantity": -1},
    {"quantity": 1_000_001},
    {"quantity": 1.5},
    {"quantity": 2.0},
    {"quantity": "3"},
    {"quantity": True},
    {"quantity": None},
    {"quantity": 1, "reason": ""},
    {"quantity": 1, "reason": "r" * 501},
    {"quantity": 1, "action": "sale"},
    {"quantity": 1, "stock_quantity": 100},
]
BAD_ADJUSTMENTS: list[dict[str, Any]] = [
    {"quantity": 0, "action": "adjustment", "reason": "count"},
    {"quantity": 2, "action": "damage", "reason": "dropped"},  # damage must be negative
    {"quantity": -1, "action": "damage"},  # a reason is required
    {"quantity": -1, "action": "damage", "reason": "   "},
    {"quantity": -1, "action": "sale", "reason": "sold"},  # sales go through bookings
    {"quantity": 1, "action": "return", "reason": "back"},
    {"quantity": 1, "action": "restock", "reason": "x"},
    {"quantity": -1_000_001, "action": "adjustment", "reason": "count"},
    {"quantity": "-1", "action": "adjustment", "reason": "count"},
    {"quantity": -1.0, "action": "adjustment", "reason": "count"},
    {"quantity": 1, "reason": "count"},
]


@pytest.mark.parametrize(
    ("kind", "bad"),
    [("restock", bad) for bad in BAD_RESTOCKS] + [("adjust", bad) for bad in BAD_ADJUSTMENTS],
    ids=lambda value: repr(value)[:40],
)
async def test_bad_movements_are_422_and_move_nothing(
    client: httpx.AsyncClient,
    manager: Caller,
    db: async_sessionmaker[AsyncSession],
    kind: str,
    bad: dict[str, Any],
) -> None:
    created = await create(client, manager, initial_stock=5)
    response = await _move(client, manager, created["id"], kind, **bad)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    assert await ledger(db, created["id"]) == {"stock": 5, "logged": 5, "logs": 1, "last": 5}


async def test_a_deactivated_product_can_still_be_counted_and_written_off(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    """Deactivation stops sales (stock.py), not stocktaking."""
    created = await create(client, manager, initial_stock=3, is_active=False)
    await ok(await _move(client, manager, created["id"], "adjust", quantity=-3,
                         action="damage", reason="expired"))  # fmt: skip
    assert await ledger(db, created["id"]) == {"stock": 0, "logged": 0, "logs": 2, "last": 0}


async def test_the_log_pages_newest_first(client: httpx.AsyncClient, manager: Caller) -> None:
    created = await create(client, manager, initial_stock=1)
    for quantity in (2, 3, 4):
        await ok(await _move(client, manager, created["id"], "restock", quantity=quantity))
    url = f"{URL}/{created['id']}/inventory-logs"
    first = await ok(await client.get(url, headers=manager.headers, params={"limit": 3}))
    rest = await ok(
        await client.get(
            url, headers=manager.headers, params={"limit": 3, "cursor": first["next_cursor"]}
        )
    )
    logs = first["items"] + rest["items"]
    assert [log["quantity"] for log in logs] == [4, 3, 2, 1]
    assert [log["stock_after"] for log in logs] == [10, 6, 3, 1]
    assert rest["next_cursor"] is None


async def test_low_stock_lists_active_products_at_or_below_their_reorder_level(
    client: httpx.AsyncClient, manager: Caller, desk: Caller
) -> None:
    await create(client, manager, name="Below", reorder_level=5, initial_stock=2)
    await create(client, manager, name="Plenty", reorder_level=5, initial_stock=9)
    await create(client, manager, name="Retired", reorder_level=1, is_active=False)
    at = await create(client, manager, name="At", reorder_level=5, initial_stock=5)
    page = await ok(await client.get(f"{URL}/low-stock", headers=desk.headers))
    assert [item["name"] for item in page["items"]] == ["At", "Below"]
    assert all(item["low_stock"] for item in page["items"])
    await ok(await _move(client, manager, at["id"], "restock", quantity=1))
    page = await ok(await client.get(f"{URL}/low-stock", headers=desk.headers))
    assert [item["name"] for item in page["items"]] == ["Below"]


async def test_a_retried_restock_counts_the_delivery_once(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    created = await create(client, manager)
    url = f"{URL}/{created['id']}/restock"
    headers = {**manager.headers, "Idempotency-Key": "delivery-2026-03-02"}
    first = await client.post(url, headers=headers, json={"quantity": 6})
    again = await client.post(url, headers=headers, json={"quantity": 6})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = await client.post(url, headers=headers, json={"quantity": 7})
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert await ledger(db, created["id"]) == {"stock": 6, "logged": 6, "logs": 1, "last": 6}
