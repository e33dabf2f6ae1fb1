"""Settings: defaults, overrides, and one clear line for a bad configuration."""

from __future__ import annotations

import pytest

from config import DEFAULT_DATABASE_URL, ConfigError, load_settings


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


def test_full_credentials_turn_authentication_on() -> None:
    settings = load_settings({"MicrosoftAppId": "id", "MicrosoftAppPassword": "pw"})
    assert settings.authenticated
    assert "pw" not in repr(settings)


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
    ],
)
def test_bad_configuration_is_one_clear_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("+", r"\+").replace("(", r"\(")) as error:
        load_settings(env)
    assert "\n" not in str(error.value)
