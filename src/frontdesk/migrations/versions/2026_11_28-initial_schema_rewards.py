"""initial schema, 4 of 4: the rewards and marketing layer

Revision ID: 2026_11_28_0001d
Revises: 2026_11_28_0001c
Create Date: 2026-11-28 08:47:28+00:00

bookings.customer_offer_id points at customer_offers, which points back at bookings:
that link is added here, once both tables exist.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import frontdesk.core.types
from frontdesk.core.types import ExactDecimal, exact_literal

revision: str = "2026_11_28_0001d"
down_revision: str | Sequence[str] | None = "2026_11_28_0001c"
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


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_constraint(
            op.f("fk_bookings_customer_offer_id_customer_offers"), type_="foreignkey"
        )
    op.drop_index(
        op.f("ix_loyalty_transactions_customer_id_created_at"), table_name="loyalty_transactions"
    )
    op.drop_index(op.f("ix_loyalty_transactions_booking_id"), table_name="loyalty_transactions")
    op.drop_table("loyalty_transactions")
    op.drop_index(op.f("ix_customer_offers_offer_id"), table_name="customer_offers")
    op.drop_index(op.f("ix_customer_offers_customer_id_status"), table_name="customer_offers")
    op.drop_index(op.f("ix_customer_offers_booking_id"), table_name="customer_offers")
    op.drop_table("customer_offers")
    op.drop_index(op.f("ix_referrals_referrer_id"), table_name="referrals")
    op.drop_table("referrals")
    op.drop_index(
        op.f("ix_customer_ads_viewed_customer_id_ad_id"), table_name="customer_ads_viewed"
    )
    op.drop_index(op.f("ix_customer_ads_viewed_ad_id_viewed_at"), table_name="customer_ads_viewed")
    op.drop_table("customer_ads_viewed")
    op.drop_table("rewards")
    op.drop_index(op.f("ix_offers_is_active_valid_until"), table_name="offers")
    op.drop_table("offers")
    op.drop_index(op.f("ix_advertisements_is_active_starts_at"), table_name="advertisements")
    op.drop_table("advertisements")
