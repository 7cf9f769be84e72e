"""The data of the commerce scenarios: products and open sales made through the API as the
bench admin, the requests of a checkout, and the checks run after `checkout` and
`sell_contended`, in SQL against what the server committed.

Everything is made through the API (not inserted) so that every product, sale, line, stock
movement and payment went through frontdesk's own rules, and the checks can hold the
database to them.
"""

from __future__ import annotations

import asyncio
import json
import time as clock
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import httpx

import database
from common import BenchError
from loadgen import Request

HTTP_TIMEOUT_S = 10.0
SETUP_CONCURRENCY = 4  # open sales made at once: enough to overlap round trips, no contention
SETTLE_POLL_S = 0.5
SETTLE_TIMEOUT_S = 30.0
UNITS = 1  # every measured movement: a checkout's line, a contended sale


@dataclass(frozen=True)
class Api:
    """The frontdesk API as the bench admin calls it in setup (not under load)."""

    base_url: str
    headers: Mapping[str, str]  # the admin's bearer token

    def post(self, path: str, body: Mapping[str, object]) -> dict[str, Any]:
        return _answer("POST", path, self._call("POST", path, body))

    def get(self, path: str) -> dict[str, Any]:
        return _answer("GET", path, self._call("GET", path, None))

    def _call(self, method: str, path: str, body: Mapping[str, object] | None) -> httpx.Response:
        try:
            return httpx.request(
                method,
                f"{self.base_url}{path}",
                json=body,
                headers=dict(self.headers),
                timeout=HTTP_TIMEOUT_S,
            )
        except httpx.HTTPError as exc:
            raise BenchError(f"{method} {path} failed: {type(exc).__name__}: {exc}") from exc


def _answer(method: str, path: str, response: httpx.Response) -> dict[str, Any]:
    if not response.is_success:
        raise BenchError(f"{method} {path}: HTTP {response.status_code} {response.text}")
    answer: dict[str, Any] = response.json()
    return answer


@dataclass(frozen=True)
class Product:
    """A product the bench made, as the API answered it."""

    id: uuid.UUID
    price: Decimal  # in the business currency
    currency: str


def create_product(api: Api, sku: str, price: str, initial_stock: int) -> Product:
    made = api.post(
        "/api/v1/products",
        {
            "name": f"bench {sku.lower()}",
            "sku": sku,
            "price": price,
            "initial_stock": initial_stock,
        },
    )
    return Product(uuid.UUID(made["id"]), Decimal(made["price"]), made["currency"])


def sale_body(product: Product, units: int = UNITS) -> str:
    """A product-only sale of ``units`` of ``product``, for a walk-in (no customer)."""
    return json.dumps({"items": [{"product_id": str(product.id), "quantity": units}]})


async def _open_sales(api: Api, product: Product, count: int, units: int) -> list[uuid.UUID]:
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=api.base_url, headers=dict(api.headers), timeout=HTTP_TIMEOUT_S
    ) as client:

        async def sell() -> uuid.UUID:
            async with gate:
                response = await client.post(
                    "/api/v1/sales",
                    content=sale_body(product, units),
                    headers={"Content-Type": "application/json"},
                )
            return uuid.UUID(_answer("POST", "/api/v1/sales", response)["id"])

        try:
            return list(await asyncio.gather(*(sell() for _ in range(count))))
        except httpx.HTTPError as exc:
            raise BenchError(f"opening sales failed: {type(exc).__name__}: {exc}") from exc


def open_sales(api: Api, product: Product, count: int, units: int) -> list[uuid.UUID]:
    """``count`` open product-only sales, each one line of ``units`` of ``product``, unpaid."""
    return asyncio.run(_open_sales(api, product, count, units))


def checkout_requests(product: Product, booking_ids: Sequence[uuid.UUID]) -> list[Request]:
    """One checkout per open sale, in turn: a line of one unit of ``product`` on the sale,
    then a captured cash payment of exactly that line, with a fresh Idempotency-Key."""
    line = json.dumps({"product_id": str(product.id), "quantity": UNITS})
    payment = json.dumps(
        {
            "amount": str(product.price * UNITS),
            "currency": product.currency,
            "method": "cash",
            "capture": True,
        }
    )
    requests: list[Request] = []
    for booking_id in booking_ids:
        requests.append(Request("POST", f"/api/v1/bookings/{booking_id}/items", line))
        requests.append(
            Request("POST", f"/api/v1/bookings/{booking_id}/payments", payment, keyed=True)
        )
    return requests


@dataclass(frozen=True)
class StockCount:
    """Where a product's stock stands, as the adjustment that set it answered."""

    quantity: int
    log_id: uuid.UUID  # the adjustment's inventory log (UUIDv7: later movements sort after it)
    at: datetime  # when the adjustment was made


