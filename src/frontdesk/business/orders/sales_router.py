"""Product lines on bookings and product-only sales (staff only).

``POST /bookings/{id}/items`` sells a product on an open booking and
``DELETE /bookings/{id}/items/{item_id}`` takes it back, stock moving at once either way;
``POST /sales`` rings up products without an appointment. The booking comes back with
its lines and the totals the server computed.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, status

from frontdesk.business.customers.models import Customer
from frontdesk.business.orders import lifecycle, lines
from frontdesk.business.orders.permissions import BOOKINGS_CREATE, BOOKINGS_UPDATE
from frontdesk.business.orders.router import read_booking
from frontdesk.business.orders.schemas import BookingRead, ProductLineCreate, SaleCreate
from frontdesk.business.settings import service as business_settings
from frontdesk.core import clock, idempotency
from frontdesk.core.deps import DbSession
from frontdesk.core.errors import ValidationFailedError
from frontdesk.core.request_context import Meta, RequestMeta
from frontdesk.security.auth.deps import Principal
from frontdesk.security.rbac.deps import require

router = APIRouter(tags=["sales"])


def _actor(staff: Principal, meta: RequestMeta) -> lines.Actor:
    return lines.Actor(staff.user_id, clock.now(), meta)


@router.post(
    "/bookings/{booking_id}/items",
    status_code=status.HTTP_201_CREATED,
    summary="Sell a product on an open booking",
)
async def add_item(
    booking_id: uuid.UUID,
    body: ProductLineCreate,
    session: DbSession,
    meta: Meta,
    staff: Annotated[Principal, require(BOOKINGS_UPDATE)],
) -> BookingRead:
    booking = await lifecycle.locked_booking(session, booking_id)
    await lines.add_product(
        session,
        booking,
        lines.LineRequest(body.product_id, body.quantity),
        settings=await business_settings.get(session),
        actor=_actor(staff, meta),
    )
    return await read_booking(session, booking)


@router.delete("/bookings/{booking_id}/items/{item_id}", summary="Take a product line back")
async def remove_item(
    booking_id: uuid.UUID,
    item_id: uuid.UUID,
    session: DbSession,
    meta: Meta,
    staff: Annotated[Principal, require(BOOKINGS_UPDATE)],
) -> BookingRead:
    booking = await lifecycle.locked_booking(session, booking_id)
    await lines.remove_item(session, booking, item_id, actor=_actor(staff, meta))
    return await read_booking(session, booking)


@router.post(
    "/sales",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingRead,
    summary="Sell products without an appointment",
)
async def create_sale(
    body: SaleCreate,
    request: Request,
    session: DbSession,
    meta: Meta,
    staff: Annotated[Principal, require(BOOKINGS_CREATE)],
    idempotency_key: idempotency.IdempotencyKeyHeader = None,
) -> Any:
    async def ring_up() -> BookingRead:
        customer = None
        if body.customer_id is not None:
            customer = await session.get(Customer, body.customer_id)
            if customer is None or customer.anonymized_at is not None:
                raise ValidationFailedError(
                    "No such customer.", path="body.customer_id", message="unknown customer"
                )
        sale = await lines.open_sale(
            session,
            customer=customer,
            lines=[lines.LineRequest(item.product_id, item.quantity) for item in body.items],
            notes=body.notes,
            settings=await business_settings.get(session),
            actor=_actor(staff, meta),
        )
        return await read_booking(session, sale)

    return await idempotency.respond_once(
        request,
        session,
        owner=str(staff.user_id),
        raw_key=idempotency_key,
        body=body,
        status_code=status.HTTP_201_CREATED,
        work=ring_up,
    )
