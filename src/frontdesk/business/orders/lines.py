"""Product lines on an open booking, product-only sales, and the booking's totals.

Stock moves the moment a line is added or removed (through
:func:`frontdesk.business.inventory.stock.move_stock`, in the same transaction); a
cancelled booking gives its products back. The totals are never taken from the caller:
``subtotal`` is the exact sum of the lines, ``total = subtotal - discount``, recomputed
after every change, in the booking's currency (the business's). Callers lock the booking
first (``lifecycle.locked_booking``), so two changes to one booking never interleave.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.inventory.models import Product
from frontdesk.business.inventory.stock import move_stock
from frontdesk.business.orders.models import Booking, BookingItem
from frontdesk.business.orders.pricing import DiscountRule, discount_for
from frontdesk.business.orders.pricing import Line as PricedLine
from frontdesk.business.orders.timeline import amount, record_move
from frontdesk.business.settings.models import BusinessSettings
from frontdesk.core.errors import (
    ConflictError,
    NotFoundError,
    ValidationFailedError,
    register_code,
)
from frontdesk.core.money import to_money
from frontdesk.core.request_context import RequestMeta

OPEN_STATUSES = frozenset({"pending", "confirmed"})
MAX_LINES = 100  # per booking: a till receipt, not a warehouse order

BOOKING_CLOSED = register_code("booking_closed", 409, "Booking is closed")
CURRENCY_MISMATCH = register_code("currency_mismatch", 409, "Currency differs")


class BookingClosedError(ConflictError):
    error = BOOKING_CLOSED


class CurrencyMismatchError(ConflictError):
    error = CURRENCY_MISMATCH


@dataclass(frozen=True)
class LineRequest:
    product_id: uuid.UUID
    quantity: int


@dataclass(frozen=True)
class Actor:
    """Who changes the booking, and when: what every timeline entry records."""

    user_id: uuid.UUID
    now: datetime
    meta: RequestMeta


def ensure_open(booking: Booking) -> None:
    if booking.status not in OPEN_STATUSES:
        raise BookingClosedError(f"A {booking.status} booking's lines cannot change.")


async def add_product(
    session: AsyncSession,
    booking: Booking,
    line: LineRequest,
    *,
    settings: BusinessSettings,
    actor: Actor,
) -> BookingItem:
    """Sell ``line`` on the (locked) booking: stock out, a line in, totals recomputed."""
    ensure_open(booking)
    if booking.currency != settings.currency:
        raise CurrencyMismatchError(
            f"The booking is in {booking.currency}; products are priced in {settings.currency}."
        )
    await _ensure_room(session, booking)
    product = await session.get(Product, line.product_id)
    if product is None:
        raise ValidationFailedError(
            "No such product.", path="body.product_id", message="unknown product"
        )
    item = BookingItem(
        booking_id=booking.id,
        kind="product",
        product_id=product.id,
        description=product.name[:200],
        quantity=line.quantity,
        unit_price=product.price,
        line_total=_line_total(product.price, line.quantity),
    )
    log = await move_stock(
        session,
        product.id,
        action="sale",
        quantity=-line.quantity,
        now=actor.now,
        actor_id=actor.user_id,
        booking_id=booking.id,
    )
    session.add(item)
    await session.flush()
    await recompute_totals(session, booking)
    data = _line_data(item) | _totals(booking) | {"stock_after": log.stock_after}
    await record_move(
        session, booking, "booking.item_added", data, actor_id=actor.user_id, meta=actor.meta
    )
    return item


async def remove_item(
    session: AsyncSession, booking: Booking, item_id: uuid.UUID, *, actor: Actor
) -> None:
    """Take a product line off the (locked) booking and put its stock back."""
    ensure_open(booking)
    item = await session.get(BookingItem, item_id)
    if item is None or item.booking_id != booking.id:
        raise NotFoundError("No such line on this booking.")
    if item.kind != "product" or item.product_id is None:
        raise BookingClosedError("The service line goes with the appointment: cancel instead.")
    log = await move_stock(
        session,
        item.product_id,
        action="return",
        quantity=item.quantity,
        now=actor.now,
        actor_id=actor.user_id,
        reason="line removed",
        booking_id=booking.id,
    )
    data = _line_data(item)
    await session.delete(item)
    await session.flush()
    await recompute_totals(session, booking)
    data |= _totals(booking) | {"stock_after": log.stock_after}
    await record_move(
        session, booking, "booking.item_removed", data, actor_id=actor.user_id, meta=actor.meta
    )


async def return_products(
    session: AsyncSession, booking: Booking, *, actor: Actor
) -> list[dict[str, object]]:
    """Put back the stock of every product line (a cancellation); the lines stay, as the
    record of what the cancelled booking held."""
    items = await session.scalars(
        select(BookingItem)
        .where(BookingItem.booking_id == booking.id, BookingItem.kind == "product")
        .order_by(BookingItem.id)
    )
    returned: list[dict[str, object]] = []
    for item in items:
        assert item.product_id is not None  # the kind_matches_reference CHECK
        await move_stock(
            session,
            item.product_id,
            action="return",
            quantity=item.quantity,
            now=actor.now,
            actor_id=actor.user_id,
            reason="booking cancelled",
            booking_id=booking.id,
        )
        returned.append({"product_id": str(item.product_id), "quantity": item.quantity})
    return returned


async def open_sale(
    session: AsyncSession,
    *,
    customer: Customer | None,
    lines: list[LineRequest],
    notes: str | None,
    settings: BusinessSettings,
    actor: Actor,
) -> Booking:
    """A product-only sale: a booking without an appointment, open until completed."""
    booking = Booking(
        user_id=actor.user_id,
        customer_id=customer.id if customer else None,
        appointment_id=None,
        booking_date=actor.now,
        status="confirmed",
        subtotal=Decimal(0),
        discount=Decimal(0),
        total=Decimal(0),
        currency=settings.currency,
        source="desk",
        notes=notes,
    )
    session.add(booking)
    await session.flush()
    await record_move(
        session,
        booking,
        "booking.created",
        {"kind": "sale", "customer_id": str(customer.id) if customer else None},
        actor_id=actor.user_id,
        meta=actor.meta,
    )
    for line in lines:
        await add_product(session, booking, line, settings=settings, actor=actor)
    return booking


async def recompute_totals(session: AsyncSession, booking: Booking) -> None:
    """``subtotal`` from the lines, exactly; the discount from the booking's rule (see
    ``pricing``), never more than the subtotal."""
    items = (
        await session.scalars(select(BookingItem).where(BookingItem.booking_id == booking.id))
    ).all()
    subtotal = sum((item.line_total for item in items), Decimal(0))
    booking.subtotal = _money(subtotal, path="body.quantity")
    if booking.discount_rule is not None:
        rule = DiscountRule.from_json(booking.discount_rule)
        booking.discount = discount_for(rule, map(_priced, items), booking.currency)
    booking.discount = min(booking.discount, booking.subtotal)
    booking.total = booking.subtotal - booking.discount
    await session.flush()


def _priced(item: BookingItem) -> PricedLine:
    return PricedLine(item.service_id, item.product_id, item.unit_price, item.line_total)


async def _ensure_room(session: AsyncSession, booking: Booking) -> None:
    count = await session.scalar(
        select(func.count()).select_from(BookingItem).where(BookingItem.booking_id == booking.id)
    )
    if (count or 0) >= MAX_LINES:
        raise ValidationFailedError(
            f"A booking holds at most {MAX_LINES} lines.", path="body", message="too many lines"
        )


def _line_total(unit_price: Decimal, quantity: int) -> Decimal:
    return _money(unit_price * quantity, path="body.quantity")


def _money(value: Decimal, *, path: str) -> Decimal:
    try:
        return to_money(value)
    except ValueError:
        raise ValidationFailedError(
            "That amount is beyond what a booking can hold.", path=path, message="too large"
        ) from None


def _line_data(item: BookingItem) -> dict[str, object]:
    return {
        "item_id": str(item.id),
        "product_id": str(item.product_id),
        "quantity": item.quantity,
        "unit_price": amount(item.unit_price),
        "line_total": amount(item.line_total),
    }


def _totals(booking: Booking) -> dict[str, object]:
    return {
        "subtotal": amount(booking.subtotal),
        "discount": amount(booking.discount),
        "total": amount(booking.total),
        "currency": booking.currency,
    }
