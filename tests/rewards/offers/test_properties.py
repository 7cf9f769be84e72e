"""Any sequence of hand-outs, applications, give-backs (discount removed or booking
cancelled) and clock jumps through expiry agrees with a slow model of the rules, and
keeps the invariants: ``uses_count`` equals the copies used, never passes
``max_uses_total``; a customer holds at most one available copy and has used at most
``max_uses_per_customer``; every used copy is the discount of a live booking.

Each example has its own offer (random limits and length) and customers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.orders import discounts, lifecycle
from frontdesk.business.orders.lines import Actor
from frontdesk.business.orders.models import Booking
from frontdesk.business.settings import service as business_settings
from frontdesk.core import clock as core_clock
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.core.errors import AppError
from frontdesk.core.request_context import RequestMeta
from frontdesk.rewards.offers import handout
from frontdesk.rewards.offers.expiry import expire_offers
from frontdesk.rewards.offers.models import CustomerOffer
from frontdesk.rewards.offers.redemption import apply_offer
from tests.rewards.offers.conftest import (
    START,
    NewBooking,
    booking_row,
    copy_row,
    new_customer,
    new_offer,
    offer_row,
)
from tests.security.audit.callers import Caller

CUSTOMERS = 2
NO_META = RequestMeta(ip=None, user_agent=None, request_id=None)
who = st.integers(0, CUSTOMERS - 1)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("hand_out"), who),
        st.tuples(st.just("apply"), who),
        st.tuples(st.sampled_from(["remove", "cancel"]), who),
        st.tuples(st.just("wait_hours"), st.integers(1, 48)),
    ),
    min_size=4,
    max_size=30,
)
limits = st.one_of(st.none(), st.integers(1, 3))


@dataclass
class Model:
    """The rules, kept by hand."""

    ends: datetime
    max_total: int | None
    max_each: int | None
    uses: int = 0
    available: list[bool] = field(default_factory=lambda: [False] * CUSTOMERS)
    used: list[int] = field(default_factory=lambda: [0] * CUSTOMERS)
    bookings: list[list[uuid.UUID]] = field(default_factory=lambda: [[] for _ in range(CUSTOMERS)])

    @property
    def ended(self) -> bool:
        return core_clock.now() >= self.ends

    def hand_out(self, c: int) -> str:
        if self.ended:
            return "offer_expired"
        if self.max_total is not None and self.uses >= self.max_total:
            return "offer_exhausted"
        if not self.available[c] and (self.max_each is None or self.used[c] < self.max_each):
            self.available[c] = True
        return "ok"

    def apply(self, c: int, booking_id: uuid.UUID) -> str:
        if self.ended:
            return "offer_expired"
        if self.max_each is not None and self.used[c] >= self.max_each:
            return "offer_customer_limit"
        if self.max_total is not None and self.uses >= self.max_total:
            return "offer_exhausted"
        self.available[c], self.used[c], self.uses = False, self.used[c] + 1, self.uses + 1
        self.bookings[c].append(booking_id)
        return "ok"

    def give_back(self, c: int) -> str:
        """The status the copy given back takes."""
        self.bookings[c].pop()
        self.used[c], self.uses = self.used[c] - 1, self.uses - 1
        if self.ended:
            return "expired"
        if self.available[c]:
            return "revoked"
        self.available[c] = True
        return "available"

    def expire(self) -> None:
        if self.ended:
            self.available = [False] * CUSTOMERS


async def _available_copy(
    db: async_sessionmaker[AsyncSession], offer_id: uuid.UUID, customer_id: uuid.UUID
) -> uuid.UUID | None:
    async with db() as session:
        found: uuid.UUID | None = await session.scalar(
            select(CustomerOffer.id).where(
                CustomerOffer.offer_id == offer_id,
                CustomerOffer.customer_id == customer_id,
                CustomerOffer.status == "available",
            )
        )
        return found


async def _hand_out(
    db: async_sessionmaker[AsyncSession], offer_id: uuid.UUID, customer_id: uuid.UUID, actor: Actor
) -> str:
    try:
        async with transaction(db) as session:
            await handout.to_customers(
                session,
                offer_id,
                [customer_id],
                notify=False,
                now=actor.now,
                actor_id=actor.user_id,
                meta=NO_META,
            )
    except AppError as refused:
        return refused.code
    return "ok"


async def _apply(
    db: async_sessionmaker[AsyncSession], copy_id: uuid.UUID, booking_id: uuid.UUID, actor: Actor
) -> str:
    try:
        async with transaction(db) as session:
            await apply_offer(session, copy_id, booking_id, actor=actor)
    except AppError as refused:
        return refused.code
    return "ok"


async def _give_back(
    db: async_sessionmaker[AsyncSession], step: str, booking_id: uuid.UUID, actor: Actor
) -> None:
    async with transaction(db) as session:
        booking = await lifecycle.locked_booking(session, booking_id)
        if step == "remove":
            await discounts.remove_discount(session, booking, actor=actor)
            return
        await lifecycle.apply(
            session,
            booking,
            "cancel",
            settings=await business_settings.get(session),
            now=actor.now,
            may_override=True,
            reason="changed plans",
            actor_id=actor.user_id,
            meta=NO_META,
        )


async def _check(
    db: async_sessionmaker[AsyncSession],
    offer_id: uuid.UUID,
    customers: list[uuid.UUID],
    model: Model,
) -> None:
    offer = await offer_row(db, offer_id)
    async with db() as session:
        copies = list(
            await session.scalars(select(CustomerOffer).where(CustomerOffer.offer_id == offer_id))
        )
        for copy in copies:
            if copy.status == "used":
                booking = await session.get_one(Booking, copy.booking_id)
                assert (booking.discount_reference_id, booking.status) == (copy.id, "confirmed")
    used = [sum(c.customer_id == each and c.status == "used" for c in copies) for each in customers]
    available = [
        sum(c.customer_id == each and c.status == "available" for c in copies) for each in customers
    ]
    assert offer.uses_count == sum(used) == model.uses
    assert offer.max_uses_total is None or offer.uses_count <= offer.max_uses_total
    assert used == model.used
    assert available == [int(flag) for flag in model.available]
    assert all(count <= (offer.max_uses_per_customer or count) for count in used)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(max_total=limits, max_each=limits, hours=st.integers(12, 200), sequence=steps)
async def test_any_sequence_agrees_with_the_rules_and_keeps_the_invariants(
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    admin: Caller,
    new_booking: NewBooking,
    max_total: int | None,
    max_each: int | None,
    hours: int,
    sequence: list[tuple[str, int]],
) -> None:
    clock.set(START)
    ends = START + timedelta(hours=hours)
    offer_id = await new_offer(
        db, ends=ends, max_uses_total=max_total, max_uses_per_customer=max_each
    )
    customers = [await new_customer(db) for _ in range(CUSTOMERS)]
    model = Model(ends, max_total, max_each)
    for step, arg in sequence:
        actor = Actor(admin.user_id, core_clock.now(), NO_META)
        if step == "wait_hours":
            clock.advance(timedelta(hours=arg))
            async with transaction(db) as session:
                await expire_offers(session, now=core_clock.now())
            model.expire()
        elif step == "hand_out":
            outcome = await _hand_out(db, offer_id, customers[arg], actor)
            assert outcome == model.hand_out(arg)
        elif step == "apply":
            copy_id = await _available_copy(db, offer_id, customers[arg])
            if copy_id is None:
                continue
            booking_id = await new_booking(customers[arg])
            outcome = await _apply(db, copy_id, booking_id, actor)
            assert outcome == model.apply(arg, booking_id)
            event(f"apply: {outcome}")
        elif model.bookings[arg]:
            booking_id = model.bookings[arg][-1]
            copy_id = (await booking_row(db, booking_id)).discount_reference_id
            assert copy_id is not None
            await _give_back(db, step, booking_id, actor)
            expected = model.give_back(arg)
            assert (await copy_row(db, copy_id)).status == expected
            event(f"give back: {expected}")
        await _check(db, offer_id, customers, model)
