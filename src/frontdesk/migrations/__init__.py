"""Alembic migrations that build the frontdesk schema on PostgreSQL and SQLite."""
