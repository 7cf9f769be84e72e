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
    redis_url: str | None = None

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
