"""The databases the tests run on: SQLite always, PostgreSQL when TEST_DATABASE_URL names one
(opt-in, skipped with a reason otherwise), wiped before each use."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


def backends() -> list[Any]:
    """The `database_url` fixture's parameters: "sqlite", and "postgres" unless it is not set."""
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
