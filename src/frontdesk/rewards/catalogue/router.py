"""`/api/v1/rewards`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/rewards", tags=["rewards"])
me_router = APIRouter(prefix="/me", tags=["me: catalogue"])
