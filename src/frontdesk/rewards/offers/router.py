"""`/api/v1/offers`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/offers", tags=["offers"])
me_router = APIRouter(prefix="/me", tags=["me: offers"])
