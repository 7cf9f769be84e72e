"""``/api/v1/services``: the public catalogue of bookable services, and its management.

The catalogue (active services) is public: the online booking page shows it and it holds
nothing personal. Managers see inactive services too under ``/api/v1/admin/services``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from frontdesk.business.scheduling import service
from frontdesk.business.scheduling.models import Service
from frontdesk.business.scheduling.permissions import SERVICES_MANAGE
from frontdesk.business.scheduling.schemas import ServiceCreate, ServiceRead, ServiceUpdate
from frontdesk.core.deps import DbSession
from frontdesk.core.pagination import Cursor, Limit, Page, page_of, paginate
from frontdesk.core.request_context import Meta
from frontdesk.security.auth.deps import Principal
from frontdesk.security.rbac.deps import PUBLIC, require

router = APIRouter(tags=["services"])

CategoryFilter = Annotated[str | None, Query(max_length=100, description="Exact category")]
Manager = Annotated[Principal, require(SERVICES_MANAGE)]


async def _page(
    session: DbSession, *, active_only: bool, category: str | None, limit: int, cursor: str | None
) -> Page[ServiceRead]:
    listing = service.listing(active_only=active_only, category=category)
    query = paginate(listing, Service.id, cursor, limit)
    rows = (await session.scalars(query)).all()
    items, next_cursor = page_of(rows, limit, lambda row: row.id)
    return Page[ServiceRead](
        items=[ServiceRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@router.get("/services", dependencies=[PUBLIC], summary="Bookable services")
async def list_services(
    session: DbSession, category: CategoryFilter = None, limit: Limit = 50, cursor: Cursor = None
) -> Page[ServiceRead]:
    return await _page(session, active_only=True, category=category, limit=limit, cursor=cursor)


@router.get("/services/{service_id}", dependencies=[PUBLIC], summary="One bookable service")
async def get_service(service_id: uuid.UUID, session: DbSession) -> ServiceRead:
    return ServiceRead.model_validate(await service.get(session, service_id, active_only=True))


@router.get(
    "/admin/services",
    dependencies=[require(SERVICES_MANAGE)],
    summary="Every service, inactive ones included",
)
async def list_all_services(
    session: DbSession, category: CategoryFilter = None, limit: Limit = 50, cursor: Cursor = None
) -> Page[ServiceRead]:
    return await _page(session, active_only=False, category=category, limit=limit, cursor=cursor)


@router.post("/services", status_code=status.HTTP_201_CREATED, summary="Create a service")
async def create_service(
    body: ServiceCreate, session: DbSession, meta: Meta, manager: Manager
) -> ServiceRead:
    created = await service.create(session, body.model_dump(), actor_id=manager.user_id, meta=meta)
    return ServiceRead.model_validate(created)


@router.patch("/services/{service_id}", summary="Change or deactivate a service")
async def update_service(
    service_id: uuid.UUID, body: ServiceUpdate, session: DbSession, meta: Meta, manager: Manager
) -> ServiceRead:
    updated = await service.update(
        session, service_id, body.changes(), actor_id=manager.user_id, meta=meta
    )
    return ServiceRead.model_validate(updated)
