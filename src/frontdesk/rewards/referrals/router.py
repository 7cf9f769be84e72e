"""`/api/v1/referrals`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/referrals", tags=["referrals"])
me_router = APIRouter(prefix="/me", tags=["me: referrals"])
