"""Reading and changing the business settings (audited with before and after)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.settings.models import SETTINGS_ROW_ID, BusinessSettings
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit import service as audit


class SettingsMissingError(RuntimeError):
    """The seeded row is gone: the database was not migrated, or was tampered with."""


async def get(session: AsyncSession) -> BusinessSettings:
    found = await session.get(BusinessSettings, SETTINGS_ROW_ID)
    if found is None:
        raise SettingsMissingError("business_settings has no row; run `frontdesk db upgrade`")
    return found


async def get_for_update(session: AsyncSession) -> BusinessSettings:
    """The row, locked until the transaction ends: two admins' changes never interleave."""
    found = await session.get(BusinessSettings, SETTINGS_ROW_ID, with_for_update=True)
    if found is None:
        raise SettingsMissingError("business_settings has no row; run `frontdesk db upgrade`")
    return found


async def update(
    session: AsyncSession,
    changes: dict[str, Any],
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> BusinessSettings:
    current = await get_for_update(session)
    before = {name: getattr(current, name) for name in changes}
    for name, value in changes.items():
        setattr(current, name, value)
    current.updated_by = actor_id
    await session.flush()
    await audit.record(
        session,
        action="settings.update",
        success=True,
        actor_id=actor_id,
        resource="business_settings",
        details=audit.changed_fields(before, changes),
        meta=meta,
    )
    return current
