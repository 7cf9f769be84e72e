"""Request-scoped dependencies: the one session per request and the app's services."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.core.config import Settings
from frontdesk.core.db import open_session, transaction

log = logging.getLogger("frontdesk.db")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


FailureWork = Callable[[AsyncSession], Awaitable[None]]
_ON_FAILURE = "frontdesk_on_failure"
_AFTER_COMMIT = "frontdesk_after_commit"


def persist_on_failure(session: AsyncSession, work: FailureWork) -> None:
    """Run ``work`` in its own transaction if this request fails.

    For records that must outlive a refused request (a failed login, a denied access, a
    detected token reuse). It runs after the request's transaction has rolled back, so
    on SQLite it never waits on the request's own write lock.
    """
    session.info.setdefault(_ON_FAILURE, []).append(work)


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Call ``callback`` once the request's transaction has committed (e.g. wake the outbox)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commit exactly once, after the handler returns and before the response is sent.

    ``scope="function"`` below is what puts the commit before the response: a failed
    commit then answers an error instead of a success that never happened.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    write = request.method not in SAFE_METHODS
    # Reads take the AUTOCOMMIT view on PostgreSQL: under READ COMMITTED every statement
    # sees its own snapshot anyway, so BEGIN/COMMIT would only add two round trips.
    maker = sessionmaker if write else request.app.state.read_sessionmaker
    async with open_session(maker, write=write) as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            await _run_failure_work(sessionmaker, session.info.pop(_ON_FAILURE, []))
            raise
        await session.commit()
        for callback in session.info.pop(_AFTER_COMMIT, []):
            callback()


async def _run_failure_work(
    sessionmaker: async_sessionmaker[AsyncSession], work: list[FailureWork]
) -> None:
    for item in work:
        try:
            async with transaction(sessionmaker) as session:
                await item(session)
        except Exception:
            log.exception("could not persist a record of a failed request")


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


async def _read_engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.read_engine
    return engine


# Dependencies are ``async def`` on purpose: FastAPI runs plain ``def`` ones in a thread
# pool, a hop that costs more than the work they do.
DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]
AppSettings = Annotated[Settings, Depends(_settings)]
Engine = Annotated[AsyncEngine, Depends(_engine)]
# For single reads outside the request's unit of work (no BEGIN/ROLLBACK on PostgreSQL).
ReadEngine = Annotated[AsyncEngine, Depends(_read_engine)]
