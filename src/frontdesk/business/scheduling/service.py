"""Creating and changing bookable services, audited with before and after.

A service is never deleted: bookings keep pointing at it. Deactivating it
(``is_active = false``) takes it off the booking page and out of availability.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.scheduling.models import Service
from frontdesk.business.settings import service as business_settings
from frontdesk.core.errors import NotFoundError
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit import service as audit


def _plain(value: Any) -> Any:
    # Audit details are JSON: amounts as exact strings, written as the API writes them.
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def _plain_all(values: dict[str, Any]) -> dict[str, Any]:
    return {name: _plain(value) for name, value in values.items()}


async def create(
    session: AsyncSession, values: dict[str, Any], *, actor_id: uuid.UUID, meta: RequestMeta
) -> Service:
    """A new service, priced in the business currency."""
    settings = await business_settings.get(session)
    service = Service(**values, currency=settings.currency)
    session.add(service)
    await session.flush()
    await audit.record(
        session,
        action="service.create",
        success=True,
        actor_id=actor_id,
        resource=f"service:{service.id}",
        details=_plain_all(values),
        meta=meta,
    )
    return service


async def get(session: AsyncSession, service_id: uuid.UUID, *, active_only: bool) -> Service:
    service = await session.get(Service, service_id)
    if service is None or (active_only and not service.is_active):
        raise NotFoundError("No such service.")
    return service


async def update(
    session: AsyncSession,
    service_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> Service:
    service = await session.get(Service, service_id, with_for_update=True)
    if service is None:
        raise NotFoundError("No such service.")
    before = {name: getattr(service, name) for name in changes}
    for name, value in changes.items():
        setattr(service, name, value)
    await session.flush()
    await audit.record(
        session,
        action="service.update",
        success=True,
        actor_id=actor_id,
        resource=f"service:{service.id}",
        details=audit.changed_fields(_plain_all(before), _plain_all(changes)),
        meta=meta,
    )
    return service


def listing(*, active_only: bool, category: str | None) -> Select[Any]:
    query = select(Service)
    if active_only:
        query = query.where(Service.is_active.is_(True))
    if category is not None:
        query = query.where(Service.category == category)
    return query
