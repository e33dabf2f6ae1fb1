"""Alembic: the app's models and the migrations agree, and `alembic upgrade head` works alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage.db import Database
from storage.migrate import migrate
from storage.models import Base

ROOT = Path(__file__).resolve().parent.parent


async def test_migrations_match_the_models(database_url: str) -> None:
    database = Database(database_url)
    try:
        await migrate(database.engine)

        def diff(connection: Connection) -> list[object]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))

        async with database.engine.connect() as connection:
            differences = await connection.run_sync(diff)
        assert differences == []
    finally:
        await database.dispose()


async def test_migrating_twice_is_harmless(database_url: str) -> None:
    database = Database(database_url)
    try:
        await migrate(database.engine)
        await migrate(database.engine)
        assert await database.ping()
    finally:
        await database.dispose()


def test_alembic_upgrade_head_from_the_command_line(tmp_path: Path) -> None:
    env = dict(os.environ, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    alembic = Path(sys.executable).with_name("alembic")
    result = subprocess.run(
        [str(alembic), "upgrade", "head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cli.sqlite3").exists()
    current = subprocess.run(
        [str(alembic), "current"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "(head)" in current.stdout
