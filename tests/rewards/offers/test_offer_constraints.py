"""Exact-decimal CHECK constraints hold on both engines (SQLite stores them scaled)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.rewards.offers.models import Offer

START = datetime(2026, 6, 1, tzinfo=UTC)


def _offer(percent: str) -> Offer:
    return Offer(
        name=f"{percent}% off",
        discount_percent=Decimal(percent),
        valid_from=START,
        valid_until=START + timedelta(days=30),
    )


@pytest.mark.parametrize("percent", ["0", "0.5", "10", "99.99", "100"])
async def test_discounts_from_0_to_100_percent_are_accepted(
    session: AsyncSession, percent: str
) -> None:
    session.add(_offer(percent))
    await session.commit()


@pytest.mark.parametrize("percent", ["-0.01", "100.0001", "150"])
async def test_discounts_outside_0_to_100_percent_are_refused(
    session: AsyncSession, percent: str
) -> None:
    session.add(_offer(percent))
    with pytest.raises(IntegrityError, match="discount_percent_range"):
        await session.flush()
