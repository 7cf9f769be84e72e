"""``/api/v1/bookings``: place a booking, read it and its timeline.

Staff holding ``bookings:create`` book for any customer; any other signed-in account
books only for the profiles it owns (another profile answers 404, like a missing one).
Reading works the same way with ``bookings:read``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.customers.ownership import get_owned_customer
from frontdesk.business.orders import booking as placing
from frontdesk.business.orders import discounts, lifecycle, receipt, reschedule
from frontdesk.business.orders.lines import Actor
from frontdesk.business.orders.models import Booking, BookingItem, OrderEvent
from frontdesk.business.orders.permissions import (
    BOOKINGS_CREATE,
    BOOKINGS_OVERRIDE,
    BOOKINGS_READ,
    BOOKINGS_UPDATE,
)
from frontdesk.business.orders.schemas import (
    AppointmentRead,
    BookingCreate,
    BookingItemRead,
    BookingRead,
    CancelRequest,
    DiscountRemoval,
    OrderEventRead,
    RescheduleRequest,
)
from frontdesk.business.payments import ledger
from frontdesk.business.scheduling import service as services
from frontdesk.business.scheduling.models import Appointment
from frontdesk.business.settings import service as business_settings
from frontdesk.core import clock, idempotency
from frontdesk.core.deps import DbSession
from frontdesk.core.errors import NotFoundError, ValidationFailedError
from frontdesk.core.request_context import Meta, RequestMeta
from frontdesk.security.auth.deps import CurrentPrincipal, Principal
from frontdesk.security.rbac.deps import PermissionReader, require

router = APIRouter(prefix="/bookings", tags=["bookings"])


async def _holds(request: Request, principal: Principal, permission: str) -> bool:
    reader: PermissionReader = request.app.state.permission_reader
    return await reader.holds(principal.user_id, permission)


async def _customer_for(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID, *, any_customer: bool
) -> Customer:
    if any_customer:
        customer = await session.get(Customer, customer_id)
        if customer is None:
            raise NotFoundError("No such customer.")
    else:
        customer = await get_owned_customer(session, principal, customer_id)
    if customer.anonymized_at is not None:
        raise NotFoundError("No such customer.")
    return customer


async def read_booking(session: AsyncSession, booking: Booking) -> BookingRead:
    appointment = (
        await session.get(Appointment, booking.appointment_id) if booking.appointment_id else None
    )
    items = await session.scalars(
        select(BookingItem).where(BookingItem.booking_id == booking.id).order_by(BookingItem.id)
    )
    money = ledger.summary_of(booking, await ledger.totals(session, booking.id))
    return BookingRead(
        id=booking.id,
        customer_id=booking.customer_id,
        status=booking.status,
        source=booking.source,
        subtotal=booking.subtotal,
        discount=booking.discount,
        total=booking.total,
        currency=booking.currency,
        discount_source=booking.discount_source,
        discount_reference_id=booking.discount_reference_id,
        booking_date=booking.booking_date,
        appointment=AppointmentRead(
            id=appointment.id,
            staff_id=appointment.user_id,
            service_id=appointment.service_id,
            start=appointment.appointment_date,
            end=appointment.ends_at,
            status=appointment.status,
        )
        if appointment
        else None,
        items=[BookingItemRead.model_validate(item) for item in items],
        amount_paid=money.paid,
        amount_refunded=money.refunded,
        balance_due=money.balance_due,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingRead,
    summary="Book a service",
)
async def create_booking(
    body: BookingCreate,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    meta: Meta,
    idempotency_key: idempotency.IdempotencyKeyHeader = None,
) -> Any:
    return await idempotency.respond_once(
        request,
        session,
        owner=str(principal.user_id),
        raw_key=idempotency_key,
        body=body,
        status_code=status.HTTP_201_CREATED,
        work=lambda: _place(body, request, principal, session, meta),
    )


async def _place(
    body: BookingCreate,
    request: Request,
    principal: Principal,
    session: AsyncSession,
    meta: RequestMeta,
) -> BookingRead:
    at_the_desk = await _holds(request, principal, BOOKINGS_CREATE.name)
    customer = await _customer_for(session, principal, body.customer_id, any_customer=at_the_desk)
    try:
        offered = await services.get(session, body.service_id, active_only=True)
    except NotFoundError:
        raise ValidationFailedError(
            "No such service.", path="body.service_id", message="unknown or inactive service"
        ) from None
    placement = placing.Placement(
        customer=customer,
        service=offered,
        start=body.start,
        staff_id=None if body.staff_id == "any" else body.staff_id,
        notes=body.notes,
        online=not at_the_desk,
    )
    booking = await placing.place(
        session,
        placement,
        settings=await business_settings.get(session),
        now=clock.now(),
        actor_id=principal.user_id,
        meta=meta,
    )
    return await read_booking(session, booking)


async def _ensure_owner(session: AsyncSession, principal: Principal, booking: Booking) -> None:
    """404 unless the booking is for one of the caller's own profiles."""
    owner = await session.scalar(select(Customer.user_id).where(Customer.id == booking.customer_id))
    if owner != principal.user_id:
        raise NotFoundError("No such booking.")


async def _visible_booking(
    request: Request, session: AsyncSession, principal: Principal, booking_id: uuid.UUID
) -> Booking:
    booking = await session.get(Booking, booking_id)
    if booking is None:
        raise NotFoundError("No such booking.")
    if not await _holds(request, principal, BOOKINGS_READ.name):
        await _ensure_owner(session, principal, booking)
    return booking


