"""``frontdesk audit verify``: walk the hash chain and report the first broken link."""

from __future__ import annotations

import asyncio

import typer
from pydantic import ValidationError

from frontdesk.core.config import get_settings
from frontdesk.core.db import create_engine, create_sessionmaker, transaction
from frontdesk.security.audit.chain import VerifyResult, verify_chain

audit_app = typer.Typer(help="The audit log.")


async def _verify(database_url: str) -> VerifyResult:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with transaction(create_sessionmaker(engine), write=False) as session:
            return await verify_chain(session)
    finally:
        await engine.dispose()


def _database_url() -> str:
    try:
        return get_settings().database_url
    except ValidationError as exc:
        typer.secho(f"Configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc


@audit_app.command("verify")
def verify() -> None:
    """Check every row's hash and link; exit 1 at the first broken one."""
    result = asyncio.run(_verify(_database_url()))
    if result.broken is None:
        typer.secho(f"OK: {result.checked} rows verified", fg="green")
        return
    link = result.broken
    typer.secho(
        f"BROKEN at sequence {link.sequence} (id {link.id}): {link.reason} ({link.detail})",
        fg="red",
    )
    raise typer.Exit(1)
