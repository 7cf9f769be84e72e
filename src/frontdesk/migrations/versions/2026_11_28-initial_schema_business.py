"""initial schema, 2 of 4: the business layer's customers and scheduling

Revision ID: 2026_11_28_0001b
Revises: 2026_11_28_0001
Create Date: 2026-11-28 08:47:28+00:00

The rule that one staff member's blocking appointments never overlap (buffers
included, half-open ranges) is an exclusion constraint on PostgreSQL and a pair of
triggers on SQLite, where write transactions hold the write lock from BEGIN IMMEDIATE,
so the trigger's check and the write are one atomic step.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import frontdesk.core.types

revision: str = "2026_11_28_0001b"
down_revision: str | Sequence[str] | None = "2026_11_28_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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
    _create_overlap_rule()


def downgrade() -> None:
    _drop_overlap_rule()
    op.drop_index(op.f("ix_appointments_user_id_appointment_date"), table_name="appointments")
    op.drop_index(op.f("ix_appointments_service_id"), table_name="appointments")
    op.drop_index(op.f("ix_appointments_customer_id_appointment_date"), table_name="appointments")
    op.drop_table("appointments")
    op.drop_index(op.f("ix_staff_working_hours_user_id_weekday"), table_name="staff_working_hours")
    op.drop_table("staff_working_hours")
    op.drop_index(op.f("ix_staff_time_off_user_id_starts_at"), table_name="staff_time_off")
    op.drop_table("staff_time_off")
    op.drop_index(op.f("ix_staff_services_service_id"), table_name="staff_services")
    op.drop_table("staff_services")
    op.drop_index(op.f("ix_customers_user_id"), table_name="customers")
    op.drop_index(op.f("ix_customers_search_name"), table_name="customers")
    op.drop_index(op.f("ix_customers_phone_normalized"), table_name="customers")
    op.drop_index(op.f("ix_customers_email_normalized"), table_name="customers")
    op.drop_table("customers")
    op.drop_index(op.f("ix_services_category"), table_name="services")
    op.drop_table("services")
    op.drop_index(op.f("ix_idempotency_keys_expires_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")


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
