"""``/api/v1/settings/business``: read (public: the booking page needs the time zone,
currency and rules, none of which is personal) and change (``settings:manage``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from frontdesk.business.settings import service
from frontdesk.business.settings.permissions import SETTINGS_MANAGE
from frontdesk.business.settings.schemas import BusinessSettingsRead, BusinessSettingsUpdate
from frontdesk.core.deps import DbSession
from frontdesk.core.request_context import Meta
from frontdesk.security.auth.deps import Principal
from frontdesk.security.rbac.deps import PUBLIC, require

router = APIRouter(prefix="/settings", tags=["settings"])


@router.get("/business", dependencies=[PUBLIC], summary="The business's settings")
async def read_settings(session: DbSession) -> BusinessSettingsRead:
    return BusinessSettingsRead.model_validate(await service.get(session))


@router.patch("/business", summary="Change the business's settings")
async def update_settings(
    body: BusinessSettingsUpdate,
    session: DbSession,
    meta: Meta,
    admin: Annotated[Principal, require(SETTINGS_MANAGE)],
) -> BusinessSettingsRead:
    updated = await service.update(session, body.changes(), actor_id=admin.user_id, meta=meta)
    return BusinessSettingsRead.model_validate(updated)
