"""The one way stock changes: :func:`move_stock`, which writes the ``inventory_logs`` row
in the same transaction, so a product's stock always equals the sum of its logs.

Stock never goes below zero, under any concurrency. The change is a single conditional
UPDATE (``stock_quantity = stock_quantity + :q WHERE stock_quantity + :q >= 0``): on
PostgreSQL a concurrent seller waits for the row lock and re-checks the condition against
the committed stock; on SQLite writers are serialized by ``BEGIN IMMEDIATE``. The CHECK
constraint ``stock_quantity >= 0`` is the backstop either way, mapped to the same 409.

Stock is also capped at :data:`MAX_STOCK`, checked in the same UPDATE: far below the
32-bit column, so ``stock_quantity + :q`` can never overflow on PostgreSQL (a 500) nor
grow past what PostgreSQL can store on SQLite (whose integers are 64-bit).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.inventory.models import INVENTORY_ACTIONS, InventoryLog, Product
from frontdesk.core.errors import (
    ConflictError,
    NotFoundError,
    register_code,
    register_constraint,
)

INSUFFICIENT_STOCK = register_code("insufficient_stock", 409, "Not enough stock")
PRODUCT_INACTIVE = register_code("product_inactive", 409, "Product is not for sale")
STOCK_LIMIT = register_code("stock_limit", 409, "Stock would exceed the limit")

# The sign each action's quantity must have; an adjustment goes either way.
INCREASES = frozenset({"restock", "return"})
DECREASES = frozenset({"sale", "damage"})
MAX_MOVE = 1_000_000  # units in one movement: far above any shelf, far below the column
MAX_STOCK = 1_000_000_000  # units on hand; MAX_STOCK + MAX_MOVE still fits a 32-bit int


class InsufficientStockError(ConflictError):
    error = INSUFFICIENT_STOCK

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or "Not enough stock for that quantity.", **extra)


class ProductInactiveError(ConflictError):
    error = PRODUCT_INACTIVE


class StockLimitError(ConflictError):
    error = STOCK_LIMIT


register_constraint("ck_products_stock_non_negative", InsufficientStockError)


def check_quantity(action: str, quantity: int) -> None:
    """Refuse a quantity whose sign the action does not allow (a programming error)."""
    if action not in INVENTORY_ACTIONS:
        raise ValueError(f"unknown inventory action {action!r}")
    if quantity == 0 or abs(quantity) > MAX_MOVE:
        raise ValueError(f"a stock movement moves 1 to {MAX_MOVE} units, not {quantity}")
    if (action in INCREASES and quantity < 0) or (action in DECREASES and quantity > 0):
        raise ValueError(f"a {action} cannot move {quantity:+d} units")


async def move_stock(
    session: AsyncSession,
    product_id: uuid.UUID,
    *,
    action: str,
    quantity: int,
    now: datetime,
    actor_id: uuid.UUID | None,
    reason: str | None = None,
    booking_id: uuid.UUID | None = None,
) -> InventoryLog:
    """Move ``quantity`` (signed) units of a product and log it; returns the log row.

    A sale needs an active product. Raises :class:`InsufficientStockError` (409) when the
    stock would go below zero, :class:`StockLimitError` (409) above :data:`MAX_STOCK`,
    :class:`NotFoundError` for an unknown product.
    """
    check_quantity(action, quantity)
    conditions = [Product.id == product_id, Product.stock_quantity + quantity >= 0]
    if quantity > 0:
        conditions.append(Product.stock_quantity + quantity <= MAX_STOCK)
    if action == "sale":
        conditions.append(Product.is_active.is_(True))
    moved = await session.execute(
        update(Product)
        .where(*conditions)
        .values(stock_quantity=Product.stock_quantity + quantity, updated_at=now)
        .returning(Product.stock_quantity)
        .execution_options(synchronize_session="fetch")
    )
    stock_after = moved.scalar_one_or_none()
    if stock_after is None:
        await _refuse(session, product_id, action, quantity)
    log = InventoryLog(
        product_id=product_id,
        action=action,
        quantity=quantity,
        timestamp=now,
        user_id=actor_id,
        booking_id=booking_id,
        reason=reason,
        stock_after=stock_after,
    )
    session.add(log)
    await session.flush()
    return log


async def _refuse(session: AsyncSession, product_id: uuid.UUID, action: str, quantity: int) -> None:
    """Why the conditional update matched nothing."""
    row = (
        await session.execute(
            select(Product.stock_quantity, Product.is_active).where(Product.id == product_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError("No such product.")
    stock, active = row
    if action == "sale" and not active:
        raise ProductInactiveError("The product is deactivated and cannot be sold.")
    if quantity > 0:
        raise StockLimitError(
            f"{stock} in stock; {quantity:+d} would pass the limit of {MAX_STOCK}.",
            available=stock,
        )
    raise InsufficientStockError(
        f"Only {stock} in stock; cannot move {quantity:+d}.", available=stock
    )
