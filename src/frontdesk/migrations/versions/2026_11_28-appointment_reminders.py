"""appointment reminders

One row per reminder the worker has handled (an appointment at one start time), unique
so that several workers never remind twice; and an index on appointments' start for the
worker's "what starts soon" scan.

Revision ID: 2026_11_28_0006
Revises: 2026_11_28_0005
Create Date: 2026-11-28 14:19:27+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.core.types

revision: str = "2026_11_28_0006"
down_revision: str | Sequence[str] | None = "2026_11_28_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appointment_reminders",
        sa.Column("appointment_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("outbox_message_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('queued', 'no_email', 'opted_out')",
            name=op.f("ck_appointment_reminders_outcome_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_reminders_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_appointment_reminders_outbox_message_id_outbox_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_reminders")),
        sa.UniqueConstraint(
            "appointment_id",
            "starts_at",
            name=op.f("uq_appointment_reminders_appointment_id_starts_at"),
        ),
    )
    # Not a batch operation: on SQLite that could rebuild the table and drop its
    # no-overlap triggers; a plain CREATE INDEX leaves them alone.
    op.create_index(op.f("ix_appointments_appointment_date"), "appointments", ["appointment_date"])


def downgrade() -> None:
    op.drop_index(op.f("ix_appointments_appointment_date"), table_name="appointments")
    op.drop_table("appointment_reminders")
