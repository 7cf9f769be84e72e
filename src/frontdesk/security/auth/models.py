"""Accounts, refresh tokens, sessions, brute-force ledger and one-time tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, CreatedAt, Timestamps, UUIDPrimaryKey, one_of
from frontdesk.core.types import UTCDateTime

SESSION_STATUSES = ("active", "revoked", "expired", "logged_out")
SESSION_LOG_ACTIONS = ("login", "refresh", "logout", "revoke", "reuse_detected", "expired")
ONE_TIME_TOKEN_PURPOSES = ("password_reset", "email_verification")


class User(UUIDPrimaryKey, Timestamps, Base):
    """A login account: staff (``is_customer`` false) or a self-service customer."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(150))
    # Case- and Unicode-folded copies carry the uniqueness (NFKC + casefold in Python).
    username_normalized: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    email_normalized: Mapped[str] = mapped_column(String(320), unique=True)
    hashed_password: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    is_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RefreshToken(UUIDPrimaryKey, CreatedAt, Base):
    """One opaque refresh token, known to the server only by its SHA-256."""

    __tablename__ = "refresh_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device_info: Mapped[str | None] = mapped_column(String(255))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("refresh_tokens.id", ondelete="SET NULL")
    )
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a used token was accepted once more inside the reuse grace window.
    grace_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EnhancedUserSession(UUIDPrimaryKey, Timestamps, Base):
    """One login on one device; ``session_id`` is the public handle (JWT ``sid``)."""

    __tablename__ = "enhanced_user_sessions"
    __table_args__ = (
        one_of("status", SESSION_STATUSES),
        Index(None, "user_id", "status"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("refresh_tokens.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default="active")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    revoked_reason: Mapped[str | None] = mapped_column(String(100))


class RateLimitLog(UUIDPrimaryKey, Timestamps, Base):
    """The brute-force ledger: attempts per (identifier, action) and any block."""

    __tablename__ = "rate_limit_logs"
    __table_args__ = (
        UniqueConstraint("identifier", "action"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
    )

    identifier: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(50))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SessionLog(UUIDPrimaryKey, CreatedAt, Base):
    """Session history a user and an admin can read; never holds a raw token."""

    __tablename__ = "session_logs"
    __table_args__ = (
        one_of("action", SESSION_LOG_ACTIONS),
        Index(None, "user_id", "created_at"),
    )

    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))
    session_token: Mapped[str | None] = mapped_column(String(64), index=True)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    success: Mapped[bool] = mapped_column(Boolean)
    user_agent: Mapped[str | None] = mapped_column(String(512))


class OneTimeToken(UUIDPrimaryKey, CreatedAt, Base):
    """Hashed, single-use, expiring token for password reset or email verification."""

    __tablename__ = "one_time_tokens"
    __table_args__ = (
        one_of("purpose", ONE_TIME_TOKEN_PURPOSES),
        Index(None, "user_id", "purpose"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
