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


async def test_migrating_an_existing_sqlite_database_keeps_its_rows_and_never_reuses_an_id(
    tmp_path: Path,
) -> None:
    from alembic import command
    from sqlalchemy import text

    from storage.migrate import alembic_config

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        async with database.engine.connect() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0011"))
            await connection.commit()
        now = "2026-12-01 10:00:00"
        series = (
            "INSERT INTO reminder_series (id, channel_id, kind, first_type, first_day, at_time,"
            " timezone, interval_weeks, nudges, paused, created_by, source_key, created_at,"
            " updated_at) VALUES (:id, 1, 'ecosystem', 'complete_ecosystem', '2026-12-10',"
            " '10:00', 'Europe/Copenhagen', 2, '[]', 0, 'Alice', :key, :now, :now)"
        )
        async with database.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO channels (id, conversation_id, conversation_type, channel_id,"
                    " service_url, reference, installed, installed_at, updated_at) VALUES"
                    " (1, '19:general', 'channel', 'msteams', 'https://x', '{}', 1, :now, :now)"
                ),
                {"now": now},
            )
            for number in (1, 2, 3):
                await connection.execute(
                    text(series), {"id": number, "key": f"k{number}", "now": now}
                )
            await connection.execute(
                text(
                    "INSERT INTO reminder_deliveries (key, series_id, channel_id, occurrence_at,"
                    " nudge, status, late, created_at) VALUES"
                    " ('d1', 1, 1, :now, 'day_before', 'sent', 0, :now)"
                ),
                {"now": now},
            )
            await connection.execute(text("DELETE FROM reminder_series WHERE id = 3"))
            for number in (1, 2):
                await connection.execute(
                    text(
                        "INSERT INTO action_items (id, kind, text, status, source_type, source_id,"
                        " created_at, updated_at) VALUES (:id, 'action', 'Do it', 'done',"
                        " 'minutes', 1, :now, :now)"
                    ),
                    {"id": number, "now": now},
                )
                await connection.execute(
                    text(
                        "INSERT INTO action_events (action_id, status, by_name, at)"
                        " VALUES (:id, 'done', 'Alice', :now)"
                    ),
                    {"id": number, "now": now},
                )
            await connection.execute(text("DELETE FROM action_items WHERE id = 2"))

        await migrate(database.engine)

        async with database.engine.begin() as connection:
            table = await connection.scalar(
                text("SELECT sql FROM sqlite_master WHERE name = 'reminder_series'")
            )
            assert "AUTOINCREMENT" in str(table)
            ids = (
                await connection.execute(text("SELECT id FROM reminder_series ORDER BY id"))
            ).scalars()
            assert list(ids) == [1, 2]
            # The rows that refer to a rebuilt table are untouched (no cascade on the rebuild).
            deliveries = await connection.scalar(text("SELECT count(*) FROM reminder_deliveries"))
            assert deliveries == 1
            assert await connection.scalar(text("SELECT count(*) FROM action_events")) == 1
            assert list(
                (await connection.execute(text("SELECT id FROM action_items"))).scalars()
            ) == [1]
            await connection.execute(
                text(
                    "INSERT INTO action_items (kind, text, status, source_type, source_id,"
                    " created_at, updated_at) VALUES ('action', 'New', 'open', 'minutes', 1,"
                    " :now, :now)"
                ),
                {"now": now},
            )
            # 2 was deleted before the migration: a fresh table would hand out 2 again; the
            # rebuilt one starts after the highest id it kept (max(id), what SQLite can know).
            assert await connection.scalar(text("SELECT max(id) FROM action_items")) == 2
            assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
            await connection.execute(text("DELETE FROM reminder_series WHERE id = 2"))
            await connection.execute(
                text(series.replace("(:id, ", "(").replace("(id, ", "(")), {"key": "k4", "now": now}
            )
            newest = await connection.scalar(text("SELECT max(id) FROM reminder_series"))
            assert newest == 3  # after 2, the highest id the table ever had, not 2 again
    finally:
        await database.dispose()


async def test_every_table_whose_ids_buttons_name_never_reuses_them_on_sqlite(
    tmp_path: Path,
) -> None:
    from sqlalchemy import text

    named = {
        "polls", "stakeholders", "minutes", "action_items", "action_events", "agenda_templates",
        "agendas", "agenda_proposals", "tag_summaries", "reminder_series", "outbox",
        "exported_files",
    }  # fmt: skip
    declared = {
        table.name
        for table in Base.metadata.sorted_tables
        if table.dialect_options["sqlite"].get("autoincrement")
    }
    assert declared == named
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'new.sqlite3'}")
    try:
        await migrate(database.engine)
        async with database.engine.connect() as connection:
            for table in sorted(named):
                sql = await connection.scalar(
                    text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}
                )
                assert "AUTOINCREMENT" in str(sql), table
    finally:
        await database.dispose()
