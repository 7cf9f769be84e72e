"""`/api/v1/admin/ads`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/admin/ads", tags=["admin: advertisements"])
me_router = APIRouter(prefix="/me/ads", tags=["me: advertisements"])