def count_stock_to(api: Api, product: Product, quantity: int, reason: str) -> StockCount:
    """Bring the product's stock to ``quantity`` with one adjustment (a count), through the
    API, so the movement is logged like any other."""
    current = int(api.get(f"/api/v1/products/{product.id}")["stock_quantity"])
    if current == quantity:  # an adjustment of 0 is refused; and the count needs a log row
        raise BenchError(f"{product.id} already holds {quantity}: nothing to count")
    moved = api.post(
        f"/api/v1/products/{product.id}/adjust",
        {"quantity": quantity - current, "action": "adjustment", "reason": reason},
    )
    movement = moved["movement"]
    if int(moved["product"]["stock_quantity"]) != quantity:
        raise BenchError(f"counting {product.id} to {quantity} (from {current}) answered {moved}")
    return StockCount(
        quantity, uuid.UUID(movement["id"]), datetime.fromisoformat(movement["timestamp"])
    )


# ---------------------------------------------------------------------------------------
# The checks, in SQL.

# A product's stock and movements: `stock` must equal `logs_sum` (one way in), and
# `stocked - line_units` (what came in, minus the booking lines' units, counted from the
# lines themselves); `lowest` (the lowest stock any movement left) must not be negative.
STOCK_SQL = """
SELECT p.stock_quantity AS stock,
       coalesce(sum(l.quantity), 0)::bigint AS logs_sum,
       coalesce(sum(l.quantity) FILTER (WHERE l.action <> 'sale'), 0)::bigint AS stocked,
       count(l.id) FILTER (WHERE l.action = 'sale') AS sale_logs,
       coalesce(-sum(l.quantity) FILTER (WHERE l.action = 'sale'), 0)::bigint AS sold_units,
       least(p.stock_quantity, min(l.stock_after)) AS lowest,
       (SELECT coalesce(sum(i.quantity), 0)::bigint FROM booking_items AS i
         WHERE i.product_id = p.id) AS line_units,
       (SELECT count(DISTINCT i.booking_id) FROM booking_items AS i
         WHERE i.product_id = p.id) AS bookings
FROM products AS p
LEFT JOIN inventory_logs AS l ON l.product_id = p.id
WHERE p.id = $1
GROUP BY p.id
"""
# Sales after a movement (by id: UUIDv7, made once the movement held the product's row),
# and when the first and the last of them began (the log's timestamp is the request's).
SALES_AFTER_SQL = """
SELECT count(*) AS sales, min(timestamp) AS first_at, max(timestamp) AS last_at
FROM inventory_logs
WHERE product_id = $1 AND action = 'sale' AND id > $2
"""
# Product-only sales left without a line: what a refused sale would leave if its rollback
# were partial. Must be none, whichever scenario made them.
EMPTY_SALES_SQL = """
SELECT count(*) FROM bookings AS b
WHERE b.appointment_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM booking_items AS i WHERE i.booking_id = b.id)
"""
# The checkout bookings ($1), each opened with one line worth $2 that no checkout pays: how
# many lines the checkouts added, how many captured payments and for how much, and the
# bookings that were charged more than their checkouts' lines (a double charge) or whose
# total is not the sum of their lines.
CHECKOUT_SQL = """
SELECT (coalesce(sum(l.lines), 0) - count(*))::bigint AS checkout_lines,
       coalesce(sum(l.lines_total), 0) - $2::numeric * count(*) AS checkout_total,
       coalesce(sum(p.payments), 0)::bigint AS payments,
       coalesce(sum(p.paid), 0) AS paid,
       count(*) FILTER (WHERE p.paid > l.lines_total - $2::numeric) AS overcharged,
       count(*) FILTER (WHERE b.total <> l.lines_total) AS wrong_totals
FROM bookings AS b
CROSS JOIN LATERAL (
    SELECT count(*) AS lines, coalesce(sum(line_total), 0) AS lines_total
    FROM booking_items WHERE booking_id = b.id
) AS l
CROSS JOIN LATERAL (
    SELECT count(*) AS payments, coalesce(sum(amount), 0) AS paid
    FROM payment_transactions
    WHERE booking_id = b.id AND kind = 'payment' AND status = 'captured'
) AS p
WHERE b.id = ANY($1::uuid[])
"""
# Every transaction on the checkout bookings must be a captured payment with its own key.
TRANSACTIONS_SQL = """
SELECT count(*) FILTER (WHERE NOT (kind = 'payment' AND status = 'captured')) AS others,
       count(*) - count(DISTINCT idempotency_key) AS repeated_keys
FROM payment_transactions
WHERE booking_id = ANY($1::uuid[])
"""
# What moves while requests wrk left in flight still commit: settle on it before checking.
MOVEMENTS_SQL = """
SELECT (SELECT count(*) FROM inventory_logs WHERE product_id = $1)
     + (SELECT count(*) FROM payment_transactions)
"""


