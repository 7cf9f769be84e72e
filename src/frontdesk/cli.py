"""The ``frontdesk`` command line: serve, run the worker, migrate, create the first admin."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Annotated

import typer
from alembic import command
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError

import frontdesk.catalog  # noqa: F401  (every table and permission, for the commands below)
from frontdesk.business.inventory.cli import inventory_app
from frontdesk.core.config import Settings, get_settings
from frontdesk.core.db import create_engine, create_sessionmaker, is_sqlite, transaction
from frontdesk.core.errors import AppError
from frontdesk.core.health import alembic_config, database_revisions, head_revisions
from frontdesk.core.logging import configure_logging
from frontdesk.core.outbox import OutboxDispatcher, sender_from_settings
from frontdesk.security.audit.cli import audit_app
from frontdesk.security.rbac.cli import rbac_app
from frontdesk.worker import (
    DEFAULT_POLL_SECONDS,
    Worker,
    WorkerAlreadyRunningError,
    single_worker_lock,
)

app = typer.Typer(help="frontdesk: the back office of an appointment-based business.")
db_app = typer.Typer(help="Database migrations.")
users_app = typer.Typer(help="User accounts.")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(rbac_app, name="rbac")
app.add_typer(inventory_app, name="inventory")


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "settings"
            typer.secho(f"Configuration error ({field}): {error['msg']}", fg="red", err=True)
        raise typer.Exit(2) from exc


def _ensure_sqlite_directory(url: str) -> None:
    if is_sqlite(url) and ":///" in url:
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            directory = os.path.dirname(path)
            if directory:
                os.makedirs(directory, exist_ok=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (dev).")] = False,
) -> None:
    """Serve the HTTP API."""
    import uvicorn

    settings = _settings()
    _ensure_sqlite_directory(settings.database_url)
    asyncio.run(_print_first_admin_hint(settings))
    uvicorn.run(
        "frontdesk.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        proxy_headers=True,
        server_header=False,
        log_config=None,
    )


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Run one pass and exit (e.g. from cron).")] = False,
    poll_seconds: Annotated[
        float, typer.Option(help="Seconds between passes.", min=1.0)
    ] = DEFAULT_POLL_SECONDS,
) -> None:
    """Send appointment reminders and deliver the email outbox."""
    settings = _settings()
    try:
        with single_worker_lock(settings.database_url):
            asyncio.run(_run_worker(settings, once=once, poll_seconds=poll_seconds))
    except WorkerAlreadyRunningError as exc:
        typer.secho(f"Refused: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc


async def _run_worker(settings: Settings, *, once: bool, poll_seconds: float) -> None:
    configure_logging(json_lines=settings.is_production, level=settings.log_level)
    engine = create_engine(settings.database_url, pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    outbox = OutboxDispatcher(sessionmaker, sender_from_settings(settings), poll_seconds=None)
    runner = Worker(sessionmaker, outbox, poll_seconds=poll_seconds)
    try:
        if once:
            report = await runner.run_once()
            typer.echo(
                f"Reminders queued: {report.reminders_queued}; emails sent: {report.emails_sent}."
            )
            typer.echo(f"Points expired: {report.points_expired}.")
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await runner.run(stop)
    finally:
        await engine.dispose()


async def _print_first_admin_hint(settings: Settings) -> None:
    from frontdesk.security.rbac.service import count_active_admins

    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with transaction(create_sessionmaker(engine), write=False) as session:
            admins = await count_active_admins(session)
    except Exception as exc:
        typer.secho(f"Could not check for an admin account: {exc}", fg="yellow", err=True)
        return
    finally:
        await engine.dispose()
    if admins == 0:
        typer.secho(
            "\nNo admin account exists yet. Create the first one with:\n"
            "    .venv/bin/frontdesk users create-admin\n",
            fg="yellow",
            err=True,
        )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database forward (to the latest schema by default)."""
    settings = _settings()
    _ensure_sqlite_directory(settings.database_url)
    command.upgrade(alembic_config(settings.database_url), revision)
    typer.echo(f"Database at {revision}.")


@db_app.command("downgrade", context_settings={"ignore_unknown_options": True})
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")],
) -> None:
    """Migrate the database back to REVISION."""
    settings = _settings()
    command.downgrade(alembic_config(settings.database_url), revision)
    typer.echo(f"Database at {revision}.")


@db_app.command("current")
def db_current() -> None:
    """Show the database's current revision and whether it is the latest."""
    settings = _settings()
    current = asyncio.run(_current_revisions(settings))
    heads = head_revisions()
    if not current:
        typer.echo("No migrations applied (run `frontdesk db upgrade`).")
        return
    for revision in sorted(current):
        typer.echo(f"{revision} (head)" if revision in heads else f"{revision} (behind head)")


async def _current_revisions(settings: Settings) -> frozenset[str]:
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        return await database_revisions(engine)
    except (OperationalError, ProgrammingError):
        return frozenset()  # no alembic_version table yet
    finally:
        await engine.dispose()


@users_app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(prompt=True, help="Login name.")],
    email: Annotated[str, typer.Option(prompt=True, help="Email address.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="FRONTDESK_ADMIN_PASSWORD",
            help="Password (prompted when omitted; or FRONTDESK_ADMIN_PASSWORD).",
        ),
    ],
) -> None:
    """Create a staff account with the admin role."""
    settings = _settings()
    try:
        asyncio.run(_create_admin(settings, username, email, password))
    except AppError as exc:
        typer.secho(f"Refused: {exc.detail}", fg="red", err=True)
        raise typer.Exit(1) from exc
    typer.secho(f"Admin {username!r} created.", fg="green")


async def _create_admin(settings: Settings, username: str, email: str, password: str) -> None:
    from frontdesk.security.auth.service import create_user
    from frontdesk.security.rbac.service import ADMIN_ROLE, assign_role

    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            user = await create_user(session, username=username, email=email, password=password)
            await assign_role(session, user.id, ADMIN_ROLE, assigned_by=None)
    finally:
        await engine.dispose()


def main() -> None:
    app()
