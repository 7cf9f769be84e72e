"""``GET /api/v1/info``: what a client needs to know before it starts (public)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from frontdesk import __version__
from frontdesk.core.access import PUBLIC
from frontdesk.core.deps import AppSettings

router = APIRouter(tags=["meta"], dependencies=[PUBLIC])


class ServiceInfo(BaseModel):
    name: str
    version: str
    api_version: str
    currency: str
    time_zone: str


@router.get("/info", summary="Version, currency and business time zone")
async def info(settings: AppSettings) -> ServiceInfo:
    return ServiceInfo(
        name="frontdesk",
        version=__version__,
        api_version="v1",
        currency=settings.currency,
        time_zone=settings.time_zone,
    )