@dataclass(frozen=True)
class StockLedger:
    stock: int
    logs_sum: int
    stocked: int
    sale_logs: int
    sold_units: int
    lowest: int
    line_units: int
    bookings: int
    empty_sales: int

    def problems(self) -> list[str]:
        """The stock rules the run must have kept."""
        found = []
        if self.lowest < 0:
            found.append(f"stock went down to {self.lowest}: {-self.lowest} units oversold")
        if self.stock != self.logs_sum:
            found.append(f"stock {self.stock} but the logs sum to {self.logs_sum}")
        if self.stock != self.stocked - self.line_units:
            found.append(
                f"stock {self.stock} but {self.stocked} came in and lines hold {self.line_units}"
            )
        if self.sold_units != self.line_units:
            found.append(f"{self.sold_units} units in sale logs, {self.line_units} on lines")
        if self.empty_sales:
            found.append(f"{self.empty_sales} sales without a line (a partial rollback)")
        return found


@dataclass(frozen=True)
class SalesAfter:
    sales: int
    first_at: datetime | None
    last_at: datetime | None


@dataclass(frozen=True)
class CheckoutLedger:
    checkout_lines: int
    checkout_total: Decimal
    payments: int
    paid: Decimal
    overcharged: int
    wrong_totals: int
    other_transactions: int
    repeated_keys: int


async def _settle(conn: asyncpg.Connection, product: Product) -> None:
    """Wait until the product's movements and the payments stop moving: requests wrk left
    in flight when it stopped may still be committing."""
    deadline = clock.monotonic() + SETTLE_TIMEOUT_S
    previous = -1
    while clock.monotonic() < deadline:
        current = int(await conn.fetchval(MOVEMENTS_SQL, product.id))
        if current == previous:
            return
        previous = current
        await asyncio.sleep(SETTLE_POLL_S)
    raise BenchError(f"still committing {SETTLE_TIMEOUT_S:.0f} s after wrk stopped")


async def _stock(conn: asyncpg.Connection, product: Product) -> StockLedger:
    row = await conn.fetchrow(STOCK_SQL, product.id)
    if row is None:
        raise BenchError(f"product {product.id} is not in the database")
    return StockLedger(**dict(row), empty_sales=int(await conn.fetchval(EMPTY_SALES_SQL)))


async def _checkout_ledgers(
    url: str, product: Product, bookings: Sequence[uuid.UUID], opening_units: int
) -> tuple[StockLedger, CheckoutLedger]:
    conn = await database.connect(url)
    try:
        await _settle(conn, product)
        opening = product.price * opening_units
        money = await conn.fetchrow(CHECKOUT_SQL, list(bookings), opening)
        transactions = await conn.fetchrow(TRANSACTIONS_SQL, list(bookings))
        assert money is not None  # aggregates: always one row
        assert transactions is not None
        checkout = CheckoutLedger(
            **dict(money),
            other_transactions=transactions["others"],
            repeated_keys=transactions["repeated_keys"],
        )
        return await _stock(conn, product), checkout
    finally:
        await conn.close()


def checkout_ledgers(
    url: str, product: Product, bookings: Sequence[uuid.UUID], opening_units: int
) -> tuple[StockLedger, CheckoutLedger]:
    """Once the database stops moving: the product's stock and the checkouts' money, on
    ``bookings`` each opened with a line of ``opening_units`` of ``product``."""
    return asyncio.run(_checkout_ledgers(url, product, bookings, opening_units))


async def _sale_ledgers(
    url: str, product: Product, after: uuid.UUID
) -> tuple[StockLedger, SalesAfter]:
    conn = await database.connect(url)
    try:
        await _settle(conn, product)
        sales = await conn.fetchrow(SALES_AFTER_SQL, product.id, after)
        assert sales is not None  # an aggregate: always one row
        return await _stock(conn, product), SalesAfter(**dict(sales))
    finally:
        await conn.close()


def sale_ledgers(url: str, product: Product, after: uuid.UUID) -> tuple[StockLedger, SalesAfter]:
    """Once the database stops moving: the product's stock and its sales after ``after``."""
    return asyncio.run(_sale_ledgers(url, product, after))


async def _settled(url: str, product: Product) -> None:
    conn = await database.connect(url)
    try:
        await _settle(conn, product)
    finally:
        await conn.close()


def settled(url: str, product: Product) -> None:
    """Return once the product's movements stop moving (the warm-up's last sales)."""
    asyncio.run(_settled(url, product))
