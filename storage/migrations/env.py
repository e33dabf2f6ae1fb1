"""Alembic environment: migrates the connection the app hands in, or DATABASE_URL from the CLI."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _foreign_keys(connection: Connection, on: bool) -> None:
    """SQLite's foreign keys, switched on the driver's connection: the pragma is ignored inside
    a transaction, and a statement through SQLAlchemy would begin one."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


def _run(connection: Connection) -> None:
    # Batch migrations rebuild SQLite tables (copy, drop, rename): with foreign keys on,
    # dropping a table would delete or null the rows of the tables that refer to it.
    keys_off = connection.dialect.name == "sqlite" and not connection.in_transaction()
    if keys_off:
        _foreign_keys(connection, on=False)
    try:
        _migrate(connection)
    finally:
        if keys_off:
            _foreign_keys(connection, on=True)


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url() -> None:
    from config import load_settings
    from storage.db import create_engine

    engine = create_engine(load_settings().database_url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")

connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)
    asyncio.run(_run_from_url())
