"""Bookings as the API takes and shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from frontdesk.core.schemas import Instant, MoneyAmount, RequestModel, ResponseModel


class BookingCreate(RequestModel):
    customer_id: uuid.UUID
    service_id: uuid.UUID
    start: Instant
    staff_id: uuid.UUID | Literal["any"] = Field(
        description='A staff member who performs the service, or "any" for whoever is free'
    )
    notes: Annotated[str, Field(max_length=2000)] | None = None


class BookingItemRead(ResponseModel):
    id: uuid.UUID
    kind: str
    service_id: uuid.UUID | None
    product_id: uuid.UUID | None
    description: str
    quantity: int
    unit_price: MoneyAmount
    line_total: MoneyAmount


class AppointmentRead(ResponseModel):
    id: uuid.UUID
    staff_id: uuid.UUID
    service_id: uuid.UUID
    start: datetime
    end: datetime
    status: str


class BookingRead(ResponseModel):
    id: uuid.UUID
    customer_id: uuid.UUID | None
    status: str
    source: str
    subtotal: MoneyAmount
    discount: MoneyAmount
    total: MoneyAmount
    currency: str
    discount_source: str | None = Field(
        description="Who granted the discount (offer, voucher); null without one"
    )
    discount_reference_id: uuid.UUID | None = Field(
        description="The granting row: the customer's offer or the voucher"
    )
    booking_date: datetime
    appointment: AppointmentRead | None
    items: list[BookingItemRead]
    amount_paid: MoneyAmount = Field(description="Captured payments, before refunds")
    amount_refunded: MoneyAmount
    balance_due: MoneyAmount = Field(description="total - (paid - refunded)")


class OrderEventRead(ResponseModel):
    id: uuid.UUID
    event_type: str
    event_data: dict[str, Any]
    actor_user_id: uuid.UUID | None
    created_at: datetime


class CancelRequest(RequestModel):
    reason: Annotated[str, Field(min_length=1, max_length=500)] | None = None


class DiscountRemoval(RequestModel):
    reason: Annotated[str, Field(min_length=1, max_length=500)] | None = None


class RescheduleRequest(RequestModel):
    start: Instant
    staff_id: uuid.UUID | None = Field(
        default=None, description="Another staff member; the same one when left out"
    )
    reason: Annotated[str, Field(min_length=1, max_length=500)] | None = None


MAX_LINE_QUANTITY = 1000


class ProductLineCreate(RequestModel):
    product_id: uuid.UUID
    quantity: int = Field(default=1, ge=1, le=MAX_LINE_QUANTITY)


class SaleCreate(RequestModel):
    """A product-only sale, for a customer or a walk-in (no ``customer_id``)."""

    customer_id: uuid.UUID | None = None
    items: list[ProductLineCreate] = Field(min_length=1, max_length=50)
    notes: Annotated[str, Field(max_length=2000)] | None = None
