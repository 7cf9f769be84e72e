"""Products: create, change, search; restock and adjust through :func:`stock.move_stock`.

A product is never deleted: sales and stock movements keep pointing at it. Deactivating
it (``is_active = false``) stops sales and keeps it, and its history, readable.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.inventory.models import InventoryLog, Product
from frontdesk.business.inventory.stock import move_stock
from frontdesk.business.settings import service as business_settings
from frontdesk.core.errors import (
    ConflictError,
    NotFoundError,
    ValidationFailedError,
    register_code,
    register_constraint,
)
from frontdesk.core.money import CURRENCY_EXPONENTS, to_money
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit import service as audit


class SkuTakenError(ConflictError):
    error = register_code("sku_taken", 409, "A product with this SKU exists")


# Two concurrent creates with one SKU on PostgreSQL: the early check cannot see the other
# transaction's row, the unique constraint can. (SQLite writers take turns.)
register_constraint("uq_products_sku", SkuTakenError)

INITIAL_STOCK_REASON = "initial stock"


def _plain(value: Any) -> Any:
    # Audit details are JSON: amounts as exact strings, written as the API writes them.
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def _plain_all(values: dict[str, Any]) -> dict[str, Any]:
    return {name: _plain(value) for name, value in values.items()}


async def _ensure_price_fits(session: AsyncSession, price: Decimal | str) -> None:
    """A price has no more decimals than the business currency (9.999 EUR is refused): a
    product is sold for what a till can take. The schema has already refused what no
    currency could hold (NaN, more than four decimals, beyond the column)."""
    currency = (await business_settings.get(session)).currency
    digits = CURRENCY_EXPONENTS.get(currency)
    amount = to_money(price)  # validated already; model_dump() gives it back as a string
    if digits is not None and amount != amount.quantize(Decimal(1).scaleb(-digits)):
        raise ValidationFailedError(
            f"{currency} prices have at most {digits} decimals.",
            path="body.price",
            message=f"at most {digits} decimals in {currency}",
        )


async def _ensure_sku_free(
    session: AsyncSession, sku: str, *, other_than: uuid.UUID | None = None
) -> None:
    query = select(Product.id).where(Product.sku == sku)
    if other_than is not None:
        query = query.where(Product.id != other_than)
    if await session.scalar(query) is not None:
        raise SkuTakenError(f"A product with SKU {sku!r} exists.", sku=sku)


async def create(
    session: AsyncSession,
    values: dict[str, Any],
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
    now: datetime,
) -> Product:
    """A new product; ``initial_stock`` arrives as a restock movement, so the stock equals
    the sum of the product's logs from its first moment."""
    fields = dict(values)
    initial_stock = fields.pop("initial_stock", 0)
    await _ensure_price_fits(session, fields["price"])
    await _ensure_sku_free(session, fields["sku"])
    product = Product(**fields, stock_quantity=0)
    session.add(product)
    await session.flush()
    if initial_stock:
        await move_stock(
            session,
            product.id,
            action="restock",
            quantity=initial_stock,
            now=now,
            actor_id=actor_id,
            reason=INITIAL_STOCK_REASON,
        )
    await audit.record(
        session,
        action="product.create",
        success=True,
        actor_id=actor_id,
        resource=f"product:{product.id}",
        details=_plain_all(values),
        meta=meta,
    )
    return product


async def get(session: AsyncSession, product_id: uuid.UUID, *, lock: bool = False) -> Product:
    """Any product, deactivated ones included (their history stays readable)."""
    product = await session.get(Product, product_id, with_for_update=lock)
    if product is None:
        raise NotFoundError("No such product.")
    return product


async def update(
    session: AsyncSession,
    product_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> Product:
    product = await get(session, product_id, lock=True)
    if "price" in changes:
        await _ensure_price_fits(session, changes["price"])
    if "sku" in changes and changes["sku"] != product.sku:
        await _ensure_sku_free(session, changes["sku"], other_than=product.id)
    before = {name: getattr(product, name) for name in changes}
    for name, value in changes.items():
        setattr(product, name, value)
    await session.flush()
    await audit.record(
        session,
        action="product.update",
        success=True,
        actor_id=actor_id,
        resource=f"product:{product.id}",
        details=audit.changed_fields(_plain_all(before), _plain_all(changes)),
        meta=meta,
    )
    return product


async def move(
    session: AsyncSession,
    product_id: uuid.UUID,
    *,
    action: str,
    quantity: int,
    reason: str | None,
    actor_id: uuid.UUID,
    meta: RequestMeta,
    now: datetime,
) -> tuple[Product, InventoryLog]:
    """A restock or adjustment by staff, audited; the product as the movement left it."""
    product = await get(session, product_id)
    log = await move_stock(
        session,
        product_id,
        action=action,
        quantity=quantity,
        now=now,
        actor_id=actor_id,
        reason=reason,
    )
    # No reload needed: move_stock's UPDATE (synchronize_session="fetch") writes the new
    # stock into the product loaded above, from its RETURNING row.
    await audit.record(
        session,
        action=f"inventory.{action}",
        success=True,
        actor_id=actor_id,
        resource=f"product:{product_id}",
        details={
            "movement_id": str(log.id),
            "quantity": quantity,
            "stock_after": log.stock_after,
            "reason": reason,
        },
        meta=meta,
    )
    return product, log


def _prefix(text: str) -> str:
    """A LIKE prefix pattern; the caller's % and _ match themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def search(
    query: str | None,
    *,
    category: str | None = None,
    is_active: bool | None = None,
    low_stock: bool | None = None,
) -> Select[Any]:
    """Products whose name or SKU starts with ``query`` (case-insensitive), filtered."""
    statement = select(Product)
    text = (query or "").strip()
    if text:
        statement = statement.where(
            or_(
                func.lower(Product.name).like(_prefix(text.lower()), escape="\\"),
                Product.sku.like(_prefix(text.upper()), escape="\\"),
            )
        )
    if category is not None:
        statement = statement.where(Product.category == category)
    if is_active is not None:
        statement = statement.where(Product.is_active.is_(is_active))
    if low_stock is not None:
        low = Product.stock_quantity <= Product.reorder_level
        statement = statement.where(low if low_stock else ~low)
    return statement


def low_stock() -> Select[Any]:
    """Active products at or below their reorder level: what to order next."""
    return search(None, is_active=True, low_stock=True)


def movements(product_id: uuid.UUID) -> Select[Any]:
    return select(InventoryLog).where(InventoryLog.product_id == product_id)
