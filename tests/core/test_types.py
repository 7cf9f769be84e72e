"""Column types round-trip exactly on both engines, and refuse what they must."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.scheduling.models import Service, StaffTimeOff
from frontdesk.core.money import MAX_MONEY
from tests import factories


async def test_naive_datetime_is_refused(session: AsyncSession) -> None:
    session.add(
        StaffTimeOff(
            starts_at=datetime(2026, 5, 1, 9, 0),  # noqa: DTZ001 - the point of the test
            ends_at=datetime(2026, 5, 1, 17, 0, tzinfo=UTC),
        )
    )
    with pytest.raises(StatementError, match="naive datetime refused"):
        await session.flush()


async def test_aware_datetimes_are_stored_in_utc_and_come_back_aware(
    session: AsyncSession,
) -> None:
    plus_two = timezone(timedelta(hours=2))
    row = StaffTimeOff(
        starts_at=datetime(2026, 5, 1, 9, 0, tzinfo=plus_two),
        ends_at=datetime(2026, 5, 1, 17, 0, tzinfo=plus_two),
    )
    session.add(row)
    await session.commit()
    session.expunge_all()
    loaded = await session.get(StaffTimeOff, row.id)
    assert loaded is not None
    assert loaded.starts_at == datetime(2026, 5, 1, 7, 0, tzinfo=UTC)
    assert loaded.starts_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "price", [Decimal("0"), Decimal("0.0001"), Decimal("19.99"), Decimal("1234567.8901"), MAX_MONEY]
)
async def test_money_round_trips_exactly(session: AsyncSession, price: Decimal) -> None:
    row = await factories.service(session, price=price)
    await session.commit()
    session.expunge_all()
    loaded = await session.get(Service, row.id)
    assert loaded is not None
    assert loaded.price == price
    assert isinstance(loaded.price, Decimal)


async def test_money_sums_exactly_in_sql(session: AsyncSession) -> None:
    for _ in range(10):
        await factories.service(session, price=Decimal("0.10"))
    total = await session.scalar(select(func.sum(Service.price)))
    assert total == Decimal("1.00")


async def test_float_money_is_refused(session: AsyncSession) -> None:
    with pytest.raises(StatementError, match="never float"):
        await factories.service(session, price=0.1)  # type: ignore[arg-type]


async def test_negative_price_is_refused_by_the_database(session: AsyncSession) -> None:
    with pytest.raises(IntegrityError):
        await factories.service(session, price=Decimal("-1"))
