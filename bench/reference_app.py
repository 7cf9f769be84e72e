"""The yardstick: the least a FastAPI + asyncpg service can do for one primary-key read.

Served by bench/run.py exactly like frontdesk (uvicorn, same workers, same flags):

    uvicorn --factory --app-dir bench reference_app:create_app

The database comes from BENCH_REFERENCE_DSN (a postgresql:// DSN). Each worker process
opens its own pool of POOL_SIZE connections, the same as frontdesk's default pool.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, HTTPException, Request

DSN_ENV = "BENCH_REFERENCE_DSN"
POOL_SIZE = 10
QUERY = "SELECT id, name FROM bench_reference WHERE id = $1"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    pool = await asyncpg.create_pool(os.environ[DSN_ENV], min_size=POOL_SIZE, max_size=POOL_SIZE)
    app.state.pool = pool
    try:
        yield
    finally:
        await pool.close()


async def get_reference(ref_id: int, request: Request) -> dict[str, object]:
    row = await request.app.state.pool.fetchrow(QUERY, ref_id)
    if row is None:
        raise HTTPException(status_code=404, detail="not found")
    return {"id": row["id"], "name": row["name"]}


def create_app() -> FastAPI:
    app = FastAPI(title="frontdesk bench reference", lifespan=lifespan)
    app.add_api_route("/ref/{ref_id}", get_reference, methods=["GET"])
    return app
