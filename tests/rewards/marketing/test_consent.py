"""Marketing consent is opt-in: only the JSON ``true`` under ``preferences.marketing``,
on a profile that is not erased; in SQL and in Python alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers.models import Customer
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.rewards.marketing.audience import allows_marketing, marketing_consent
from tests.rewards.marketing.conftest import NOW, Person, person

PREFERENCES: dict[str, dict[str, Any]] = {
    "yes": {"marketing": True, "language": "fr"},
    "no": {"marketing": False},
    "absent": {"language": "fr"},
    "one": {"marketing": 1},
    "text": {"marketing": "true"},
    "nested": {"marketing": {"email": True}},
    "null": {"marketing": None},
    "erased": {"marketing": True},
}


async def test_only_a_true_opt_in_on_a_live_profile_is_consent(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    async with transaction(db) as session:
        ids = {}
        for name, preferences in PREFERENCES.items():
            customer = await person(session, Person(preferences=preferences), name=name)
            if name == "erased":
                customer.anonymized_at = NOW
            ids[customer.id] = name
    async with db() as session:
        in_sql = {
            ids[i] for i in await session.scalars(select(Customer.id).where(marketing_consent()))
        }
        loaded = await session.scalars(select(Customer))
        in_python = {ids[customer.id] for customer in loaded if allows_marketing(customer)}
    assert in_sql == in_python == {"yes"}
