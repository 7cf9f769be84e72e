"""Alembic builds the whole schema on both engines, without drift, and can be undone."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection

from frontdesk.catalog import PERMISSIONS
from frontdesk.core.db import create_engine
from frontdesk.core.health import alembic_config
from frontdesk.security.rbac.models import Permission, Role
from tests.databases import downgrade, migrate

# The seed data model (spec/seed-data-model.md): 24 tables, every column it draws.
SEED_SCHEMA: dict[str, set[str]] = {
    "users": {"id", "username", "email", "hashed_password", "is_active", "is_customer"},
    "refresh_tokens": {
        "id", "user_id", "token_hash", "expires_at", "device_info", "ip_address", "user_agent"
    },
    "enhanced_user_sessions": {
        "id", "user_id", "session_id", "refresh_token_id", "status", "expires_at"
    },
    "audit_logs": {"id", "user_id", "action", "resource", "ip_address", "success"},
    "rate_limit_logs": {"id", "identifier", "action", "attempts", "blocked_until", "created_at"},
    "session_logs": {"id", "user_id", "action", "session_token", "ip_address", "success"},
    "roles": {"id", "name", "description", "is_active"},
    "permissions": {"id", "name", "resource", "action"},
    "user_permissions": {
        "id", "user_id", "permission_id", "granted_by", "expires_at", "is_active"
    },
    "user_roles": {"user_id", "role_id"},
    "role_permissions": {"role_id", "permission_id"},
    "appointments": {
        "id", "user_id", "customer_id", "service_id", "appointment_date", "status"
    },
    "bookings": {"id", "user_id", "customer_id", "appointment_id", "booking_date", "status"},
    "customers": {"id", "user_id", "name", "contact_info", "preferences", "loyalty_points"},
    "products": {"id", "name", "description", "price", "category", "is_active"},
    "payment_transactions": {
        "id", "booking_id", "customer_id", "amount", "payment_method", "status"
    },
    "order_events": {"id", "order_id", "event_type", "event_data", "created_at"},
    "inventory_logs": {"id", "product_id", "action", "quantity", "timestamp"},
    "rewards": {"id", "name", "type", "value", "conditions", "is_active"},
    "offers": {"id", "name", "description", "discount_percent", "valid_from", "valid_until"},
    "advertisements": {"id", "title", "content", "target_audience", "is_active", "created_at"},
    "referrals": {"id", "referrer_id", "referred_id", "reward_points", "status"},
    "customer_offers": {"id", "customer_id", "offer_id", "used_at", "status"},
    "customer_ads_viewed": {"id", "customer_id", "ad_id", "viewed_at", "clicked"},
}  # fmt: skip

# What DATA_MODEL.md adds: new tables, and new columns on seed tables.
ADDED_SCHEMA: dict[str, set[str]] = {
    "one_time_tokens": {"id", "user_id", "purpose", "token_hash", "expires_at", "used_at"},
    "services": {
        "id", "name", "duration_minutes", "buffer_before_minutes", "buffer_after_minutes",
        "price", "currency", "category", "is_active",
    },
    "staff_services": {"user_id", "service_id"},
    "staff_working_hours": {"id", "user_id", "weekday", "start_time", "end_time"},
    "staff_time_off": {"id", "user_id", "starts_at", "ends_at", "reason"},
    "booking_items": {"id", "booking_id", "service_id", "product_id", "quantity", "unit_price"},
    "calendar_feeds": {"id", "user_id", "token_hash", "created_by", "created_at"},
    "business_settings": {
        "id", "time_zone", "currency", "slot_step_minutes", "min_notice_minutes",
        "horizon_days", "cancellation_cutoff_minutes", "reschedule_cutoff_minutes",
        "online_bookings_need_confirmation", "reminder_hours_before", "updated_by",
    },
    "idempotency_keys": {
        "id", "key", "owner", "request_fingerprint", "response_status", "response_body",
        "created_at",
    },
    "loyalty_transactions": {
        "id", "customer_id", "points", "reason", "booking_id", "reward_id", "referral_id",
        "balance_after", "expires_at",
    },
    "users": {"email_verified_at", "last_login_at", "password_changed_at", "created_at"},
    "refresh_tokens": {"family_id", "replaced_by_id", "used_at", "revoked_at"},
    "enhanced_user_sessions": {"last_seen_at", "ip_address", "user_agent", "revoked_reason"},
    "audit_logs": {"details", "user_agent", "request_id", "prev_hash", "hash", "created_at"},
    "rate_limit_logs": {"window_started_at", "updated_at"},
    "session_logs": {"user_agent"},
    "user_roles": {"created_at", "assigned_by"},
    "role_permissions": {"created_at"},
    "customers": {"referral_code", "tags", "anonymized_at"},
    "appointments": {"ends_at", "status", "notes"},
    "bookings": {"subtotal", "discount", "total", "currency", "customer_offer_id", "source"},
    "products": {"sku", "stock_quantity", "reorder_level"},
    "inventory_logs": {"user_id", "booking_id", "reason", "stock_after"},
    "payment_transactions": {
        "currency", "kind", "refund_of_id", "external_reference", "idempotency_key"
    },
    "order_events": {"actor_user_id"},
    "rewards": {"stock"},
    "offers": {"is_active", "max_uses_total", "max_uses_per_customer", "conditions"},
    "customer_offers": {"booking_id"},
    "advertisements": {"starts_at", "ends_at"},
    "customer_ads_viewed": {"clicked_at"},
}  # fmt: skip

SYSTEM_ROLES = {"admin", "manager", "staff", "receptionist", "customer"}


def _columns_by_table(conn: Connection) -> dict[str, set[str]]:
    inspector = inspect(conn)
    return {
        table: {column["name"] for column in inspector.get_columns(table)}
        for table in inspector.get_table_names()
    }


async def _schema(url: str) -> dict[str, set[str]]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_columns_by_table)
    finally:
        await engine.dispose()


def test_the_seed_lists_24_distinct_tables() -> None:
    assert len(SEED_SCHEMA) == 24


async def test_upgrade_builds_every_seed_and_added_table_and_column(
    scratch_database_url: str,
) -> None:
    await migrate(scratch_database_url)
    schema = await _schema(scratch_database_url)
    for expected in (SEED_SCHEMA, ADDED_SCHEMA):
        for table, columns in expected.items():
            assert table in schema, f"missing table {table}"
            assert columns <= schema[table], f"{table} lacks {columns - schema[table]}"
    every_table_timestamps = [t for t, cols in schema.items() if t != "alembic_version"]
    assert all("created_at" in schema[t] for t in every_table_timestamps)


async def test_models_and_migrations_do_not_drift(scratch_database_url: str) -> None:
    await migrate(scratch_database_url)
    # Raises AutogenerateDiffsDetected when the models and the migrations disagree.
    await asyncio.to_thread(command.check, alembic_config(scratch_database_url))


async def test_upgrade_downgrade_to_base_upgrade_again(scratch_database_url: str) -> None:
    await migrate(scratch_database_url)
    await downgrade(scratch_database_url, "base")
    assert set(await _schema(scratch_database_url)) <= {"alembic_version"}
    await migrate(scratch_database_url)
    assert set(SEED_SCHEMA) <= set(await _schema(scratch_database_url))


async def test_migrations_seed_the_system_roles_and_every_declared_permission(
    scratch_database_url: str,
) -> None:
    await migrate(scratch_database_url)
    engine = create_engine(scratch_database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            roles = set((await conn.execute(select(Role.name))).scalars())
            permissions = set((await conn.execute(select(Permission.name))).scalars())
            admin_grants = await conn.scalar(
                text(
                    "SELECT count(*) FROM role_permissions rp JOIN roles r ON r.id = rp.role_id "
                    "WHERE r.name = 'admin'"
                )
            )
    finally:
        await engine.dispose()
    assert roles == SYSTEM_ROLES
    assert permissions == set(PERMISSIONS)
    assert admin_grants == len(PERMISSIONS)
