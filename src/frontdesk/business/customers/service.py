"""Customer profile rules (the full CRUD grows here)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.core.events import DomainEvent, EventBus


def _fold(value: str | None) -> str | None:
    return value.casefold().strip() if value else None


def _digits(phone: str | None) -> str | None:
    if not phone:
        return None
    kept = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    return kept or None


async def create_profile(
    session: AsyncSession,
    *,
    name: str,
    owner_id: uuid.UUID | None,
    email: str | None = None,
    phone: str | None = None,
) -> Customer:
    contact: dict[str, Any] = {
        key: value for key, value in (("email", email), ("phone", phone)) if value
    }
    customer = Customer(
        user_id=owner_id,
        name=name.strip(),
        search_name=name.casefold().strip(),
        contact_info=contact,
        preferences={},
        tags=[],
        email_normalized=_fold(email),
        phone_normalized=_digits(phone),
    )
    session.add(customer)
    await session.flush()
    return customer


async def on_user_registered(session: AsyncSession, event: DomainEvent) -> None:
    """A new self-service account gets its first profile: the person who registered."""
    payload = event.payload
    await create_profile(
        session,
        name=payload["name"],
        owner_id=payload["user_id"],
        email=payload.get("email"),
        phone=payload.get("phone"),
    )


def subscribe(bus: EventBus) -> None:
    bus.subscribe("user.registered", on_user_registered)
