from __future__ import annotations

import pytest
from pydantic import ValidationError

from frontdesk.core.config import DEFAULT_DATABASE_URL, Environment, Settings


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_defaults_serve_sqlite_under_var_in_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FRONTDESK_DATABASE_URL", "FRONTDESK_ENVIRONMENT", "FRONTDESK_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    config = settings()
    assert config.database_url == DEFAULT_DATABASE_URL
    assert "/var/" in config.database_url
    assert config.environment is Environment.DEV
    assert len(config.signing_key) >= 32


def test_environment_variables_use_the_frontdesk_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDESK_TIME_ZONE", "Europe/Berlin")
    monkeypatch.setenv("FRONTDESK_CURRENCY", "CHF")
    config = settings()
    assert config.time_zone == "Europe/Berlin"
    assert config.currency == "CHF"


@pytest.mark.parametrize("key", [None, "", "too-short"])
def test_production_refuses_a_missing_or_short_secret_key(key: str | None) -> None:
    with pytest.raises(ValidationError, match="FRONTDESK_SECRET_KEY must be set"):
        settings(environment="production", secret_key=key)


def test_production_accepts_a_long_secret_key() -> None:
    config = settings(environment="production", secret_key="x" * 48)
    assert config.is_production
    assert config.signing_key == "x" * 48


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        settings(time_zone="Mars/Olympus")


def test_unsupported_database_driver_is_refused() -> None:
    with pytest.raises(ValidationError, match="database_url must start with"):
        settings(database_url="mysql://localhost/frontdesk")


def test_currency_must_be_an_iso_code() -> None:
    with pytest.raises(ValidationError):
        settings(currency="euro")
