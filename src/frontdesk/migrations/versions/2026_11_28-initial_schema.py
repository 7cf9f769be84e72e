"""initial schema: every table of the seed data model and the tables frontdesk adds

The rule that one staff member's blocking appointments never overlap (buffers
included, half-open ranges) is an exclusion constraint on PostgreSQL and a pair of
triggers on SQLite, where write transactions hold the write lock from BEGIN IMMEDIATE,
so the trigger's check and the write are one atomic step.

Revision ID: 2026_11_28_0001
Revises:
Create Date: 2026-11-28 08:47:28.042531+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import frontdesk.core.types
from frontdesk.core.types import ExactDecimal, exact_literal

revision: str = "2026_11_28_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "advertisements",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "target_audience",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("starts_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ends_at IS NULL OR starts_at < ends_at",
            name=op.f("ck_advertisements_schedule_ordered"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advertisements")),
    )
    op.create_index(
        op.f("ix_advertisements_is_active_starts_at"),
        "advertisements",
        ["is_active", "starts_at"],
        unique=False,
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column(
            "response_body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("completed_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('in_flight', 'completed')", name=op.f("ck_idempotency_keys_state_valid")
        ),
        sa.CheckConstraint(
            "response_status IS NULL OR (response_status >= 100 AND response_status < 600)",
            name=op.f("ck_idempotency_keys_response_status_http"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("owner", "key", name=op.f("uq_idempotency_keys_owner_key")),
    )
    op.create_index(
        op.f("ix_idempotency_keys_expires_at"), "idempotency_keys", ["expires_at"], unique=False
    )
    op.create_table(
        "offers",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "discount_percent",
            frontdesk.core.types.ExactDecimal(precision=18, scale=4),
            nullable=False,
        ),
        sa.Column("valid_from", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("max_uses_total", sa.Integer(), nullable=True),
        sa.Column("max_uses_per_customer", sa.Integer(), nullable=True),
        sa.Column("uses_count", sa.Integer(), nullable=False),
        sa.Column(
            "conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            # exact_literal scales the bounds like the stored values (x10^4 on SQLite).
            sa.and_(
                sa.column("discount_percent", ExactDecimal()) >= exact_literal(0),
                sa.column("discount_percent", ExactDecimal()) <= exact_literal(100),
            ),
            name=op.f("ck_offers_discount_percent_range"),
        ),
        sa.CheckConstraint(
            "max_uses_per_customer IS NULL OR max_uses_per_customer > 0",
            name=op.f("ck_offers_max_uses_per_customer_positive"),
        ),
        sa.CheckConstraint(
            "max_uses_total IS NULL OR max_uses_total > 0",
            name=op.f("ck_offers_max_uses_total_positive"),
        ),
        sa.CheckConstraint(
            "max_uses_total IS NULL OR uses_count <= max_uses_total",
            name=op.f("ck_offers_uses_within_limit"),
        ),
        sa.CheckConstraint("uses_count >= 0", name=op.f("ck_offers_uses_count_non_negative")),
        sa.CheckConstraint("valid_from < valid_until", name=op.f("ck_offers_validity_ordered")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
    )
    op.create_index(
        op.f("ix_offers_is_active_valid_until"),
        "offers",
        ["is_active", "valid_until"],
        unique=False,
    )
    op.create_table(
        "permissions",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("resource", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permissions")),
        sa.UniqueConstraint("name", name=op.f("uq_permissions_name")),
        sa.UniqueConstraint("resource", "action", name=op.f("uq_permissions_resource_action")),
    )
    op.create_table(
        "products",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "price", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("stock_quantity", sa.Integer(), nullable=False),
        sa.Column("reorder_level", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price >= 0", name=op.f("ck_products_price_non_negative")),
        sa.CheckConstraint(
            "reorder_level >= 0", name=op.f("ck_products_reorder_level_non_negative")
        ),
        sa.CheckConstraint("stock_quantity >= 0", name=op.f("ck_products_stock_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("sku", name=op.f("uq_products_sku")),
    )
    op.create_index(op.f("ix_products_category"), "products", ["category"], unique=False)
    op.create_table(
        "rate_limit_logs",
        sa.Column("identifier", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("blocked_until", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "window_started_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_rate_limit_logs_attempts_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_logs")),
        sa.UniqueConstraint(
            "identifier", "action", name=op.f("uq_rate_limit_logs_identifier_action")
        ),
    )
    op.create_table(
        "rewards",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column(
            "value", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column(
            "conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('discount_amount', 'discount_percent', 'free_service', 'free_product')",
            name=op.f("ck_rewards_type_valid"),
        ),
        sa.CheckConstraint(
            "stock IS NULL OR stock >= 0", name=op.f("ck_rewards_stock_non_negative")
        ),
        sa.CheckConstraint("value >= 0", name=op.f("ck_rewards_value_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards")),
    )
    op.create_table(
        "roles",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.UniqueConstraint("name", name=op.f("uq_roles_name")),
    )
    op.create_table(
        "services",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_before_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_after_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "price", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "buffer_before_minutes >= 0 AND buffer_after_minutes >= 0",
            name=op.f("ck_services_buffers_non_negative"),
        ),
        sa.CheckConstraint(
            "duration_minutes > 0 AND duration_minutes <= 1440",
            name=op.f("ck_services_duration_in_range"),
        ),
        sa.CheckConstraint("price >= 0", name=op.f("ck_services_price_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
    )
    op.create_index(op.f("ix_services_category"), "services", ["category"], unique=False)
    op.create_table(
        "users",
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("username_normalized", sa.String(length=150), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_normalized", sa.String(length=320), nullable=False),
        sa.Column("hashed_password", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_customer", sa.Boolean(), nullable=False),
        sa.Column(
            "email_verified_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_login_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "password_changed_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email_normalized", name=op.f("uq_users_email_normalized")),
        sa.UniqueConstraint("username_normalized", name=op.f("uq_users_username_normalized")),
    )
    op.create_table(
        "audit_logs",
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("resource", sa.String(length=200), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_audit_logs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_logs_hash")),
    )
    op.create_index(
        op.f("ix_audit_logs_action_created_at"),
        "audit_logs",
        ["action", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_audit_logs_created_at"), "audit_logs", ["created_at"], unique=False)
    op.create_index(
        op.f("ix_audit_logs_user_id_created_at"),
        "audit_logs",
        ["user_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "customers",
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "contact_info",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "preferences",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("loyalty_points", sa.Integer(), nullable=False),
        sa.Column("referral_code", sa.String(length=32), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("anonymized_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("search_name", sa.String(length=200), nullable=False),
        sa.Column("email_normalized", sa.String(length=320), nullable=True),
        sa.Column("phone_normalized", sa.String(length=32), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "loyalty_points >= 0", name=op.f("ck_customers_loyalty_points_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_customers_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("referral_code", name=op.f("uq_customers_referral_code")),
    )
    op.create_index(
        op.f("ix_customers_email_normalized"), "customers", ["email_normalized"], unique=False
    )
    op.create_index(
        op.f("ix_customers_phone_normalized"), "customers", ["phone_normalized"], unique=False
    )
    op.create_index(op.f("ix_customers_search_name"), "customers", ["search_name"], unique=False)
    op.create_index(op.f("ix_customers_user_id"), "customers", ["user_id"], unique=False)
    op.create_table(
        "one_time_tokens",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('password_reset', 'email_verification')",
            name=op.f("ck_one_time_tokens_purpose_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_one_time_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_one_time_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_one_time_tokens_user_id_purpose"),
        "one_time_tokens",
        ["user_id", "purpose"],
        unique=False,
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("device_info", sa.String(length=255), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("replaced_by_id", sa.Uuid(), nullable=True),
        sa.Column("used_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"],
            ["refresh_tokens.id"],
            name=op.f("fk_refresh_tokens_replaced_by_id_refresh_tokens"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_refresh_tokens_family_id"), "refresh_tokens", ["family_id"], unique=False
    )
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"], unique=False)
    op.create_table(
        "role_permissions",
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("permission_id", sa.Uuid(), nullable=False),
        sa.Column("granted_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["granted_by"],
            ["users.id"],
            name=op.f("fk_role_permissions_granted_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["permission_id"],
            ["permissions.id"],
            name=op.f("fk_role_permissions_permission_id_permissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["roles.id"],
            name=op.f("fk_role_permissions_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("role_id", "permission_id", name=op.f("pk_role_permissions")),
    )
    op.create_index(
        op.f("ix_role_permissions_permission_id"),
        "role_permissions",
        ["permission_id"],
        unique=False,
    )
    op.create_table(
        "session_logs",
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("session_token", sa.String(length=64), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('login', 'refresh', 'logout', 'revoke', 'reuse_detected', 'expired')",
            name=op.f("ck_session_logs_action_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_session_logs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_logs")),
    )
    op.create_index(
        op.f("ix_session_logs_session_token"), "session_logs", ["session_token"], unique=False
    )
    op.create_index(
        op.f("ix_session_logs_user_id_created_at"),
        "session_logs",
        ["user_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "staff_services",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_staff_services_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_staff_services_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "service_id", name=op.f("pk_staff_services")),
    )
    op.create_index(
        op.f("ix_staff_services_service_id"), "staff_services", ["service_id"], unique=False
    )
    op.create_table(
        "staff_time_off",
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_staff_time_off_range_ordered")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_staff_time_off_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_time_off")),
    )
    op.create_index(
        op.f("ix_staff_time_off_user_id_starts_at"),
        "staff_time_off",
        ["user_id", "starts_at"],
        unique=False,
    )
    op.create_table(
        "staff_working_hours",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "start_time < end_time", name=op.f("ck_staff_working_hours_range_ordered")
        ),
        sa.CheckConstraint(
            "weekday BETWEEN 1 AND 7", name=op.f("ck_staff_working_hours_weekday_iso")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_staff_working_hours_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_working_hours")),
    )
    op.create_index(
        op.f("ix_staff_working_hours_user_id_weekday"),
        "staff_working_hours",
        ["user_id", "weekday"],
        unique=False,
    )
    op.create_table(
        "user_permissions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("permission_id", sa.Uuid(), nullable=False),
        sa.Column("granted_by", sa.Uuid(), nullable=True),
        sa.Column("expires_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["granted_by"],
            ["users.id"],
            name=op.f("fk_user_permissions_granted_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["permission_id"],
            ["permissions.id"],
            name=op.f("fk_user_permissions_permission_id_permissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_permissions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_permissions")),
    )
    op.create_index(
        op.f("ix_user_permissions_user_id_permission_id"),
        "user_permissions",
        ["user_id", "permission_id"],
        unique=False,
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by"],
            ["users.id"],
            name=op.f("fk_user_roles_assigned_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name=op.f("fk_user_roles_role_id_roles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "role_id", name=op.f("pk_user_roles")),
    )
    op.create_index(op.f("ix_user_roles_role_id"), "user_roles", ["role_id"], unique=False)
    op.create_table(
        "appointments",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column(
            "appointment_date", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("ends_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("blocked_from", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('scheduled', 'confirmed', 'checked_in', 'completed', 'cancelled', 'no_show')",
            name=op.f("ck_appointments_status_valid"),
        ),
        sa.CheckConstraint(
            "blocked_from <= appointment_date AND blocked_until >= ends_at",
            name=op.f("ck_appointments_block_covers_appointment"),
        ),
        sa.CheckConstraint(
            "ends_at > appointment_date", name=op.f("ck_appointments_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_appointments_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_appointments_service_id_services")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_appointments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    op.create_index(
        op.f("ix_appointments_customer_id_appointment_date"),
        "appointments",
        ["customer_id", "appointment_date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_appointments_service_id"), "appointments", ["service_id"], unique=False
    )
    op.create_index(
        op.f("ix_appointments_user_id_appointment_date"),
        "appointments",
        ["user_id", "appointment_date"],
        unique=False,
    )
    op.create_table(
        "customer_ads_viewed",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("ad_id", sa.Uuid(), nullable=False),
        sa.Column("viewed_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("clicked", sa.Boolean(), nullable=False),
        sa.Column("clicked_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_id"],
            ["advertisements.id"],
            name=op.f("fk_customer_ads_viewed_ad_id_advertisements"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_ads_viewed_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_ads_viewed")),
    )
    op.create_index(
        op.f("ix_customer_ads_viewed_ad_id_viewed_at"),
        "customer_ads_viewed",
        ["ad_id", "viewed_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customer_ads_viewed_customer_id_ad_id"),
        "customer_ads_viewed",
        ["customer_id", "ad_id"],
        unique=False,
    )
    op.create_table(
        "enhanced_user_sessions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("refresh_token_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("revoked_reason", sa.String(length=100), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'revoked', 'expired', 'logged_out')",
            name=op.f("ck_enhanced_user_sessions_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["refresh_token_id"],
            ["refresh_tokens.id"],
            name=op.f("fk_enhanced_user_sessions_refresh_token_id_refresh_tokens"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_enhanced_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enhanced_user_sessions")),
        sa.UniqueConstraint("session_id", name=op.f("uq_enhanced_user_sessions_session_id")),
    )
    op.create_index(
        op.f("ix_enhanced_user_sessions_user_id_status"),
        "enhanced_user_sessions",
        ["user_id", "status"],
        unique=False,
    )
    op.create_table(
        "referrals",
        sa.Column("referrer_id", sa.Uuid(), nullable=False),
        sa.Column("referred_id", sa.Uuid(), nullable=False),
        sa.Column("reward_points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("completed_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'completed', 'cancelled')",
            name=op.f("ck_referrals_status_valid"),
        ),
        sa.CheckConstraint(
            "referrer_id <> referred_id", name=op.f("ck_referrals_no_self_referral")
        ),
        sa.CheckConstraint(
            "reward_points >= 0", name=op.f("ck_referrals_reward_points_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["referred_id"], ["customers.id"], name=op.f("fk_referrals_referred_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"], ["customers.id"], name=op.f("fk_referrals_referrer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("referred_id", name=op.f("uq_referrals_referred_id")),
    )
    op.create_index(op.f("ix_referrals_referrer_id"), "referrals", ["referrer_id"], unique=False)
    op.create_table(
        "bookings",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("appointment_id", sa.Uuid(), nullable=True),
        sa.Column("booking_date", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "subtotal", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column(
            "discount", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column(
            "total", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("customer_offer_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('online', 'desk')", name=op.f("ck_bookings_source_valid")),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'completed', 'cancelled', 'no_show')",
            name=op.f("ck_bookings_status_valid"),
        ),
        sa.CheckConstraint(
            "subtotal >= 0 AND discount >= 0 AND total >= 0",
            name=op.f("ck_bookings_amounts_non_negative"),
        ),
        sa.CheckConstraint(
            "total = subtotal - discount", name=op.f("ck_bookings_total_is_subtotal_less_discount")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_bookings_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_bookings_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_bookings_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_bookings_appointment_id")),
    )
    op.create_index(
        op.f("ix_bookings_customer_id_booking_date"),
        "bookings",
        ["customer_id", "booking_date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_bookings_status_booking_date"),
        "bookings",
        ["status", "booking_date"],
        unique=False,
    )
    op.create_index(op.f("ix_bookings_user_id"), "bookings", ["user_id"], unique=False)
    op.create_table(
        "booking_items",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "unit_price", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column(
            "line_total", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'service' AND service_id IS NOT NULL AND product_id IS NULL) OR (kind = 'product' AND product_id IS NOT NULL AND service_id IS NULL)",
            name=op.f("ck_booking_items_kind_matches_reference"),
        ),
        sa.CheckConstraint(
            "kind IN ('service', 'product')", name=op.f("ck_booking_items_kind_valid")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_booking_items_quantity_positive")),
        sa.CheckConstraint(
            "unit_price >= 0 AND line_total >= 0",
            name=op.f("ck_booking_items_amounts_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_booking_items_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_booking_items_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_booking_items_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_items")),
    )
    op.create_index(
        op.f("ix_booking_items_booking_id"), "booking_items", ["booking_id"], unique=False
    )
    op.create_index(
        op.f("ix_booking_items_product_id"), "booking_items", ["product_id"], unique=False
    )
    op.create_table(
        "customer_offers",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("used_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'used') = (used_at IS NOT NULL)",
            name=op.f("ck_customer_offers_used_at_matches_status"),
        ),
        sa.CheckConstraint(
            "status IN ('available', 'used', 'expired', 'revoked')",
            name=op.f("ck_customer_offers_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_customer_offers_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_offers_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_customer_offers_offer_id_offers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_offers")),
    )
    op.create_index(
        op.f("ix_customer_offers_booking_id"), "customer_offers", ["booking_id"], unique=False
    )
    op.create_index(
        op.f("ix_customer_offers_customer_id_status"),
        "customer_offers",
        ["customer_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customer_offers_offer_id"), "customer_offers", ["offer_id"], unique=False
    )
    # bookings <-> customer_offers point at each other: the second link comes last.
    with op.batch_alter_table("bookings") as batch:
        batch.create_foreign_key(
            op.f("fk_bookings_customer_offer_id_customer_offers"),
            "customer_offers",
            ["customer_offer_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "inventory_logs",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("timestamp", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("stock_after", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('restock', 'sale', 'return', 'adjustment', 'damage')",
            name=op.f("ck_inventory_logs_action_valid"),
        ),
        sa.CheckConstraint("quantity <> 0", name=op.f("ck_inventory_logs_quantity_non_zero")),
        sa.CheckConstraint(
            "stock_after >= 0", name=op.f("ck_inventory_logs_stock_after_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_inventory_logs_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_inventory_logs_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_inventory_logs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_logs")),
    )
    op.create_index(
        op.f("ix_inventory_logs_booking_id"), "inventory_logs", ["booking_id"], unique=False
    )
    op.create_index(
        op.f("ix_inventory_logs_product_id_timestamp"),
        "inventory_logs",
        ["product_id", "timestamp"],
        unique=False,
    )
    op.create_table(
        "loyalty_transactions",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("reward_id", sa.Uuid(), nullable=True),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("balance_after", sa.Integer(), nullable=False),
        sa.Column("expires_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('earn', 'redeem', 'referral', 'adjustment', 'expiry', 'reversal')",
            name=op.f("ck_loyalty_transactions_reason_valid"),
        ),
        sa.CheckConstraint(
            "balance_after >= 0", name=op.f("ck_loyalty_transactions_balance_after_non_negative")
        ),
        sa.CheckConstraint("points <> 0", name=op.f("ck_loyalty_transactions_points_non_zero")),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_loyalty_transactions_actor_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_loyalty_transactions_booking_id_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_loyalty_transactions_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_loyalty_transactions_referral_id_referrals"),
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["rewards.id"], name=op.f("fk_loyalty_transactions_reward_id_rewards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_transactions")),
    )
    op.create_index(
        op.f("ix_loyalty_transactions_booking_id"),
        "loyalty_transactions",
        ["booking_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_loyalty_transactions_customer_id_created_at"),
        "loyalty_transactions",
        ["customer_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "order_events",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column(
            "event_data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_order_events_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["bookings.id"],
            name=op.f("fk_order_events_order_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    op.create_index(
        op.f("ix_order_events_order_id_created_at"),
        "order_events",
        ["order_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "payment_transactions",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column(
            "amount", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payment_method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("refund_of_id", sa.Uuid(), nullable=True),
        sa.Column("external_reference", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'refund') = (refund_of_id IS NOT NULL)",
            name=op.f("ck_payment_transactions_refund_has_original"),
        ),
        sa.CheckConstraint(
            "kind IN ('payment', 'refund')", name=op.f("ck_payment_transactions_kind_valid")
        ),
        sa.CheckConstraint(
            "payment_method IN ('cash', 'card', 'gift_card', 'points', 'other')",
            name=op.f("ck_payment_transactions_payment_method_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'authorized', 'captured', 'failed', 'voided', 'refunded', 'partially_refunded')",
            name=op.f("ck_payment_transactions_status_valid"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_transactions_amount_positive")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_payment_transactions_booking_id_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_payment_transactions_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["refund_of_id"],
            ["payment_transactions.id"],
            name=op.f("fk_payment_transactions_refund_of_id_payment_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_transactions")),
    )
    op.create_index(
        op.f("ix_payment_transactions_booking_id_created_at"),
        "payment_transactions",
        ["booking_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_payment_transactions_customer_id"),
        "payment_transactions",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_payment_transactions_refund_of_id"),
        "payment_transactions",
        ["refund_of_id"],
        unique=False,
    )

    _create_overlap_rule()


def downgrade() -> None:
    _drop_overlap_rule()
    with op.batch_alter_table("bookings") as batch:
        batch.drop_constraint(
            op.f("fk_bookings_customer_offer_id_customer_offers"), type_="foreignkey"
        )
    op.drop_index(op.f("ix_payment_transactions_refund_of_id"), table_name="payment_transactions")
    op.drop_index(op.f("ix_payment_transactions_customer_id"), table_name="payment_transactions")
    op.drop_index(
        op.f("ix_payment_transactions_booking_id_created_at"), table_name="payment_transactions"
    )
    op.drop_table("payment_transactions")
    op.drop_index(op.f("ix_order_events_order_id_created_at"), table_name="order_events")
    op.drop_table("order_events")
    op.drop_index(
        op.f("ix_loyalty_transactions_customer_id_created_at"), table_name="loyalty_transactions"
    )
    op.drop_index(op.f("ix_loyalty_transactions_booking_id"), table_name="loyalty_transactions")
    op.drop_table("loyalty_transactions")
    op.drop_index(op.f("ix_inventory_logs_product_id_timestamp"), table_name="inventory_logs")
    op.drop_index(op.f("ix_inventory_logs_booking_id"), table_name="inventory_logs")
    op.drop_table("inventory_logs")
    op.drop_index(op.f("ix_customer_offers_offer_id"), table_name="customer_offers")
    op.drop_index(op.f("ix_customer_offers_customer_id_status"), table_name="customer_offers")
    op.drop_index(op.f("ix_customer_offers_booking_id"), table_name="customer_offers")
    op.drop_table("customer_offers")
    op.drop_index(op.f("ix_booking_items_product_id"), table_name="booking_items")
    op.drop_index(op.f("ix_booking_items_booking_id"), table_name="booking_items")
    op.drop_table("booking_items")
    op.drop_index(op.f("ix_bookings_user_id"), table_name="bookings")
    op.drop_index(op.f("ix_bookings_status_booking_date"), table_name="bookings")
    op.drop_index(op.f("ix_bookings_customer_id_booking_date"), table_name="bookings")
    op.drop_table("bookings")
    op.drop_index(op.f("ix_referrals_referrer_id"), table_name="referrals")
    op.drop_table("referrals")
    op.drop_index(
        op.f("ix_enhanced_user_sessions_user_id_status"), table_name="enhanced_user_sessions"
    )
    op.drop_table("enhanced_user_sessions")
    op.drop_index(
        op.f("ix_customer_ads_viewed_customer_id_ad_id"), table_name="customer_ads_viewed"
    )
    op.drop_index(op.f("ix_customer_ads_viewed_ad_id_viewed_at"), table_name="customer_ads_viewed")
    op.drop_table("customer_ads_viewed")
    op.drop_index(op.f("ix_appointments_user_id_appointment_date"), table_name="appointments")
    op.drop_index(op.f("ix_appointments_service_id"), table_name="appointments")
    op.drop_index(op.f("ix_appointments_customer_id_appointment_date"), table_name="appointments")
    op.drop_table("appointments")
    op.drop_index(op.f("ix_user_roles_role_id"), table_name="user_roles")
    op.drop_table("user_roles")
    op.drop_index(op.f("ix_user_permissions_user_id_permission_id"), table_name="user_permissions")
    op.drop_table("user_permissions")
    op.drop_index(op.f("ix_staff_working_hours_user_id_weekday"), table_name="staff_working_hours")
    op.drop_table("staff_working_hours")
    op.drop_index(op.f("ix_staff_time_off_user_id_starts_at"), table_name="staff_time_off")
    op.drop_table("staff_time_off")
    op.drop_index(op.f("ix_staff_services_service_id"), table_name="staff_services")
    op.drop_table("staff_services")
    op.drop_index(op.f("ix_session_logs_user_id_created_at"), table_name="session_logs")
    op.drop_index(op.f("ix_session_logs_session_token"), table_name="session_logs")
    op.drop_table("session_logs")
    op.drop_index(op.f("ix_role_permissions_permission_id"), table_name="role_permissions")
    op.drop_table("role_permissions")
    op.drop_index(op.f("ix_refresh_tokens_user_id"), table_name="refresh_tokens")
    op.drop_index(op.f("ix_refresh_tokens_family_id"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index(op.f("ix_one_time_tokens_user_id_purpose"), table_name="one_time_tokens")
    op.drop_table("one_time_tokens")
    op.drop_index(op.f("ix_customers_user_id"), table_name="customers")
    op.drop_index(op.f("ix_customers_search_name"), table_name="customers")
    op.drop_index(op.f("ix_customers_phone_normalized"), table_name="customers")
    op.drop_index(op.f("ix_customers_email_normalized"), table_name="customers")
    op.drop_table("customers")
    op.drop_index(op.f("ix_audit_logs_user_id_created_at"), table_name="audit_logs")
    op.drop_index(op.f("ix_audit_logs_created_at"), table_name="audit_logs")
    op.drop_index(op.f("ix_audit_logs_action_created_at"), table_name="audit_logs")
    op.drop_table("audit_logs")
    op.drop_table("users")
    op.drop_index(op.f("ix_services_category"), table_name="services")
    op.drop_table("services")
    op.drop_table("roles")
    op.drop_table("rewards")
    op.drop_table("rate_limit_logs")
    op.drop_index(op.f("ix_products_category"), table_name="products")
    op.drop_table("products")
    op.drop_table("permissions")
    op.drop_index(op.f("ix_offers_is_active_valid_until"), table_name="offers")
    op.drop_table("offers")
    op.drop_index(op.f("ix_idempotency_keys_expires_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index(op.f("ix_advertisements_is_active_starts_at"), table_name="advertisements")
    op.drop_table("advertisements")


OVERLAP_NAME = "ex_appointments_staff_no_overlap"
BLOCKING = "('scheduled', 'confirmed', 'checked_in', 'completed')"


def _create_overlap_rule() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            f"ALTER TABLE appointments ADD CONSTRAINT {OVERLAP_NAME} EXCLUDE USING gist "
            "(user_id WITH =, tstzrange(blocked_from, blocked_until, '[)') WITH &&) "
            f"WHERE (status IN {BLOCKING})"
        )
        return
    clash = (
        f"SELECT RAISE(ABORT, '{OVERLAP_NAME}') WHERE EXISTS (SELECT 1 FROM appointments a "
        f"WHERE a.user_id = NEW.user_id AND a.id <> NEW.id AND a.status IN {BLOCKING} "
        "AND a.blocked_from < NEW.blocked_until AND NEW.blocked_from < a.blocked_until)"
    )
    op.execute(
        f"CREATE TRIGGER {OVERLAP_NAME}_insert BEFORE INSERT ON appointments "
        f"WHEN NEW.status IN {BLOCKING} BEGIN {clash}; END"
    )
    op.execute(
        f"CREATE TRIGGER {OVERLAP_NAME}_update BEFORE UPDATE OF "
        "user_id, blocked_from, blocked_until, status ON appointments "
        f"WHEN NEW.status IN {BLOCKING} BEGIN {clash}; END"
    )


def _drop_overlap_rule() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE appointments DROP CONSTRAINT IF EXISTS {OVERLAP_NAME}")
        op.execute("DROP EXTENSION IF EXISTS btree_gist")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {OVERLAP_NAME}_insert")
    op.execute(f"DROP TRIGGER IF EXISTS {OVERLAP_NAME}_update")
