"""What advertisements do when the business layer publishes an event.

``customer.erased``: the customer's impressions and clicks are behavioural data about a
person, kept for nothing but marketing, so erasure deletes them (in the erasure's
transaction). An ad's past figures lose that customer's impressions with them.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.events import DomainEvent, EventBus
from frontdesk.rewards.ads.models import CustomerAdViewed

CUSTOMER_ERASED = "customer.erased"


async def forget_customer(session: AsyncSession, customer_id: uuid.UUID) -> None:
    await session.execute(
        delete(CustomerAdViewed).where(CustomerAdViewed.customer_id == customer_id)
    )


async def on_customer_erased(session: AsyncSession, event: DomainEvent) -> None:
    await forget_customer(session, event.payload["customer_id"])


def subscribe(bus: EventBus) -> None:
    """Subscribe this domain's handlers; subscribing twice is harmless."""
    bus.subscribe(CUSTOMER_ERASED, on_customer_erased)
