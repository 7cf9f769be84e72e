"""An app whose outbox delivers to a real local SMTP server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.app import create_app
from tests.conftest import asgi_client, make_settings
from tests.smtp import SMTPServer, smtp_server

__all__ = ["mail_app", "mail_client", "smtp_server"]

LINK_TOKEN = re.compile(r"token=([A-Za-z0-9_-]+)")


@pytest.fixture
def mail_app(database_url: str, engine: AsyncEngine, db: Any, smtp_server: SMTPServer) -> FastAPI:
    return create_app(make_settings(database_url, smtp_url=smtp_server.url()), engine=engine)


@pytest.fixture
async def mail_client(mail_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(mail_app) as client:
        yield client
    await mail_app.state.outbox.close()


async def delivered_token(app: FastAPI, server: SMTPServer, to: str, subject: str) -> str:
    """Wait for the outbox, then pull the one-time token out of the newest matching email."""
    await app.state.outbox.drain()
    matching = [
        item.message
        for item in server.received
        if to in item.envelope_to and item.message["Subject"] == subject
    ]
    assert matching, [(i.envelope_to, i.message["Subject"]) for i in server.received]
    found = LINK_TOKEN.search(matching[-1].get_content())
    assert found is not None
    return found.group(1)
