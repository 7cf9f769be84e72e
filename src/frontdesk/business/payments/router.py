"""``/api/v1``: a booking's payments, their moves and refunds, and the accountant's CSV.

Every POST here moves money, so each needs an ``Idempotency-Key`` (428 without one):
the same key and body replays the first response, another body with the key is a 422,
a request still in flight with it a 409 (``core/idempotency.py``, as ``POST /bookings``).

| route | permission |
|---|---|
| ``POST /bookings/{id}/payments`` | ``payments:create`` |
| ``POST /payments/{id}/capture``, ``/void``, ``/fail`` | ``payments:create`` |
| ``POST /payments/{id}/refunds`` | ``payments:refund`` |
| ``GET /bookings/{id}/payments`` | ``payments:read``, or the booking's own customer |
| ``GET /payments/export?from=&to=`` | ``payments:export`` |
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.orders.models import Booking
from frontdesk.business.payments import export, ledger, service
from frontdesk.business.payments.permissions import (
    PAYMENTS_CREATE,
    PAYMENTS_EXPORT,
    PAYMENTS_READ,
    PAYMENTS_REFUND,
)
from frontdesk.business.payments.schemas import (
    BookingPayments,
    PaymentCreate,
    PaymentMove,
    PaymentRead,
    RefundCreate,
)
from frontdesk.core import idempotency
from frontdesk.core.deps import DbSession
from frontdesk.core.errors import NotFoundError
from frontdesk.core.request_context import Meta, request_meta
from frontdesk.core.schemas import Instant
from frontdesk.security.audit import service as audit
from frontdesk.security.auth.deps import CurrentPrincipal, Principal
from frontdesk.security.rbac.deps import PermissionReader, require

router = APIRouter(tags=["payments"])

Creator = Annotated[Principal, require(PAYMENTS_CREATE)]
Refunder = Annotated[Principal, require(PAYMENTS_REFUND)]


async def _once(
    request: Request,
    staff: Principal,
    session: AsyncSession,
    raw_key: str | None,
    body: BaseModel,
    status_code: int,
    work: Callable[[str], Awaitable[PaymentRead]],
) -> Any:
    """``work`` at most once per key (``core.idempotency.respond_once``), but here the
    key is required: a money-moving POST without one is a 428."""
    key = idempotency.required_key(raw_key)
    return await idempotency.respond_once(
        request,
        session,
        owner=str(staff.user_id),
        raw_key=key,
        body=body,
        status_code=status_code,
        work=lambda: work(key),
    )


@router.post(
    "/bookings/{booking_id}/payments",
    status_code=status.HTTP_201_CREATED,
    response_model=PaymentRead,
    summary="Record a payment: captured now, or only authorized (Idempotency-Key required)",
)
async def record_payment(
    booking_id: uuid.UUID,
    body: PaymentCreate,
    request: Request,
    session: DbSession,
    meta: Meta,
    staff: Creator,
    idempotency_key: idempotency.RequiredIdempotencyKeyHeader = None,
) -> Any:
    actor = service.Actor(staff.user_id, meta)

    async def work(key: str) -> PaymentRead:
        payment = await service.record_payment(
            session, booking_id, body, actor=actor, idempotency_key=key
        )
        return ledger.read(payment)

    return await _once(request, staff, session, idempotency_key, body, 201, work)


def _payment_move(action: str, summary: str) -> None:
    async def move(
        payment_id: uuid.UUID,
        request: Request,
        session: DbSession,
        meta: Meta,
        staff: Creator,
        body: PaymentMove | None = None,
        idempotency_key: idempotency.RequiredIdempotencyKeyHeader = None,
    ) -> Any:
        reason = body.reason if body else None

        async def work(key: str) -> PaymentRead:
            payment = await service.move_payment(
                session, payment_id, action, actor=service.Actor(staff.user_id, meta), reason=reason
            )
            return ledger.read(payment)

        sent = body or PaymentMove()
        return await _once(request, staff, session, idempotency_key, sent, 200, work)

    move.__name__ = f"{action}_payment"
    router.add_api_route(
        f"/payments/{{payment_id}}/{action}",
        move,
        methods=["POST"],
        response_model=PaymentRead,
        summary=summary,
    )


_payment_move("capture", "Capture an authorized payment (Idempotency-Key required)")
_payment_move("void", "Release an authorized payment's hold (Idempotency-Key required)")
_payment_move("fail", "Record that a payment failed (Idempotency-Key required)")


@router.post(
    "/payments/{payment_id}/refunds",
    status_code=status.HTTP_201_CREATED,
    response_model=PaymentRead,
    summary="Refund all or part of a captured payment (Idempotency-Key required)",
)
async def refund_payment(
    payment_id: uuid.UUID,
    body: RefundCreate,
    request: Request,
    session: DbSession,
    meta: Meta,
    staff: Refunder,
    idempotency_key: idempotency.RequiredIdempotencyKeyHeader = None,
) -> Any:
    actor = service.Actor(staff.user_id, meta)

    async def work(key: str) -> PaymentRead:
        refund = await service.refund_payment(
            session, payment_id, body, actor=actor, idempotency_key=key
        )
        return ledger.read(refund)

    return await _once(request, staff, session, idempotency_key, body, 201, work)


async def _visible_booking(
    request: Request, session: AsyncSession, principal: Principal, booking_id: uuid.UUID
) -> Booking:
    """The booking, for staff with ``payments:read`` or the customer it belongs to;
    404 for anyone else, exactly like a booking that does not exist (SECURITY.md 14)."""
    booking = await session.get(Booking, booking_id)
    if booking is None:
        raise NotFoundError("No such booking.")
    reader: PermissionReader = request.app.state.permission_reader
    if await reader.holds(principal.user_id, PAYMENTS_READ.name):
        return booking
    owned = exists().where(
        Customer.id == booking.customer_id, Customer.user_id == principal.user_id
    )
    if booking.customer_id is None or not await session.scalar(select(owned)):
        raise NotFoundError("No such booking.")
    return booking


@router.get(
    "/bookings/{booking_id}/payments",
    summary="A booking's payments and refunds, oldest first, with paid, refunded and due",
)
async def booking_payments(
    booking_id: uuid.UUID, request: Request, principal: CurrentPrincipal, session: DbSession
) -> BookingPayments:
    booking = await _visible_booking(request, session, principal, booking_id)
    return await ledger.booking_payments(session, booking)


ExportFrom = Annotated[Instant, Query(alias="from", description="Transactions created at or after")]
ExportTo = Annotated[Instant, Query(alias="to", description="Transactions created before this")]


@router.get(
    "/payments/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV, one line a transaction"}},
    summary=f"Payments and refunds created in a range (at most {export.MAX_RANGE.days} days), CSV",
)
async def export_payments(
    request: Request,
    start: ExportFrom,
    end: ExportTo,
    staff: Annotated[Principal, require(PAYMENTS_EXPORT)],
) -> StreamingResponse:
    export.check_range(start, end)
    await audit.record_standalone(
        request.app.state.sessionmaker,
        action="payments.export",
        success=True,
        actor_id=staff.user_id,
        resource="payments",
        details={"from": start.isoformat(), "to": end.isoformat()},
        meta=request_meta(request),
    )
    name = f"payments-{start:%Y%m%dT%H%M%SZ}-{end:%Y%m%dT%H%M%SZ}.csv"
    return StreamingResponse(
        export.lines(request.app.state.read_sessionmaker, start, end),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
