"""Small builders for rows the tests need; each flushes and returns the row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.scheduling.models import Appointment, Service
from frontdesk.core.ids import new_id
from frontdesk.security.auth.models import User

NINE = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


async def user(session: AsyncSession, name: str | None = None) -> User:
    name = name or f"user-{new_id().hex[:12]}"
    row = User(
        username=name,
        username_normalized=name.casefold(),
        email=f"{name}@example.com",
        email_normalized=f"{name}@example.com".casefold(),
        hashed_password="not-a-real-hash",
    )
    session.add(row)
    await session.flush()
    return row


async def customer(session: AsyncSession, name: str = "Ada Customer") -> Customer:
    row = Customer(name=name, search_name=name.casefold())
    session.add(row)
    await session.flush()
    return row


async def service(
    session: AsyncSession,
    *,
    minutes: int = 60,
    before: int = 0,
    after: int = 0,
    price: Decimal = Decimal("45.00"),
) -> Service:
    row = Service(
        name=f"Service {minutes}m",
        duration_minutes=minutes,
        buffer_before_minutes=before,
        buffer_after_minutes=after,
        price=price,
        currency="EUR",
    )
    session.add(row)
    await session.flush()
    return row


def appointment(
    *,
    staff: User,
    client: Customer,
    offering: Service,
    start: datetime,
    status: str = "scheduled",
) -> Appointment:
    """An unsaved appointment whose blocked range includes the service's buffers."""
    end = start + timedelta(minutes=offering.duration_minutes)
    return Appointment(
        user_id=staff.id,
        customer_id=client.id,
        service_id=offering.id,
        appointment_date=start,
        ends_at=end,
        blocked_from=start - timedelta(minutes=offering.buffer_before_minutes),
        blocked_until=end + timedelta(minutes=offering.buffer_after_minutes),
        status=status,
    )
