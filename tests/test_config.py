"""Settings: defaults, overrides, and one clear line for a bad configuration."""

from __future__ import annotations

import os
import re
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from config import (
    DEFAULT_DATABASE_URL,
    DEFAULT_SERVICE_URL_HOSTS,
    ConfigError,
    load_or_create_secret_key,
    load_settings,
)

TENANT_A = "0d3b6a3e-1f4c-4e8a-9b2d-5c6f7a8b9c0d"
TENANT_B = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
KEY = "k" * 64
CREDENTIALS = {"MicrosoftAppId": "id", "MicrosoftAppPassword": "pw", "ICC_SECRET_KEY": KEY}


def test_defaults_are_the_embedded_sqlite_without_credentials() -> None:
    settings = load_settings({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.port == 3978
    assert not settings.authenticated
    assert settings.is_sqlite


def test_environment_overrides_port_and_database() -> None:
    settings = load_settings({"PORT": "8080", "DATABASE_URL": "postgresql+asyncpg://u@h/db"})
    assert settings.port == 8080
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert not settings.is_sqlite


def test_explicit_arguments_beat_the_environment() -> None:
    settings = load_settings({"PORT": "8080"}, port=9000)
    assert settings.port == 9000


def test_sends_are_paced_by_teams_limits_unless_pacing_is_off() -> None:
    assert load_settings({}).pacing == "teams"
    assert load_settings({"ICC_PACING": "off"}).pacing == "off"
    assert load_settings({"ICC_PACING": "Teams"}).pacing == "teams"


def test_full_credentials_turn_authentication_on() -> None:
    settings = load_settings({**CREDENTIALS, "ICC_ALLOWED_TENANTS": TENANT_A})
    assert settings.authenticated
    assert "pw" not in repr(settings)
    assert KEY not in repr(settings)


def test_without_credentials_the_bot_listens_on_loopback_only() -> None:
    assert load_settings({}).host == "127.0.0.1"
    assert load_settings({"HOST": "0.0.0.0"}).host == "0.0.0.0"


def test_with_credentials_the_bot_listens_on_every_interface_unless_host_says_otherwise() -> None:
    env = {**CREDENTIALS, "ICC_ALLOWED_TENANTS": "*"}
    assert load_settings(env).host == "0.0.0.0"
    assert load_settings({**env, "HOST": "127.0.0.1"}).host == "127.0.0.1"


def test_without_authentication_every_tenant_is_allowed() -> None:
    settings = load_settings({})
    assert settings.allowed_tenants is None
    assert settings.allows_tenant(TENANT_A)
    assert settings.allows_tenant(None)


def test_a_tenant_list_is_kept_in_lower_case_and_matched_without_case() -> None:
    settings = load_settings(
        {**CREDENTIALS, "ICC_ALLOWED_TENANTS": f" {TENANT_A.upper()} ,{TENANT_B}"}
    )
    assert settings.allowed_tenants == frozenset({TENANT_A, TENANT_B})
    assert settings.allows_tenant(TENANT_A.upper())
    assert not settings.allows_tenant("11111111-2222-4333-8444-555555555555")
    assert not settings.allows_tenant(None)


def test_a_tenant_list_applies_without_authentication_too() -> None:
    settings = load_settings({"ICC_ALLOWED_TENANTS": TENANT_A})
    assert settings.allowed_tenants == frozenset({TENANT_A})


def test_a_star_allows_any_tenant_explicitly() -> None:
    settings = load_settings({**CREDENTIALS, "ICC_ALLOWED_TENANTS": "*"})
    assert settings.allowed_tenants is None


def test_a_single_tenant_app_allows_its_own_tenant_and_the_listed_ones() -> None:
    single = {**CREDENTIALS, "MicrosoftAppType": "SingleTenant", "MicrosoftAppTenantId": TENANT_A}
    assert load_settings(single).allowed_tenants == frozenset({TENANT_A})
    listed = load_settings({**single, "ICC_ALLOWED_TENANTS": TENANT_B})
    assert listed.allowed_tenants == frozenset({TENANT_A, TENANT_B})


def test_service_url_hosts_default_to_teams_and_bot_framework() -> None:
    assert load_settings({}).service_url_hosts == DEFAULT_SERVICE_URL_HOSTS
    assert "smba.trafficmanager.net" in DEFAULT_SERVICE_URL_HOSTS
    settings = load_settings({"ICC_SERVICE_URL_HOSTS": "Teams.Example.org, *.proxy.example"})
    assert settings.service_url_hosts == ("teams.example.org", "*.proxy.example")


def test_download_links_and_uploads_have_safe_defaults_and_can_be_set() -> None:
    defaults = load_settings({})
    assert defaults.file_link_days == 7
    assert defaults.link_origin == "http://127.0.0.1:3978"
    assert all(
        host.endswith(
            (".sharepoint.com", ".sharepoint.us", ".sharepoint-mil.us", ".sharepoint-df.com")
        )
        for host in defaults.upload_hosts
    )
    chosen = load_settings(
        {
            "ICC_PUBLIC_URL": "https://icc-bot.example.org/bot/",
            "ICC_FILE_LINK_DAYS": "30",
            "ICC_UPLOAD_HOSTS": "*.sharepoint.com",
        }
    )
    assert chosen.link_origin == "https://icc-bot.example.org/bot"
    assert chosen.file_link_days == 30
    assert chosen.upload_hosts == ("*.sharepoint.com",)


def test_without_a_key_the_key_file_sits_beside_the_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    settings = load_settings({"DATABASE_URL": f"sqlite+aiosqlite:///{database}"})
    assert settings.secret_key == ""
    assert settings.secret_key_file == str(tmp_path / "data" / "secret.key")
    assert load_settings({}).secret_key_file == os.path.join("data", "secret.key")
    chosen = load_settings({"ICC_SECRET_KEY_FILE": "/run/secrets/icc"})
    assert chosen.secret_key_file == "/run/secrets/icc"


def test_the_key_file_is_made_once_readable_by_the_owner_only_and_reused(tmp_path: Path) -> None:
    path = str(tmp_path / "data" / "secret.key")
    key = load_or_create_secret_key(path)
    assert len(key) == 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_secret_key(path) == key
    assert sorted(os.listdir(tmp_path / "data")) == ["secret.key"]


def test_a_key_file_without_a_key_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_text("short\n")
    with pytest.raises(ConfigError, match="holds no secret key") as error:
        load_or_create_secret_key(str(path))
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL"),
        (
            {"DATABASE_URL": "postgresql://u@h/db"},
            "use one of sqlite+aiosqlite, postgresql+asyncpg",
        ),
        ({"DATABASE_URL": "mysql+aiomysql://u@h/db"}, "driver 'mysql+aiomysql'"),
        ({"PORT": "eighty"}, "PORT must be a whole number"),
        ({"PORT": "70000"}, "PORT must be between"),
        ({"MicrosoftAppId": "id"}, "MicrosoftAppPassword is missing"),
        ({"MicrosoftAppPassword": "pw"}, "MicrosoftAppId is missing"),
        (
            {
                "MicrosoftAppId": "id",
                "MicrosoftAppPassword": "pw",
                "MicrosoftAppType": "SingleTenant",
            },
            "needs MicrosoftAppTenantId",
        ),
        ({"MicrosoftAppType": "Weird"}, "MicrosoftAppType must be one of"),
        ({"ICC_DEFAULT_TIMEZONE": "Mars/Base"}, "not an IANA time zone"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be"),
        (
            {"MicrosoftAppId": "id", "MicrosoftAppPassword": "pw", "ICC_ALLOWED_TENANTS": "*"},
            "ICC_SECRET_KEY must be set when authentication is on",
        ),
        ({"ICC_SECRET_KEY": "too-short"}, "ICC_SECRET_KEY must be at least 32 characters"),
        (CREDENTIALS, "ICC_ALLOWED_TENANTS must list the tenant ids allowed to use a MultiTenant"),
        ({"ICC_ALLOWED_TENANTS": "contoso.onmicrosoft.com"}, "must be tenant ids (GUIDs)"),
        ({"ICC_ALLOWED_TENANTS": f"{TENANT_A},,{TENANT_B}"}, "must be tenant ids (GUIDs)"),
        ({"ICC_ALLOWED_TENANTS": f"*,{TENANT_A}"}, "must be tenant ids (GUIDs)"),
        (
            {
                **CREDENTIALS,
                "MicrosoftAppType": "SingleTenant",
                "MicrosoftAppTenantId": "contoso.onmicrosoft.com",
            },
            "MicrosoftAppTenantId must be the tenant's id (a GUID)",
        ),
        ({"ICC_SERVICE_URL_HOSTS": "https://smba.trafficmanager.net"}, "ICC_SERVICE_URL_HOSTS"),
        ({"ICC_SERVICE_URL_HOSTS": "smba.trafficmanager.net,"}, "ICC_SERVICE_URL_HOSTS"),
        ({"ICC_SERVICE_URL_HOSTS": "*"}, "ICC_SERVICE_URL_HOSTS"),
        ({"ICC_SERVICE_URL_HOSTS": "*.com"}, "ICC_SERVICE_URL_HOSTS"),
        ({"ICC_PACING": "fast"}, "ICC_PACING must be teams or off, got 'fast'"),
        ({"ICC_UPLOAD_HOSTS": "*.com"}, "ICC_UPLOAD_HOSTS must be host names"),
        ({"ICC_PUBLIC_URL": "icc-bot.example.org"}, "ICC_PUBLIC_URL must be the bot's public"),
        ({"ICC_PUBLIC_URL": "https://bot.example.org/?a=1"}, "ICC_PUBLIC_URL must be"),
        ({"ICC_PUBLIC_URL": "javascript:alert(1)"}, "ICC_PUBLIC_URL must be"),
        ({"ICC_FILE_LINK_DAYS": "0"}, "ICC_FILE_LINK_DAYS must be between 1 and 90"),
        ({"ICC_FILE_LINK_DAYS": "a week"}, "ICC_FILE_LINK_DAYS must be a whole number"),
        (
            {**CREDENTIALS, "ICC_ALLOWED_TENANTS": TENANT_A, "ICC_PACING": "off"},
            "ICC_PACING=off is for tests only",
        ),
    ],
)
def test_bad_configuration_is_one_clear_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as error:
        load_settings(env)
    assert "\n" not in str(error.value)


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = str(tmp_path / "secret.key")
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: load_or_create_secret_key(path), range(16)))
    assert len(keys) == 1
    assert sorted(os.listdir(tmp_path)) == ["secret.key"]