@router.get("/{booking_id}", summary="One booking")
async def get_booking(
    booking_id: uuid.UUID, request: Request, principal: CurrentPrincipal, session: DbSession
) -> BookingRead:
    return await read_booking(
        session, await _visible_booking(request, session, principal, booking_id)
    )


@router.get("/{booking_id}/events", summary="A booking's timeline, oldest first")
async def booking_events(
    booking_id: uuid.UUID, request: Request, principal: CurrentPrincipal, session: DbSession
) -> list[OrderEventRead]:
    booking = await _visible_booking(request, session, principal, booking_id)
    events = await session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == booking.id).order_by(OrderEvent.id)
    )
    return [OrderEventRead.model_validate(event) for event in events]


@router.get(
    "/{booking_id}/receipt",
    response_class=HTMLResponse,
    summary="A printable receipt (HTML)",
    responses={200: {"content": {"text/html": {}}}},
)
async def booking_receipt(
    booking_id: uuid.UUID, request: Request, principal: CurrentPrincipal, session: DbSession
) -> HTMLResponse:
    booking = await _visible_booking(request, session, principal, booking_id)
    customer = await session.get(Customer, booking.customer_id) if booking.customer_id else None
    items = await session.scalars(
        select(BookingItem).where(BookingItem.booking_id == booking.id).order_by(BookingItem.id)
    )
    money = await ledger.booking_payments(session, booking)
    page = receipt.render(
        receipt.Receipt(
            settings=await business_settings.get(session),
            booking=booking,
            customer_name=customer.name if customer else None,
            items=list(items),
            payments=[
                receipt.PaymentLine(
                    label="refund" if row.kind == "refund" else f"{row.method}, {row.status}",
                    at=row.created_at,
                    amount=-row.amount if row.kind == "refund" else row.amount,
                )
                for row in money.transactions
                if row.kind == "refund" or row.status == "captured"
            ],
            balance_due=money.summary.balance_due,
        )
    )
    # A receipt names the customer: never kept by shared caches.
    return HTMLResponse(page, headers={"Cache-Control": "private, no-store"})


# --- lifecycle -------------------------------------------------------------------------


async def _move(
    request: Request,
    session: AsyncSession,
    booking: Booking,
    action: str,
    principal: Principal,
    meta: RequestMeta,
    reason: str | None = None,
) -> BookingRead:
    await lifecycle.apply(
        session,
        booking,
        action,
        settings=await business_settings.get(session),
        now=clock.now(),
        # Only a cancellation has a cutoff to override: spare the others the query.
        may_override=lifecycle.TRANSITIONS[action].before_cutoff
        and await _holds(request, principal, BOOKINGS_OVERRIDE.name),
        reason=reason,
        actor_id=principal.user_id,
        meta=meta,
    )
    return await read_booking(session, booking)


def _staff_transition(action: str, path: str, summary: str) -> None:
    async def transition(
        booking_id: uuid.UUID,
        request: Request,
        session: DbSession,
        meta: Meta,
        staff: Annotated[Principal, require(BOOKINGS_UPDATE)],
    ) -> BookingRead:
        booking = await lifecycle.locked_booking(session, booking_id)
        return await _move(request, session, booking, action, staff, meta)

    transition.__name__ = f"{action}_booking"
    router.add_api_route(f"/{{booking_id}}/{path}", transition, methods=["POST"], summary=summary)


_staff_transition("confirm", "confirm", "Confirm a pending booking")
_staff_transition("check_in", "check-in", "The customer has arrived")
_staff_transition("complete", "complete", "The service was delivered")
_staff_transition("no_show", "no-show", "The customer did not come")


@router.post("/{booking_id}/cancel", summary="Cancel a booking (its owner, or staff)")
async def cancel_booking(
    booking_id: uuid.UUID,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    meta: Meta,
    body: CancelRequest | None = None,
) -> BookingRead:
    booking = await lifecycle.locked_booking(session, booking_id)
    if not await _holds(request, principal, BOOKINGS_UPDATE.name):
        await _ensure_owner(session, principal, booking)
    return await _move(
        request, session, booking, "cancel", principal, meta, body.reason if body else None
    )


@router.post("/{booking_id}/reschedule", summary="Move a booking (its owner, or staff)")
async def reschedule_booking(
    booking_id: uuid.UUID,
    body: RescheduleRequest,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    meta: Meta,
) -> BookingRead:
    booking = await lifecycle.locked_booking(session, booking_id)
    if not await _holds(request, principal, BOOKINGS_UPDATE.name):
        await _ensure_owner(session, principal, booking)
    await reschedule.move(
        session,
        booking,
        start=body.start,
        staff_id=body.staff_id,
        settings=await business_settings.get(session),
        now=clock.now(),
        may_override=await _holds(request, principal, BOOKINGS_OVERRIDE.name),
        reason=body.reason,
        actor_id=principal.user_id,
        meta=meta,
    )
    return await read_booking(session, booking)


@router.delete("/{booking_id}/discount", summary="Take the discount off an open booking")
async def remove_discount(
    booking_id: uuid.UUID,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    meta: Meta,
    body: DiscountRemoval | None = None,
) -> BookingRead:
    """The offer or voucher goes back to the customer (the rewards layer hears of it)."""
    booking = await lifecycle.locked_booking(session, booking_id)
    if not await _holds(request, principal, BOOKINGS_UPDATE.name):
        await _ensure_owner(session, principal, booking)
    actor = Actor(principal.user_id, clock.now(), meta)
    await discounts.remove_discount(
        session, booking, actor=actor, reason=body.reason if body else None
    )
    return await read_booking(session, booking)
