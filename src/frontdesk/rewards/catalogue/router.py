"""`/api/v1/rewards`: the catalogue, redemptions and vouchers; `/api/v1/me/...`: the same
for a customer's own profiles.

- Reading the catalogue: anyone signed in sees the active rewards (customers browse it);
  holders of ``rewards:manage`` also see deactivated ones (``include_inactive``).
- Changing it: ``rewards:manage``.
- Redeeming for any customer: ``loyalty:adjust``; for an own profile: signed in.
  An optional ``Idempotency-Key`` replays a retried redemption instead of repeating it.
- Vouchers: listing ``loyalty:read``; applying to a booking ``bookings:update`` (it changes
  the booking); cancelling (points back) ``loyalty:adjust``.
- Self-service routes answer 404 for another account's profile, voucher or booking
  (SECURITY.md 14).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.ownership import get_owned_live_customer
from frontdesk.business.orders.lines import Actor
from frontdesk.business.orders.permissions import BOOKINGS_UPDATE
from frontdesk.core import clock, idempotency
from frontdesk.core.deps import DbSession
from frontdesk.core.errors import NotFoundError
from frontdesk.core.pagination import Cursor, Limit, Page, page_of, paginate
from frontdesk.core.request_context import Meta, RequestMeta
from frontdesk.rewards.catalogue import service, vouchers
from frontdesk.rewards.catalogue.models import Reward, RewardVoucher
from frontdesk.rewards.catalogue.permissions import REWARDS_MANAGE
from frontdesk.rewards.catalogue.schemas import (
    ApplyRequest,
    OwnRedeemRequest,
    RedeemRequest,
    Redemption,
    RewardCreate,
    RewardRead,
    RewardUpdate,
    VoucherApplied,
    VoucherCancel,
    VoucherCancelled,
    VoucherRead,
    VoucherStatus,
)
from frontdesk.rewards.loyalty.permissions import LOYALTY_ADJUST, LOYALTY_READ
from frontdesk.security.auth.deps import CurrentPrincipal, Principal
from frontdesk.security.rbac.deps import PermissionReader, require

router = APIRouter(prefix="/rewards", tags=["rewards"])
me_router = APIRouter(prefix="/me", tags=["me: catalogue"])

Manager = Annotated[Principal, require(REWARDS_MANAGE)]
Redeemer = Annotated[Principal, require(LOYALTY_ADJUST)]
Applier = Annotated[Principal, require(BOOKINGS_UPDATE)]
StatusFilter = Annotated[
    VoucherStatus | None, Query(alias="status", description="Only vouchers in this state")
]


async def _manages(request: Request, principal: Principal) -> bool:
    reader: PermissionReader = request.app.state.permission_reader
    return await reader.holds(principal.user_id, REWARDS_MANAGE.name)


async def _voucher_page(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID | None,
    status_filter: str | None,
    limit: int,
    cursor: str | None,
) -> Page[VoucherRead]:
    listing = vouchers.listing(customer_id=customer_id, status=status_filter)
    rows = (await session.scalars(paginate(listing, RewardVoucher.id, cursor, limit))).all()
    items, next_cursor = page_of(rows, limit, lambda row: row.id)
    rewards = await vouchers.rewards_of(session, items)
    return Page[VoucherRead](
        items=[VoucherRead.of(voucher, rewards[voucher.reward_id]) for voucher in items],
        next_cursor=next_cursor,
    )


async def _voucher_read(session: AsyncSession, voucher: RewardVoucher) -> VoucherRead:
    reward = await service.get(session, voucher.reward_id, active_only=False)
    return VoucherRead.of(voucher, reward)


# --- the catalogue ---------------------------------------------------------------------


@router.get("", summary="The rewards catalogue, newest first")
async def list_rewards(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    include_inactive: Annotated[
        bool, Query(description="Also deactivated rewards (rewards:manage only)")
    ] = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[RewardRead]:
    active_only = not (include_inactive and await _manages(request, principal))
    query = paginate(service.listing(active_only=active_only), Reward.id, cursor, limit)
    items, next_cursor = page_of((await session.scalars(query)).all(), limit, lambda r: r.id)
    return Page[RewardRead](items=[RewardRead.of(r) for r in items], next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Add a reward to the catalogue")
async def create_reward(
    body: RewardCreate, session: DbSession, meta: Meta, manager: Manager
) -> RewardRead:
    reward = await service.create(session, body, actor_id=manager.user_id, meta=meta)
    return RewardRead.of(reward)


# Voucher routes come before /{reward_id}, which would otherwise take "vouchers" as an id.
@router.get("/vouchers", dependencies=[require(LOYALTY_READ)], summary="Vouchers, newest first")
async def list_vouchers(
    session: DbSession,
    customer_id: uuid.UUID | None = None,
    status_filter: StatusFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[VoucherRead]:
    return await _voucher_page(
        session, customer_id=customer_id, status_filter=status_filter, limit=limit, cursor=cursor
    )


@router.post("/vouchers/{voucher_id}/apply", summary="Apply a voucher to an open booking")
async def apply_voucher(
    voucher_id: uuid.UUID, body: ApplyRequest, session: DbSession, meta: Meta, staff: Applier
) -> VoucherApplied:
    return await _apply(session, voucher_id, body, staff, meta, owner=None)


@router.post("/vouchers/{voucher_id}/cancel", summary="Cancel an unused voucher: points back")
async def cancel_voucher(
    voucher_id: uuid.UUID,
    session: DbSession,
    meta: Meta,
    staff: Redeemer,
    body: VoucherCancel | None = None,
) -> VoucherCancelled:
    voucher, refunded = await vouchers.cancel(
        session,
        voucher_id,
        reason=body.reason if body else None,
        actor_id=staff.user_id,
        meta=meta,
        now=clock.now(),
    )
    balance = await vouchers.balance_of(session, voucher.customer_id)
    read = await _voucher_read(session, voucher)
    return VoucherCancelled(voucher=read, points_refunded=refunded, balance=balance)


@router.get("/{reward_id}", summary="One reward")
async def get_reward(
    reward_id: uuid.UUID, request: Request, principal: CurrentPrincipal, session: DbSession
) -> RewardRead:
    reward = await service.get(session, reward_id, active_only=False)
    if not reward.is_active and not await _manages(request, principal):
        raise NotFoundError("No such reward.")
    return RewardRead.of(reward)


@router.patch("/{reward_id}", summary="Change or deactivate a reward")
async def update_reward(
    reward_id: uuid.UUID, body: RewardUpdate, session: DbSession, meta: Meta, manager: Manager
) -> RewardRead:
    reward = await service.update(
        session, reward_id, body.changes(), actor_id=manager.user_id, meta=meta
    )
    return RewardRead.of(reward)


@router.delete(
    "/{reward_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a reward nobody has redeemed",
)
async def delete_reward(
    reward_id: uuid.UUID, session: DbSession, meta: Meta, manager: Manager
) -> None:
    await service.delete(session, reward_id, actor_id=manager.user_id, meta=meta)


@router.post(
    "/{reward_id}/redeem",
    status_code=status.HTTP_201_CREATED,
    response_model=Redemption,
    summary="Redeem a reward for a customer's points: a voucher",
)
async def redeem_reward(
    reward_id: uuid.UUID,
    body: RedeemRequest,
    request: Request,
    session: DbSession,
    meta: Meta,
    staff: Redeemer,
    idempotency_key: idempotency.IdempotencyKeyHeader = None,
) -> Any:
    return await _redeem_once(
        request, session, meta, staff, idempotency_key, body, reward_id, body.customer_id, own=False
    )


# --- self-service ----------------------------------------------------------------------


@me_router.get(
    "/customers/{customer_id}/vouchers", summary="Vouchers of one of my profiles, newest first"
)
async def own_vouchers(
    customer_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    status_filter: StatusFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[VoucherRead]:
    customer = await get_owned_live_customer(session, principal, customer_id)
    return await _voucher_page(
        session, customer_id=customer.id, status_filter=status_filter, limit=limit, cursor=cursor
    )


@me_router.post(
    "/customers/{customer_id}/rewards/{reward_id}/redeem",
    status_code=status.HTTP_201_CREATED,
    response_model=Redemption,
    summary="Redeem a reward with the points of one of my profiles",
)
async def redeem_own(
    customer_id: uuid.UUID,
    reward_id: uuid.UUID,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    meta: Meta,
    idempotency_key: idempotency.IdempotencyKeyHeader = None,
) -> Any:
    body = OwnRedeemRequest()
    return await _redeem_once(
        request, session, meta, principal, idempotency_key, body, reward_id, customer_id, own=True
    )


@me_router.post(
    "/customers/{customer_id}/vouchers/{voucher_id}/apply",
    summary="Apply one of my vouchers to one of my open bookings",
)
async def apply_own_voucher(
    customer_id: uuid.UUID,
    voucher_id: uuid.UUID,
    body: ApplyRequest,
    principal: CurrentPrincipal,
    session: DbSession,
    meta: Meta,
) -> VoucherApplied:
    customer = await get_owned_live_customer(session, principal, customer_id)
    return await _apply(session, voucher_id, body, principal, meta, owner=customer.id)


# --- shared ----------------------------------------------------------------------------


async def _apply(
    session: AsyncSession,
    voucher_id: uuid.UUID,
    body: ApplyRequest,
    principal: Principal,
    meta: RequestMeta,
    *,
    owner: uuid.UUID | None,
) -> VoucherApplied:
    actor = Actor(principal.user_id, clock.now(), meta)
    voucher, booking = await vouchers.apply(
        session, voucher_id, body.booking_id, actor=actor, owner=owner
    )
    return VoucherApplied(
        voucher=await _voucher_read(session, voucher),
        booking_id=booking.id,
        subtotal=booking.subtotal,
        discount=booking.discount,
        total=booking.total,
        currency=booking.currency,
    )


async def _redeem_once(
    request: Request,
    session: AsyncSession,
    meta: RequestMeta,
    principal: Principal,
    raw_key: str | None,
    body: RedeemRequest | OwnRedeemRequest,
    reward_id: uuid.UUID,
    customer_id: uuid.UUID,
    *,
    own: bool,
) -> Any:
    """The redemption, once per ``Idempotency-Key``. Everything reads the session inside
    ``work``: the key is claimed in its own transaction first (on SQLite the request's
    write transaction, once begun, would hold the database's write lock)."""

    async def work() -> Redemption:
        if own:
            await get_owned_live_customer(session, principal, customer_id)
            # Customers see only the active catalogue: a deactivated reward is not there.
            await service.get(session, reward_id, active_only=True)
        voucher, balance = await vouchers.redeem(
            session, reward_id, customer_id, actor_id=principal.user_id, meta=meta, now=clock.now()
        )
        return Redemption(voucher=await _voucher_read(session, voucher), balance=balance)

    return await idempotency.respond_once(
        request,
        session,
        owner=str(principal.user_id),
        raw_key=raw_key,
        body=body,
        status_code=status.HTTP_201_CREATED,
        work=work,
    )
