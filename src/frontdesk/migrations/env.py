"""Alembic environment: async engines, the full metadata, batch mode on SQLite."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from frontdesk.catalog import metadata
from frontdesk.core.config import get_settings
from frontdesk.core.db import WRITE_OPTION, create_engine

config = context.config


def _database_url() -> str:
    return config.attributes.get("database_url") or get_settings().database_url


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    dialect = connection.dialect.name if connection is not None else (url or "").split("+")[0]
    context.configure(
        connection=connection,
        url=url,
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=False,
        render_as_batch=dialect == "sqlite",
        literal_binds=connection is None,
    )


def run_migrations_offline() -> None:
    _configure(url=_database_url())
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_sync(connection)
        return
    engine = create_engine(_database_url(), pool_size=1)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(**{WRITE_OPTION: True})
            await conn.run_sync(_run_sync)
            await conn.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
