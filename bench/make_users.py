"""Create the login scenario's accounts in one process, in one transaction.

    python bench/make_users.py USERNAME...

Creates one staff account per USERNAME (email USERNAME@example.com) with frontdesk's own
account service, so they are hashed and checked exactly like real ones. Run by
``scenarios.py`` in the server's environment (``FRONTDESK_DATABASE_URL`` and the rest); the one
password they share comes in ``BENCH_USERS_PASSWORD``, so it never shows in a process listing.
"""

from __future__ import annotations

import asyncio
import os
import sys

import frontdesk.catalog  # noqa: F401  (every table, as the CLI loads them)
from frontdesk.core.config import get_settings
from frontdesk.core.db import create_engine, create_sessionmaker, transaction
from frontdesk.security.auth.service import create_user

PASSWORD_ENV = "BENCH_USERS_PASSWORD"  # noqa: S105  (a variable name, not a password)


async def create(usernames: list[str], password: str) -> None:
    engine = create_engine(get_settings().database_url, pool_size=1)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            for username in usernames:
                await create_user(
                    session, username=username, email=f"{username}@example.com", password=password
                )
    finally:
        await engine.dispose()


def main() -> int:
    asyncio.run(create(sys.argv[1:], os.environ[PASSWORD_ENV]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
