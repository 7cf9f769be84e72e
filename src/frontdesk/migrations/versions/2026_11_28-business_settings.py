"""business settings

The one row of business settings (time zone, currency, booking rules), seeded with
defaults an admin is expected to change: UTC, EUR, 15-minute slots, one hour's notice,
90 days ahead, 24-hour cancellation and reschedule cutoffs, reminders 24 hours before.

Revision ID: 2026_11_28_0004
Revises: 2026_11_28_0003
Create Date: 2026-11-28 12:50:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import frontdesk.core.types

revision: str = "2026_11_28_0004"
down_revision: str | Sequence[str] | None = "2026_11_28_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULTS = {
    "id": 1,
    "time_zone": "UTC",
    "currency": "EUR",
    "slot_step_minutes": 15,
    "min_notice_minutes": 60,
    "horizon_days": 90,
    "cancellation_cutoff_minutes": 24 * 60,
    "reschedule_cutoff_minutes": 24 * 60,
    "online_bookings_need_confirmation": False,
    "reminder_hours_before": 24,
}


def upgrade() -> None:
    table = op.create_table(
        "business_settings",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("slot_step_minutes", sa.Integer(), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("cancellation_cutoff_minutes", sa.Integer(), nullable=False),
        sa.Column("reschedule_cutoff_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "online_bookings_need_confirmation",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
        ),
        sa.Column("reminder_hours_before", sa.Integer(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_business_settings_single_row")),
        sa.CheckConstraint(
            "slot_step_minutes BETWEEN 5 AND 240",
            name=op.f("ck_business_settings_slot_step_in_range"),
        ),
        sa.CheckConstraint(
            "min_notice_minutes >= 0", name=op.f("ck_business_settings_min_notice_non_negative")
        ),
        sa.CheckConstraint(
            "horizon_days BETWEEN 1 AND 730", name=op.f("ck_business_settings_horizon_in_range")
        ),
        sa.CheckConstraint(
            "cancellation_cutoff_minutes >= 0 AND reschedule_cutoff_minutes >= 0",
            name=op.f("ck_business_settings_cutoffs_non_negative"),
        ),
        sa.CheckConstraint(
            "reminder_hours_before >= 0",
            name=op.f("ck_business_settings_reminder_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_business_settings_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_settings")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(table, [{**DEFAULTS, "updated_at": now, "created_at": now, "updated_by": None}])


def downgrade() -> None:
    op.drop_table("business_settings")
