"""Products through the API: create, read, change, search, filter, page; who may do what;
bad input refused with nothing stored; every change audited."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.security.audit.models import AuditLog
from tests.business.inventory.conftest import URL, counts, create, ledger, ok, product_body
from tests.security.audit.callers import Caller, signed_in


async def _names(client: httpx.AsyncClient, caller: Caller, **params: Any) -> list[str]:
    response = await client.get(URL, headers=caller.headers, params=params)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_a_manager_creates_a_product_with_its_initial_stock_as_a_restock(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    created = await create(
        client, manager, name="  Argan Oil ", sku=" arg-100 ", category="Hair care",
        description="50 ml", price="12.5", reorder_level=3, initial_stock=8,
    )  # fmt: skip
    assert created["name"] == "Argan Oil"
    assert created["sku"] == "ARG-100"  # SKUs are stored upper-case
    assert (created["price"], created["currency"]) == ("12.5", "EUR")
    assert (created["stock_quantity"], created["reorder_level"]) == (8, 3)
    assert created["is_active"] is True
    assert created["low_stock"] is False
    fetched = await ok(await client.get(f"{URL}/{created['id']}", headers=manager.headers))
    assert fetched == created
    logs = await ok(
        await client.get(f"{URL}/{created['id']}/inventory-logs", headers=manager.headers)
    )
    [log] = logs["items"]
    assert (log["action"], log["quantity"], log["stock_after"]) == ("restock", 8, 8)
    assert log["reason"] == "initial stock"
    assert log["user_id"] == str(manager.user_id)
    assert await ledger(db, created["id"]) == {"stock": 8, "logged": 8, "logs": 1, "last": 8}


async def test_without_initial_stock_there_is_no_log(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    created = await create(client, manager)
    assert created["stock_quantity"] == 0
    assert created["low_stock"] is True  # 0 <= the default reorder level 0
    assert await ledger(db, created["id"]) == {"stock": 0, "logged": 0, "logs": 0, "last": None}


async def test_create_and_change_are_audited(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    created = await create(client, manager, price="10.00", initial_stock=2)
    changed = await client.patch(
        f"{URL}/{created['id']}", headers=manager.headers, json={"price": "11.2500", "name": "N"}
    )
    assert (await ok(changed))["price"] == "11.25"
    async with db() as session:
        rows = (
            await session.scalars(
                select(AuditLog)
                .where(AuditLog.resource == f"product:{created['id']}")
                .order_by(AuditLog.sequence)
            )
        ).all()
    assert [row.action for row in rows] == ["product.create", "product.update"]
    assert all(row.user_id == manager.user_id and row.success for row in rows)
    assert rows[0].details is not None
    assert (rows[0].details["price"], rows[0].details["initial_stock"]) == ("10", 2)
    assert rows[1].details == {
        "before": {"name": created["name"], "price": "10"},
        "after": {"name": "N", "price": "11.25"},
    }


async def test_patch_changes_only_what_is_sent_and_clears_what_may_be_cleared(
    client: httpx.AsyncClient, manager: Caller
) -> None:
    created = await create(client, manager, category="Wax", description="Strong hold")
    body = await ok(
        await client.patch(
            f"{URL}/{created['id']}",
            headers=manager.headers,
            json={"category": None, "description": None, "name": None, "reorder_level": 4},
        )
    )
    assert (body["category"], body["description"]) == (None, None)
    assert body["name"] == created["name"]  # a null never clears the name
    assert body["reorder_level"] == 4
    assert body["sku"] == created["sku"]


async def test_stock_is_never_taken_from_a_patch_or_a_create(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    created = await create(client, manager, initial_stock=5)
    for field in ("stock_quantity", "currency", "id"):
        response = await client.patch(
            f"{URL}/{created['id']}", headers=manager.headers, json={field: 99}
        )
        assert response.status_code == 422, field
    refused = await client.post(URL, headers=manager.headers, json=product_body(stock_quantity=9))
    assert refused.status_code == 422
    assert await ledger(db, created["id"]) == {"stock": 5, "logged": 5, "logs": 1, "last": 5}


async def test_a_duplicate_sku_is_409_whatever_its_case(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    first = await create(client, manager, sku="AB-1")
    other = await create(client, manager, sku="AB-2")
    again = await client.post(URL, headers=manager.headers, json=product_body(sku="ab-1"))
    assert again.status_code == 409
    assert again.json()["code"] == "sku_taken"
    renamed = await client.patch(
        f"{URL}/{other['id']}", headers=manager.headers, json={"sku": "Ab-1"}
    )
    assert (renamed.status_code, renamed.json()["code"]) == (409, "sku_taken")
    same = await client.patch(f"{URL}/{first['id']}", headers=manager.headers, json={"sku": "ab-1"})
    assert same.status_code == 200  # its own SKU is not a conflict
    assert await counts(db) == (2, 0)


async def test_concurrent_creates_with_one_sku_give_one_product(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    """On PostgreSQL the early check cannot see the other transactions: the unique
    constraint refuses them and answers the registered problem, not a bare 409."""
    body = product_body(sku="RACE-1")
    responses = await asyncio.gather(
        *(client.post(URL, headers=manager.headers, json=body) for _ in range(8))
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 7, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"sku_taken"}
    assert await counts(db) == (1, 0)


async def test_search_by_name_or_sku_prefix_case_insensitively(
    client: httpx.AsyncClient, manager: Caller
) -> None:
    await create(client, manager, name="Argan Oil", sku="ARG-1")
    await create(client, manager, name="argan shampoo", sku="SH-2")
    await create(client, manager, name="100% Natural_Wax", sku="WAX_1")
    await create(client, manager, name="Wax look-alike", sku="WAXA1")
    assert await _names(client, manager, q="ARGAN") == ["argan shampoo", "Argan Oil"]
    assert await _names(client, manager, q="sh") == ["argan shampoo"]  # by SKU
    assert await _names(client, manager, q="arg-") == ["Argan Oil"]
    assert await _names(client, manager, q="oil") == []  # a prefix search, not contains
    # The caller's wildcards match themselves.
    assert await _names(client, manager, q="100%") == ["100% Natural_Wax"]
    assert await _names(client, manager, q="wax_") == ["100% Natural_Wax"]
    assert await _names(client, manager, q="%") == []
    assert await _names(client, manager, q="_") == []
    assert len(await _names(client, manager, q="  ")) == 4  # blank: no filter


async def test_filters_by_category_activity_and_low_stock(
    client: httpx.AsyncClient, manager: Caller
) -> None:
    await create(client, manager, name="Low", category="Hair", reorder_level=5, initial_stock=2)
    await create(client, manager, name="Full", category="Hair", reorder_level=5, initial_stock=9)
    await create(client, manager, name="Gone", category="Skin", is_active=False)
    assert await _names(client, manager, category="Hair") == ["Full", "Low"]
    assert await _names(client, manager, category="hair") == []  # exact category
    assert await _names(client, manager, is_active="false") == ["Gone"]
    assert await _names(client, manager, low_stock="true") == ["Gone", "Low"]
    assert await _names(client, manager, low_stock="false") == ["Full"]
    assert await _names(client, manager, low_stock="true", is_active="true") == ["Low"]
    assert await _names(client, manager, category="Hair", q="f") == ["Full"]


async def test_lists_page_newest_first(client: httpx.AsyncClient, manager: Caller) -> None:
    names = [f"Item {n}" for n in range(5)]
    for name in names:
        await create(client, manager, name=name)
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    pages = 0
    while True:
        page = await ok(await client.get(URL, headers=manager.headers, params=params))
        seen += [item["name"] for item in page["items"]]
        pages += 1
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == list(reversed(names))
    assert pages == 3
    bad = await client.get(URL, headers=manager.headers, params={"cursor": "not-a-cursor!"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")
    too_big = await client.get(URL, headers=manager.headers, params={"limit": 201})
    assert too_big.status_code == 422


async def test_a_deactivated_product_stays_readable_with_its_history(
    client: httpx.AsyncClient, manager: Caller, desk: Caller
) -> None:
    created = await create(client, manager, initial_stock=4)
    off = await ok(
        await client.patch(
            f"{URL}/{created['id']}", headers=manager.headers, json={"is_active": False}
        )
    )
    assert off["is_active"] is False
    fetched = await ok(await client.get(f"{URL}/{created['id']}", headers=desk.headers))
    assert (fetched["is_active"], fetched["stock_quantity"]) == (False, 4)
    logs = await ok(await client.get(f"{URL}/{created['id']}/inventory-logs", headers=desk.headers))
    assert [log["quantity"] for log in logs["items"]] == [4]
    assert await _names(client, desk) == [created["name"]]


async def test_who_may_read_and_who_may_change(
    app: FastAPI,
    client: httpx.AsyncClient,
    manager: Caller,
    desk: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    created = await create(client, manager, initial_stock=3)
    one = f"{URL}/{created['id']}"
    reads = [URL, f"{URL}/low-stock", one, f"{one}/inventory-logs"]
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", URL, product_body()),
        ("PATCH", one, {"name": "Renamed"}),
        ("POST", f"{one}/restock", {"quantity": 1}),
        ("POST", f"{one}/adjust", {"quantity": -1, "action": "damage", "reason": "dropped"}),
    ]
    staff = await signed_in(app, db, role="staff")
    customer = await signed_in(app, db, role="customer")
    nobody = await signed_in(app, db)
    for reader in (desk, staff):
        for url in reads:
            assert (await client.get(url, headers=reader.headers)).status_code == 200, url
        for method, url, body in writes:
            refused = await client.request(method, url, headers=reader.headers, json=body)
            assert refused.status_code == 403, (method, url)
            assert refused.json()["code"] == "permission_denied"
    for outsider in (customer, nobody):
        for url in reads:
            assert (await client.get(url, headers=outsider.headers)).status_code == 403, url
    for url in reads:
        assert (await client.get(url)).status_code == 401
    # Nothing the refused callers sent was stored.
    assert await counts(db) == (1, 1)
    assert (await ok(await client.get(one, headers=manager.headers)))["name"] == created["name"]


async def test_an_unknown_product_is_404(client: httpx.AsyncClient, manager: Caller) -> None:
    unknown = f"{URL}/00000000-0000-7000-8000-000000000001"
    for method, url, body in (
        ("GET", unknown, None),
        ("GET", f"{unknown}/inventory-logs", None),
        ("PATCH", unknown, {"name": "x"}),
        ("POST", f"{unknown}/restock", {"quantity": 1}),
        ("POST", f"{unknown}/adjust", {"quantity": 1, "action": "adjustment", "reason": "count"}),
    ):
        response = await client.request(method, url, headers=manager.headers, json=body)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), url


BAD_PRODUCTS: list[dict[str, Any]] = [
    {"price": "NaN"},
    {"price": "Infinity"},
    {"price": "-Infinity"},
    {"price": "-0.01"},
    {"price": "1.23456"},  # more decimals than money keeps
    {"price": "100000000000000"},  # beyond NUMERIC(18, 4)
    {"price": 1e20},
    {"price": None},
    {"name": ""},
    {"name": "x" * 201},
    {"sku": ""},
    {"sku": "has space"},
    {"sku": "-leading-dash"},
    {"sku": "S" * 65},
    {"category": "c" * 101},
    {"reorder_level": -1},
    {"reorder_level": 2**31},
    {"reorder_level": 1.5},
    {"initial_stock": -1},
    {"initial_stock": 1_000_001},
    {"initial_stock": "5"},
    {"initial_stock": True},
    {"stock_quantity": 3},
    {"currency": "USD"},
    {"id": "00000000-0000-7000-8000-000000000001"},
]


@pytest.mark.parametrize("bad", BAD_PRODUCTS, ids=lambda bad: repr(bad)[:40])
async def test_bad_products_are_422_and_store_nothing(
    client: httpx.AsyncClient,
    manager: Caller,
    db: async_sessionmaker[AsyncSession],
    bad: dict[str, Any],
) -> None:
    response = await client.post(URL, headers=manager.headers, json=product_body(**bad))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    assert await counts(db) == (0, 0)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400"])
async def test_non_finite_json_numbers_are_refused(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession], token: str
) -> None:
    raw = f'{{"name": "N", "sku": "NAN-1", "price": {token}}}'
    response = await client.post(
        URL, headers={**manager.headers, "Content-Type": "application/json"}, content=raw
    )
    assert response.status_code in (400, 422), response.text
    assert await counts(db) == (0, 0)


async def test_bad_changes_are_422_and_change_nothing(
    client: httpx.AsyncClient, manager: Caller
) -> None:
    created = await create(client, manager, price="3.00", reorder_level=2)
    for bad in ({"price": "NaN"}, {"price": "0.00001"}, {"reorder_level": -2}, {"sku": "a b"}):
        response = await client.patch(f"{URL}/{created['id']}", headers=manager.headers, json=bad)
        assert response.status_code == 422, bad
    assert await ok(await client.get(f"{URL}/{created['id']}", headers=manager.headers)) == created


async def test_a_price_has_no_more_decimals_than_the_business_currency(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    refused = await client.post(URL, headers=manager.headers, json=product_body(price="9.999"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["path"] == "body.price"
    assert await counts(db) == (0, 0)
    created = await create(client, manager, price="9.9900")  # ten-thousandths, by value cents
    assert created["price"] == "9.99"
    for bad in ("0.001", "1.0001"):
        response = await client.patch(
            f"{URL}/{created['id']}", headers=manager.headers, json={"price": bad}
        )
        assert response.status_code == 422, bad
    await ok(
        await client.patch(
            "/api/v1/settings/business", headers=manager.headers, json={"currency": "JPY"}
        )
    )
    yen = await client.post(URL, headers=manager.headers, json=product_body(price="100.5"))
    assert yen.status_code == 422
    assert (await create(client, manager, price="100"))["currency"] == "JPY"
