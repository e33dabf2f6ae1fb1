"""Settings of the bot: one frozen dataclass read from the environment, strictly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/icc-bot.sqlite3"
DEFAULT_PORT = 3978
DEFAULT_TIMEZONE = "Europe/Brussels"
APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
ASYNC_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class ConfigError(ValueError):
    """A setting that cannot be used; its message is the one line shown at start-up."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    port: int = DEFAULT_PORT
    host: str = "0.0.0.0"
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_tenant_id: str = ""
    app_type: str = "MultiTenant"
    default_timezone: str = DEFAULT_TIMEZONE
    # Teams caps a message at 100 KB; an inbound activity is smaller still. 1 MiB is generous.
    max_request_bytes: int = 1024 * 1024
    log_level: str = "INFO"
    # A secret for keyed hashes (anonymous ballots). Derived from the database URL if unset,
    # which is stable for one deployment; set ICC_SECRET_KEY in production.
    secret_key: str = field(default="", repr=False)
    # Grace period for reminders that fell due while the bot was down.
    reminder_grace_seconds: int = 3600
    run_scheduler: bool = True
    # A turn still running after this long is answered (Teams re-sends after ~15 s) and finishes
    # in the background.
    ack_seconds: float = 10.0
    # How long one call to the Bot Connector may take before it counts as failed (and is retried).
    connector_timeout_seconds: float = 20.0
    # Where inbound tokens' signing keys are published; Bot Framework's own default if unset.
    openid_metadata_url: str = ""

    @property
    def authenticated(self) -> bool:
        return bool(self.app_id)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _parse_int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def parse_database_url(raw: str) -> str:
    """Accept only SQLAlchemy URLs with an async driver we ship; say which, in one line."""
    try:
        url: URL = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL is not a database URL: expected e.g. "
            "sqlite+aiosqlite:///data/icc-bot.sqlite3 or postgresql+asyncpg://user@host/db"
        ) from None
    if url.drivername not in ASYNC_DRIVERS:
        raise ConfigError(
            f"DATABASE_URL uses driver {url.drivername!r}; use one of {', '.join(ASYNC_DRIVERS)}"
        )
    if url.drivername.startswith("postgresql") and not url.database:
        raise ConfigError("DATABASE_URL names no PostgreSQL database")
    return raw


def _validate_credentials(app_id: str, password: str, tenant: str, app_type: str) -> None:
    if app_type not in APP_TYPES:
        raise ConfigError(
            f"MicrosoftAppType must be one of {', '.join(APP_TYPES)}, got {app_type!r}"
        )
    if app_type == "UserAssignedMSI":
        if not (app_id and tenant):
            raise ConfigError(
                "MicrosoftAppType=UserAssignedMSI needs MicrosoftAppId and MicrosoftAppTenantId"
            )
        return
    if bool(app_id) != bool(password):
        missing = "MicrosoftAppPassword" if app_id else "MicrosoftAppId"
        raise ConfigError(f"Bot credentials are half set: {missing} is missing")
    if app_type == "SingleTenant" and app_id and not tenant:
        raise ConfigError("MicrosoftAppType=SingleTenant needs MicrosoftAppTenantId")
    if tenant and not app_id:
        raise ConfigError("MicrosoftAppTenantId is set but MicrosoftAppId is not")


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read settings from `env` (default: the process environment); explicit overrides win."""
    env = os.environ if env is None else env

    def get(name: str) -> str:
        return env.get(name, "").strip()

    values: dict[str, Any] = {}
    if get("DATABASE_URL"):
        values["database_url"] = parse_database_url(get("DATABASE_URL"))
    if get("PORT"):
        values["port"] = _parse_int("PORT", get("PORT"), 0, 65535)
    if get("HOST"):
        values["host"] = get("HOST")
    if get("ICC_DEFAULT_TIMEZONE"):
        values["default_timezone"] = get("ICC_DEFAULT_TIMEZONE")
    if get("ICC_MAX_REQUEST_BYTES"):
        values["max_request_bytes"] = _parse_int(
            "ICC_MAX_REQUEST_BYTES", get("ICC_MAX_REQUEST_BYTES"), 1024, 64 * 1024 * 1024
        )
    if get("ICC_REMINDER_GRACE_SECONDS"):
        values["reminder_grace_seconds"] = _parse_int(
            "ICC_REMINDER_GRACE_SECONDS", get("ICC_REMINDER_GRACE_SECONDS"), 0, 7 * 24 * 3600
        )
    if get("ICC_CONNECTOR_TIMEOUT_SECONDS"):
        values["connector_timeout_seconds"] = float(
            _parse_int(
                "ICC_CONNECTOR_TIMEOUT_SECONDS", get("ICC_CONNECTOR_TIMEOUT_SECONDS"), 1, 300
            )
        )
    if get("ICC_RUN_SCHEDULER"):
        values["run_scheduler"] = _parse_bool("ICC_RUN_SCHEDULER", get("ICC_RUN_SCHEDULER"))
    if get("ICC_SECRET_KEY"):
        values["secret_key"] = get("ICC_SECRET_KEY")
    if get("LOG_LEVEL"):
        level = get("LOG_LEVEL").upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
        values["log_level"] = level
    if get("BotOpenIdMetadata"):
        values["openid_metadata_url"] = get("BotOpenIdMetadata")
    values["app_id"] = get("MicrosoftAppId")
    values["app_password"] = get("MicrosoftAppPassword")
    values["app_tenant_id"] = get("MicrosoftAppTenantId")
    values["app_type"] = get("MicrosoftAppType") or "MultiTenant"
    values.update(overrides)

    settings = Settings(**values)
    if overrides.get("database_url"):
        parse_database_url(settings.database_url)
    _validate_credentials(
        settings.app_id, settings.app_password, settings.app_tenant_id, settings.app_type
    )
    try:
        ZoneInfo(settings.default_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"ICC_DEFAULT_TIMEZONE {settings.default_timezone!r} is not an IANA time zone"
        ) from None
    if not settings.secret_key:
        settings = replace(settings, secret_key="icc-bot:" + settings.database_url)
    return settings
