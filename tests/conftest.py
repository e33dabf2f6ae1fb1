"""Fixtures: a database per test (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
the fake Bot Connector, and the app under test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app import create_app
from config import Settings, load_settings
from tests.harness.bot import BotUnderTest
from tests.harness.connector import FakeConnector
from tests.harness.identity import BotFrameworkIdentity

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


def _backends() -> list[Any]:
    postgres = pytest.param(
        "postgres",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="TEST_DATABASE_URL is not set (PostgreSQL tests opt-in)"
        ),
    )
    return ["sqlite", postgres]


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@pytest.fixture(params=_backends())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    else:
        await reset_postgres(POSTGRES_URL)
        yield POSTGRES_URL


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(
        {}, database_url=database_url, run_scheduler=False, secret_key="test-secret"
    )


@pytest.fixture
def identity() -> Iterator[BotFrameworkIdentity]:
    """A local Bot Framework token service (signing keys and OpenID metadata)."""
    with BotFrameworkIdentity().serving() as served:
        yield served


@pytest.fixture
async def connector(aiohttp_server: Any) -> FakeConnector:
    fake = FakeConnector()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def bot(aiohttp_client: Any, settings: Settings, connector: FakeConnector) -> BotUnderTest:
    client = await aiohttp_client(create_app(settings))
    return BotUnderTest(client, connector)
