"""The worker's expiry pass covers offers and vouchers too, hourly like points."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.core.outbox import OutboxDispatcher
from frontdesk.rewards.catalogue.models import Reward, RewardVoucher
from frontdesk.worker import PassReport, Worker
from tests.rewards.loyalty.test_expiry import NoMail
from tests.rewards.offers.conftest import START, WINDOW, copy_row, give, new_customer, new_offer


async def _voucher(
    db: async_sessionmaker[AsyncSession], customer_id: uuid.UUID, *, expires_in: timedelta
) -> RewardVoucher:
    async with transaction(db) as session:
        reward = Reward(
            name="Free coffee",
            type="discount_amount",
            value=Decimal(2),
            conditions={"points_cost": 10},
        )
        session.add(reward)
        await session.flush()
        voucher = RewardVoucher(
            customer_id=customer_id,
            reward_id=reward.id,
            status="issued",
            points_spent=10,
            expires_at=START + expires_in,
        )
        session.add(voucher)
        await session.flush()
        return voucher


async def test_one_pass_expires_ended_offers_and_vouchers_then_waits_an_hour(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    clock.set(START)
    customer_id = await new_customer(db)
    copy_id = await give(db, await new_offer(db), customer_id)
    voucher = await _voucher(db, customer_id, expires_in=WINDOW)
    worker = Worker(db, OutboxDispatcher(db, NoMail(), poll_seconds=None))

    assert await worker.run_once() == PassReport(0, 0)  # nothing has ended yet
    clock.set(START + WINDOW + timedelta(minutes=30))  # both ended: the next pass is due
    assert await worker.run_once() == PassReport(0, 0, offers_expired=1, vouchers_expired=1)
    assert (await copy_row(db, copy_id)).status == "expired"
    async with db() as session:
        expired = await session.get(RewardVoucher, voucher.id)
    assert expired is not None
    assert expired.status == "expired"

    later = await give(db, await new_offer(db, ends=START + WINDOW), customer_id)
    clock.advance(timedelta(minutes=10))
    assert await worker.run_once() == PassReport(0, 0)  # within the hour: not yet
    clock.advance(timedelta(hours=1))
    assert await worker.run_once() == PassReport(0, 0, offers_expired=1)
    assert (await copy_row(db, later)).status == "expired"
