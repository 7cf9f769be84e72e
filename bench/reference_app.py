"""The yardsticks: the least a FastAPI service can do for each kind of work frontdesk does.

Served by bench/run.py exactly like frontdesk (uvicorn, same workers, same flags):

    uvicorn --factory --app-dir bench reference_app:create_app

- ``GET /ref/{id}``: one primary-key read through a raw asyncpg pool. The database comes from
  BENCH_REFERENCE_DSN (a postgresql:// DSN); each worker process opens its own pool of
  POOL_SIZE connections, the same as frontdesk's default pool.
- ``POST /ref/verify`` with ``{"password": ...}``: one Argon2id verify and nothing else, with
  frontdesk's own hasher (same parameters) offloaded to a thread the way frontdesk does it,
  against a hash of BENCH_REFERENCE_PASSWORD computed once per worker at startup.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

from frontdesk.security.auth.passwords import HASHER

DSN_ENV = "BENCH_REFERENCE_DSN"
VERIFY_ENV = "BENCH_REFERENCE_PASSWORD"
POOL_SIZE = 10
QUERY = "SELECT id, name FROM bench_reference WHERE id = $1"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.password_hash = HASHER.hash(os.environ[VERIFY_ENV])
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


class VerifyRequest(BaseModel):
    password: str


async def verify(body: VerifyRequest, request: Request) -> dict[str, bool]:
    try:
        await asyncio.to_thread(HASHER.verify, request.app.state.password_hash, body.password)
    except (VerificationError, InvalidHashError):
        raise HTTPException(status_code=401, detail="wrong password") from None
    return {"ok": True}


def create_app() -> FastAPI:
    app = FastAPI(title="frontdesk bench reference", lifespan=lifespan)
    app.add_api_route("/ref/verify", verify, methods=["POST"])
    app.add_api_route("/ref/{ref_id}", get_reference, methods=["GET"])
    return app
