"""rewards and marketing: vouchers, booking discounts, referral codes and settings, ads caps

- `reward_vouchers`: what redeeming a reward yields, applied to at most one booking.
- `bookings.discount_source` / `discount_reference_id` / `discount_rule`: the one
  discount a booking carries and the rule that recomputes it when its lines change.
- `loyalty_transactions.reason` also takes `payment` and `refund` (points as a payment
  method, and points given back).
- every customer gets a referral code (existing ones are given one here); the referral
  rules live in `business_settings`.
- `customer_offers`: one available copy per (offer, customer).
- `advertisements.max_views_per_day` (frequency cap) and `link_url`; impressions indexed
  per customer and time for the cap.

Revision ID: 2026_11_28_0010
Revises: 2026_11_28_0009
Create Date: 2026-11-28 17:40:00+00:00
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import frontdesk.core.types

revision: str = "2026_11_28_0010"
down_revision: str | Sequence[str] | None = "2026_11_28_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EARN_ONLY = "reason = 'earn'"
APPLIED_ONLY = "status = 'applied'"
AVAILABLE_ONLY = "status = 'available'"
OLD_REASONS = ("earn", "redeem", "referral", "adjustment", "expiry", "reversal")
NEW_REASONS = (*OLD_REASONS, "payment", "refund")
# Crockford's base32 without the look-alikes: the alphabet referral codes are drawn from.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10


def _reasons(values: Sequence[str]) -> str:
    return "reason IN ({})".format(", ".join(f"'{value}'" for value in values))


def _optional_json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "reward_vouchers",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("reward_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("points_spent", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("applied_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'applied') = (booking_id IS NOT NULL)",
            name=op.f("ck_reward_vouchers_booking_matches_status"),
        ),
        sa.CheckConstraint(
            "points_spent >= 0", name=op.f("ck_reward_vouchers_points_spent_non_negative")
        ),
        sa.CheckConstraint(
            "status IN ('issued', 'applied', 'cancelled', 'expired')",
            name=op.f("ck_reward_vouchers_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_reward_vouchers_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_reward_vouchers_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["rewards.id"], name=op.f("fk_reward_vouchers_reward_id_rewards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_vouchers")),
    )
    op.create_index(
        op.f("ix_reward_vouchers_customer_id_status"),
        "reward_vouchers",
        ["customer_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_reward_vouchers_reward_id"), "reward_vouchers", ["reward_id"], unique=False
    )
    op.create_index(
        "uq_reward_vouchers_applied_booking_id",
        "reward_vouchers",
        ["booking_id"],
        unique=True,
        postgresql_where=sa.text(APPLIED_ONLY),
        sqlite_where=sa.text(APPLIED_ONLY),
    )

    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("discount_source", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("discount_reference_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("discount_rule", _optional_json(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_bookings_discount_source_has_reference"),
            "(discount_source IS NULL) = (discount_reference_id IS NULL)",
        )

    # The partial index is set aside while SQLite rebuilds the table for the new CHECK.
    op.drop_index("uq_loyalty_transactions_earn_booking_id", table_name="loyalty_transactions")
    with op.batch_alter_table("loyalty_transactions") as batch:
        batch.drop_constraint(op.f("ck_loyalty_transactions_reason_valid"), type_="check")
        batch.create_check_constraint(
            op.f("ck_loyalty_transactions_reason_valid"), _reasons(NEW_REASONS)
        )
    _earn_index()

    op.add_column(
        "business_settings",
        sa.Column("referral_reward_points", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "business_settings",
        sa.Column("referral_refund_window_days", sa.Integer(), server_default="14", nullable=False),
    )
    _give_every_customer_a_referral_code()

    op.create_index(
        "uq_customer_offers_available",
        "customer_offers",
        ["offer_id", "customer_id"],
        unique=True,
        postgresql_where=sa.text(AVAILABLE_ONLY),
        sqlite_where=sa.text(AVAILABLE_ONLY),
    )

    with op.batch_alter_table("advertisements") as batch:
        batch.add_column(sa.Column("max_views_per_day", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("link_url", sa.String(length=2000), nullable=True))
        batch.create_check_constraint(
            op.f("ck_advertisements_max_views_per_day_positive"),
            "max_views_per_day IS NULL OR max_views_per_day > 0",
        )
    op.create_index(
        op.f("ix_customer_ads_viewed_customer_id_viewed_at"),
        "customer_ads_viewed",
        ["customer_id", "viewed_at"],
        unique=False,
    )


def _earn_index() -> None:
    op.create_index(
        "uq_loyalty_transactions_earn_booking_id",
        "loyalty_transactions",
        ["booking_id"],
        unique=True,
        postgresql_where=sa.text(EARN_ONLY),
        sqlite_where=sa.text(EARN_ONLY),
    )


def _give_every_customer_a_referral_code() -> None:
    bind = op.get_bind()
    customers = sa.table("customers", sa.column("id", sa.Uuid()), sa.column("referral_code"))
    ids = bind.execute(
        sa.select(customers.c.id).where(customers.c.referral_code.is_(None))
    ).scalars()
    for customer_id in ids.all():
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        bind.execute(
            customers.update().where(customers.c.id == customer_id).values(referral_code=code)
        )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_customer_ads_viewed_customer_id_viewed_at"), table_name="customer_ads_viewed"
    )
    with op.batch_alter_table("advertisements") as batch:
        batch.drop_constraint(op.f("ck_advertisements_max_views_per_day_positive"), type_="check")
        batch.drop_column("link_url")
        batch.drop_column("max_views_per_day")
    op.drop_index("uq_customer_offers_available", table_name="customer_offers")
    with op.batch_alter_table("business_settings") as batch:
        batch.drop_column("referral_refund_window_days")
        batch.drop_column("referral_reward_points")
    op.drop_index("uq_loyalty_transactions_earn_booking_id", table_name="loyalty_transactions")
    op.execute("DELETE FROM loyalty_transactions WHERE reason IN ('payment', 'refund')")
    with op.batch_alter_table("loyalty_transactions") as batch:
        batch.drop_constraint(op.f("ck_loyalty_transactions_reason_valid"), type_="check")
        batch.create_check_constraint(
            op.f("ck_loyalty_transactions_reason_valid"), _reasons(OLD_REASONS)
        )
    _earn_index()
    with op.batch_alter_table("bookings") as batch:
        batch.drop_constraint(op.f("ck_bookings_discount_source_has_reference"), type_="check")
        batch.drop_column("discount_rule")
        batch.drop_column("discount_reference_id")
        batch.drop_column("discount_source")
    op.drop_index("uq_reward_vouchers_applied_booking_id", table_name="reward_vouchers")
    op.drop_index(op.f("ix_reward_vouchers_reward_id"), table_name="reward_vouchers")
    op.drop_index(op.f("ix_reward_vouchers_customer_id_status"), table_name="reward_vouchers")
    op.drop_table("reward_vouchers")
