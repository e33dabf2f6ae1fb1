"""Settings of the bot: one frozen dataclass read from the environment, strictly."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/icc-bot.sqlite3"
DEFAULT_PORT = 3978
DEFAULT_TIMEZONE = "Europe/Brussels"
APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
ASYNC_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
# The Bot Connector endpoints Teams names in an activity's serviceUrl: the public cloud
# (smba.trafficmanager.net/<region>/…), GCC, GCC High and DoD, and Bot Framework's own channels.
DEFAULT_SERVICE_URL_HOSTS = (
    "smba.trafficmanager.net",
    "smba.infra.gcc.teams.microsoft.com",
    "smba.infra.gov.teams.microsoft.us",
    "smba.infra.dod.teams.microsoft.us",
    "*.botframework.com",
)
# Where Teams' file consent flow may have the bot upload a file (the uploadUrl of a
# fileConsent/invoke): the user's OneDrive, which lives on SharePoint (commercial, GCC, GCC
# High/DoD, and Microsoft's own dogfood ring).
DEFAULT_UPLOAD_HOSTS = (
    "*.sharepoint.com",
    "*.sharepoint.us",
    "*.sharepoint-mil.us",
    "*.sharepoint-df.com",
)
DEFAULT_FILE_LINK_DAYS = 7
# App types whose tokens come from one tenant: that tenant may always use the bot.
SINGLE_TENANT_TYPES = ("SingleTenant", "UserAssignedMSI")
# How the sender paces its calls: by Teams' rate limits, or not at all (tests, a fake connector).
Pacing = Literal["teams", "off"]
PACINGS: tuple[Pacing, ...] = get_args(Pacing)
MIN_SECRET_KEY_LENGTH = 32
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HOST_PATTERN = re.compile(
    r"(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
)


class ConfigError(ValueError):
    """A setting that cannot be used; its message is the one line shown at start-up."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    port: int = DEFAULT_PORT
    # Loopback unless credentials are set (load_settings): a bot without authentication answers
    # anyone who can reach it.
    host: str = "127.0.0.1"
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_tenant_id: str = ""
    app_type: str = "MultiTenant"
    default_timezone: str = DEFAULT_TIMEZONE
    # Teams caps a message at 100 KB; an inbound activity is smaller still. 1 MiB is generous.
    max_request_bytes: int = 1024 * 1024
    log_level: str = "INFO"
    # A secret for keyed hashes (anonymous ballots), never stored in the database. Required with
    # authentication; without it, app start reads (or makes) the key in `secret_key_file`.
    secret_key: str = field(default="", repr=False)
    secret_key_file: str = ""
    # Tenant ids (lower case) whose activities may reach the bot; None: any tenant.
    allowed_tenants: frozenset[str] | None = None
    # Hosts the bot may send to (an activity's serviceUrl): exact names or "*.suffix".
    # Loopback is allowed besides these only while authentication is off.
    service_url_hosts: tuple[str, ...] = DEFAULT_SERVICE_URL_HOSTS
    # Grace period for reminders that fell due while the bot was down.
    reminder_grace_seconds: int = 3600
    run_scheduler: bool = True
    # A turn still running after this long is answered (Teams re-sends after ~15 s): 202 if its
    # work is committed (it finishes sending in the background), else cancelled and 503.
    ack_seconds: float = 10.0
    # How long one call to the Bot Connector may take before it counts as failed (and is retried).
    connector_timeout_seconds: float = 20.0
    # Where inbound tokens' signing keys are published; Bot Framework's own default if unset.
    openid_metadata_url: str = ""
    # A reply or post Teams refused stays queued and is retried this long (bot/outbox.py).
    outbox_reply_max_age_seconds: int = 24 * 3600
    # The longest wait between two tries of a queued message (capped exponential backoff).
    outbox_max_backoff_seconds: float = 30.0
    # "teams": every call waits for Teams' per-conversation and per-tenant windows
    # (domain/ratelimit.py); "off": none waits (the windows are still counted). Only for a
    # fake connector: the tests set it so a dialog's replies do not wait out the real seconds,
    # and test the pacing itself on a clock they move.
    pacing: Pacing = "teams"
    # Where people reach this bot from outside Teams (its download links, GET /files/<token>):
    # the public https origin in production; empty: http://<host>:<port>, fine on one machine.
    public_url: str = ""
    # How long a download link works (days).
    file_link_days: int = DEFAULT_FILE_LINK_DAYS
    # Hosts a consented file may be uploaded to (https only; loopback only when listed).
    upload_hosts: tuple[str, ...] = DEFAULT_UPLOAD_HOSTS

    @property
    def authenticated(self) -> bool:
        return bool(self.app_id)

    def allows_tenant(self, tenant: str | None) -> bool:
        if self.allowed_tenants is None:
            return True
        return tenant is not None and tenant.lower() in self.allowed_tenants

    @property
    def link_origin(self) -> str:
        """The origin download links start with (no trailing slash)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

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


def parse_tenants(raw: str) -> frozenset[str] | None:
    """ICC_ALLOWED_TENANTS: tenant ids (GUIDs) separated by commas, or `*` for any tenant."""
    if raw == "*":
        return None
    tenants = [item.strip().lower() for item in raw.split(",")]
    for tenant in tenants:
        if not _GUID.fullmatch(tenant):
            raise ConfigError(
                f"ICC_ALLOWED_TENANTS must be tenant ids (GUIDs) separated by commas, or *; "
                f"got {tenant!r}"
            )
    return frozenset(tenants)


def parse_service_url_hosts(raw: str, name: str = "ICC_SERVICE_URL_HOSTS") -> tuple[str, ...]:
    """ICC_SERVICE_URL_HOSTS (or ICC_UPLOAD_HOSTS): host names or `*.suffix` patterns
    separated by commas."""
    hosts = tuple(item.strip().lower() for item in raw.split(","))
    for host in hosts:
        # A wildcard names a domain of its own, never a whole top-level domain ("*.com").
        if not _HOST_PATTERN.fullmatch(host) or (host.startswith("*.") and host.count(".") < 2):
            raise ConfigError(
                f"{name} must be host names or *.domain patterns separated by commas; got {host!r}"
            )
    return hosts


def parse_public_url(raw: str) -> str:
    """ICC_PUBLIC_URL: an http(s) origin, perhaps with a path prefix; no query, no fragment."""
    parts = urlsplit(raw)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ConfigError(
            f"ICC_PUBLIC_URL must be the bot's public address, e.g. https://icc-bot.example.org; "
            f"got {raw!r}"
        )
    return raw.rstrip("/")


def default_secret_key_file(database_url: str) -> str:
    """Beside the SQLite file; for other databases (or an in-memory one), data/ here."""
    url = make_url(database_url)
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        return os.path.join(os.path.dirname(url.database), "secret.key")
    return os.path.join("data", "secret.key")


def load_or_create_secret_key(path: str) -> str:
    """The key kept in the file at `path`; made on first use (random, readable by us only).

    Made under another name and linked into place, so processes starting together agree on
    one key and none ever reads a half-written file."""
    try:
        return _read_secret_key(path)
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    draft = f"{path}.{secrets.token_hex(8)}.new"
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_hex(32) + "\n")
        file.flush()
        os.fsync(file.fileno())
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made it first: theirs is the key
    finally:
        os.unlink(draft)
    return _read_secret_key(path)


def _read_secret_key(path: str) -> str:
    with open(path, encoding="ascii") as file:
        key = file.read().strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"{path} holds no secret key of at least {MIN_SECRET_KEY_LENGTH} characters; "
            "delete it to have one made"
        )
    return key


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
    if get("ICC_OUTBOX_REPLY_MAX_AGE_SECONDS"):
        values["outbox_reply_max_age_seconds"] = _parse_int(
            "ICC_OUTBOX_REPLY_MAX_AGE_SECONDS",
            get("ICC_OUTBOX_REPLY_MAX_AGE_SECONDS"),
            60,
            14 * 24 * 3600,
        )
    if get("ICC_OUTBOX_MAX_BACKOFF_SECONDS"):
        values["outbox_max_backoff_seconds"] = float(
            _parse_int(
                "ICC_OUTBOX_MAX_BACKOFF_SECONDS", get("ICC_OUTBOX_MAX_BACKOFF_SECONDS"), 1, 3600
            )
        )
    if get("ICC_PACING"):
        pacing = get("ICC_PACING").lower()
        if pacing not in PACINGS:
            raise ConfigError(f"ICC_PACING must be {' or '.join(PACINGS)}, got {pacing!r}")
        values["pacing"] = pacing
    if get("ICC_RUN_SCHEDULER"):
        values["run_scheduler"] = _parse_bool("ICC_RUN_SCHEDULER", get("ICC_RUN_SCHEDULER"))
    if get("ICC_SECRET_KEY"):
        values["secret_key"] = get("ICC_SECRET_KEY")
        if len(values["secret_key"]) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"ICC_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters "
                "(e.g. python3 -c 'import secrets; print(secrets.token_hex(32))')"
            )
    if get("ICC_SECRET_KEY_FILE"):
        values["secret_key_file"] = get("ICC_SECRET_KEY_FILE")
    if get("ICC_ALLOWED_TENANTS"):
        values["allowed_tenants"] = parse_tenants(get("ICC_ALLOWED_TENANTS"))
    if get("ICC_SERVICE_URL_HOSTS"):
        values["service_url_hosts"] = parse_service_url_hosts(get("ICC_SERVICE_URL_HOSTS"))
    if get("ICC_UPLOAD_HOSTS"):
        values["upload_hosts"] = parse_service_url_hosts(
            get("ICC_UPLOAD_HOSTS"), "ICC_UPLOAD_HOSTS"
        )
    if get("ICC_PUBLIC_URL"):
        values["public_url"] = parse_public_url(get("ICC_PUBLIC_URL"))
    if get("ICC_FILE_LINK_DAYS"):
        values["file_link_days"] = _parse_int(
            "ICC_FILE_LINK_DAYS", get("ICC_FILE_LINK_DAYS"), 1, 90
        )
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
    if settings.authenticated and not settings.secret_key:
        # Replicas must share it, and a key made here would sit beside a database that lives
        # elsewhere: in production it is set, like the app password.
        raise ConfigError(
            "ICC_SECRET_KEY must be set when authentication is on (MicrosoftAppId): "
            "it keys anonymous ballots"
        )
    if settings.authenticated and settings.pacing == "off":
        # Real Teams throttles a bot that ignores its limits: pacing off is for the test suite.
        raise ConfigError("ICC_PACING=off is for tests only: not with authentication on")
    if "host" not in values and settings.authenticated:
        settings = replace(settings, host="0.0.0.0")  # where Azure's ingress reaches it
    if not settings.secret_key_file:
        settings = replace(settings, secret_key_file=default_secret_key_file(settings.database_url))
    return replace(settings, allowed_tenants=_tenant_policy(settings, "allowed_tenants" in values))


def _tenant_policy(settings: Settings, listed: bool) -> frozenset[str] | None:
    """Who may reach the bot: the list (or `*`) as given, plus the app's own tenant for
    single-tenant apps; an authenticated multi-tenant app must say which tenants it serves."""
    if not settings.authenticated:
        return settings.allowed_tenants
    if settings.app_type in SINGLE_TENANT_TYPES:
        if listed and settings.allowed_tenants is None:
            return None
        own = settings.app_tenant_id.lower()
        if not _GUID.fullmatch(own):
            raise ConfigError(
                f"MicrosoftAppTenantId must be the tenant's id (a GUID) for {settings.app_type}, "
                f"got {settings.app_tenant_id!r}"
            )
        return (settings.allowed_tenants or frozenset()) | {own}
    if not listed:
        raise ConfigError(
            "ICC_ALLOWED_TENANTS must list the tenant ids allowed to use a MultiTenant bot "
            "(or be * for any tenant)"
        )
    return settings.allowed_tenants
