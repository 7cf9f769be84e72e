"""Liveness and readiness probes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.core.access import PUBLIC
from frontdesk.core.deps import ReadEngine
from frontdesk.core.errors import ServiceUnavailableError

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

router = APIRouter(tags=["health"], dependencies=[PUBLIC])


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url is not None:
        config.attributes["database_url"] = database_url
    return config


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The revisions the code expects; read once, the scripts do not change at run time."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


async def database_revisions(engine: AsyncEngine) -> frozenset[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
        return frozenset(row[0] for row in rows)


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database is reachable and migrated to head")
async def readyz(engine: ReadEngine) -> dict[str, str]:
    try:
        current = await database_revisions(engine)
    except (SQLAlchemyError, OSError) as exc:
        raise ServiceUnavailableError("The database is not reachable.") from exc
    if current != head_revisions():
        raise ServiceUnavailableError(
            "The database schema is not at the latest migration; run `frontdesk db upgrade`.",
            current=sorted(current),
            expected=sorted(head_revisions()),
        )
    return {"status": "ready"}
