"""Typed settings read from the environment (prefix ``FRONTDESK_``) and ``.env``."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_KEY_LENGTH = 32  # characters; 32 URL-safe characters carry >= 256 bits with headroom
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/frontdesk.db"
# Dev mode only: production refuses to start without a real key.
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789"  # noqa: S105


class Environment(StrEnum):
    DEV = "dev"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FRONTDESK_", env_file=".env", extra="ignore", frozen=True
    )

    environment: Environment = Environment.DEV
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: SecretStr | None = None
    time_zone: str = "UTC"
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    log_level: str = "INFO"
    # Shared state (request throttling) moves to Redis when set, so processes agree.
    redis_url: str | None = None
    # Outgoing email: smtp://user:pass@host:port (smtps:// for implicit TLS); unset in
    # dev prints messages to the console.
    smtp_url: SecretStr | None = None
    mail_from: str = "frontdesk <no-reply@localhost>"
    # Where links in emails point (the web console or booking page).
    public_url: str = "http://127.0.0.1:8000"

    # Tokens and sessions (SECURITY.md 8-11).
    jwt_issuer: str = "frontdesk"
    jwt_audience: str = "frontdesk-api"
    access_token_minutes: int = Field(default=10, ge=1, le=15)
    staff_session_idle_minutes: int = Field(default=30, ge=1)
    staff_session_absolute_hours: int = Field(default=12, ge=1)
    customer_session_idle_minutes: int = Field(default=60 * 24 * 7, ge=1)
    customer_session_absolute_hours: int = Field(default=24 * 30, ge=1)
    refresh_reuse_grace_seconds: int = Field(default=10, ge=0, le=120)
    password_reset_minutes: int = Field(default=30, ge=5, le=24 * 60)
    email_verification_hours: int = Field(default=48, ge=1)

    # Brute-force protection (Keycloak-style; SECURITY.md 6).
    login_max_failures: int = Field(default=5, ge=1)
    login_wait_increment_seconds: int = Field(default=60, ge=1)
    login_max_wait_seconds: int = Field(default=15 * 60, ge=1)
    login_failure_reset_seconds: int = Field(default=12 * 60 * 60, ge=60)
    ip_max_failures: int = Field(default=50, ge=1)
    # Anonymous auth endpoints: requests per client IP per minute.
    auth_requests_per_minute: int = Field(default=30, ge=1)
    # Proxies whose X-Forwarded-For is believed (IPs or CIDRs); empty = use the socket.
    trusted_proxies: list[str] = Field(default_factory=list)

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_driver(cls, value: str) -> str:
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError(
                "database_url must start with postgresql+asyncpg:// or sqlite+aiosqlite://"
            )
        return value

    @model_validator(mode="after")
    def _secret_key_is_strong_in_production(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if len(key) < MIN_SECRET_KEY_LENGTH:
                raise ValueError(
                    "FRONTDESK_SECRET_KEY must be set to at least "
                    f"{MIN_SECRET_KEY_LENGTH} random characters in production "
                    "(generate one with: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
        return self

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def signing_key(self) -> str:
        """The key that signs tokens; a fixed, loudly insecure one only in dev mode."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return DEV_SECRET_KEY


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
