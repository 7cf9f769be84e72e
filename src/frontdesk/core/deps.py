"""Request-scoped dependencies: the one session per request and the app's services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.core.config import Settings
from frontdesk.core.db import open_session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commit exactly once, after the handler returns and before the response is sent.

    ``scope="function"`` below is what puts the commit before the response: a failed
    commit then answers an error instead of a success that never happened.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with open_session(sessionmaker, write=request.method not in SAFE_METHODS) as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


def _read_engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.read_engine
    return engine


DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]
AppSettings = Annotated[Settings, Depends(_settings)]
Engine = Annotated[AsyncEngine, Depends(_engine)]
# For single reads outside the request's unit of work (no BEGIN/ROLLBACK on PostgreSQL).
ReadEngine = Annotated[AsyncEngine, Depends(_read_engine)]
