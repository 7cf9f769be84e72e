"""Products and stock movements as the API takes and shows them.

Quantities are strict JSON integers (``1.0``, ``"1"`` and ``true`` are refused): a unit
count that arrives as anything else is a client bug, not something to guess at. The
stock itself is never in a request body: it moves only through restock and adjust.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictInt, StringConstraints, model_validator

from frontdesk.business.inventory.stock import MAX_MOVE, MAX_STOCK
from frontdesk.core.schemas import MoneyAmount, PartialUpdate, RequestModel, ResponseModel

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Stored upper-case, so "ab-1" and "AB-1" are one SKU under the plain unique constraint.
Sku = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
    ),
    AfterValidator(str.upper),
    Field(description="Letters, digits and . _ / -; stored upper-case; unique"),
]
Category = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, Field(max_length=2000)]
Price = Annotated[MoneyAmount, Field(ge=0)]
StockLevel = Annotated[StrictInt, Field(ge=0, le=MAX_STOCK)]
Units = Annotated[StrictInt, Field(ge=1, le=MAX_MOVE)]
SignedUnits = Annotated[StrictInt, Field(ge=-MAX_MOVE, le=MAX_MOVE)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class ProductCreate(RequestModel):
    name: Name
    sku: Sku
    category: Category | None = None
    description: Description | None = None
    price: Price
    is_active: bool = True
    reorder_level: StockLevel = 0
    initial_stock: Annotated[
        StrictInt, Field(ge=0, le=MAX_MOVE, description="Written as a restock movement")
    ] = 0


class ProductUpdate(PartialUpdate):
    """Only the fields sent change; ``category`` and ``description`` may be cleared.
    ``stock_quantity`` is not here: a 422, like any unknown field."""

    CLEARABLE = frozenset({"category", "description"})

    name: Name | None = None
    sku: Sku | None = None
    category: Category | None = None
    description: Description | None = None
    price: Price | None = None
    is_active: bool | None = None
    reorder_level: StockLevel | None = None


class ProductRead(ResponseModel):
    id: uuid.UUID
    name: str
    sku: str
    category: str | None
    description: str | None
    price: MoneyAmount
    currency: str
    is_active: bool
    stock_quantity: int
    reorder_level: int
    low_stock: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, product: Any, currency: str) -> ProductRead:
        return cls(
            id=product.id,
            name=product.name,
            sku=product.sku,
            category=product.category,
            description=product.description,
            price=product.price,
            currency=currency,
            is_active=product.is_active,
            stock_quantity=product.stock_quantity,
            reorder_level=product.reorder_level,
            low_stock=product.stock_quantity <= product.reorder_level,
            created_at=product.created_at,
            updated_at=product.updated_at,
        )


class RestockRequest(RequestModel):
    quantity: Units
    reason: Reason | None = None


class AdjustRequest(RequestModel):
    """A correction after a count (either way) or goods lost to damage (down only)."""

    quantity: SignedUnits
    action: Literal["adjustment", "damage"]
    reason: Reason

    @model_validator(mode="after")
    def _sign_fits_action(self) -> AdjustRequest:
        if self.quantity == 0:
            raise ValueError("quantity must not be zero")
        if self.action == "damage" and self.quantity > 0:
            raise ValueError("damage removes stock: its quantity must be negative")
        return self


class InventoryLogRead(ResponseModel):
    id: uuid.UUID
    product_id: uuid.UUID
    action: str
    quantity: int
    stock_after: int
    reason: str | None
    user_id: uuid.UUID | None
    booking_id: uuid.UUID | None
    timestamp: datetime


class StockMoved(ResponseModel):
    """The product as the movement left it, and the movement's log row."""

    product: ProductRead
    movement: InventoryLogRead
