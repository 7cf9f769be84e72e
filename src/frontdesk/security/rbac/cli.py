"""``frontdesk rbac``: keep permissions in line with the code; print the role matrix."""

from __future__ import annotations

import asyncio

import typer

from frontdesk.core.config import get_settings
from frontdesk.core.db import create_engine, create_sessionmaker, transaction
from frontdesk.security.rbac.roles import default_matrix, matrix_table
from frontdesk.security.rbac.sync import SyncReport, sync_permissions

rbac_app = typer.Typer(help="Roles and permissions.")


@rbac_app.command("sync")
def sync() -> None:
    """Add permissions the code declares and the database lacks (idempotent)."""
    report = asyncio.run(_sync())
    for name in report.added:
        typer.echo(f"added {name}")
    for name in report.updated:
        typer.echo(f"updated description of {name}")
    for grant in report.granted:
        typer.echo(f"granted {grant}")
    for name in report.undeclared:
        typer.secho(f"kept {name}: no longer declared in code", fg="yellow")
    if not (report.added or report.updated):
        typer.echo("Permissions already in line with the code.")


async def _sync() -> SyncReport:
    engine = create_engine(get_settings().database_url, pool_size=1)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            return await sync_permissions(session)
    finally:
        await engine.dispose()


@rbac_app.command("table")
def table() -> None:
    """Print the system roles' default permission matrix (the table in docs/rbac.md)."""
    typer.echo(matrix_table(default_matrix()))
