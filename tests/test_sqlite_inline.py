"""SQLite runs on the event loop's thread (storage/inline_sqlite.py): another process holding
the write lock makes turns wait without stopping the bot, and past the wait they get 503."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app import create_app
from config import load_settings
from storage import inline_sqlite
from storage.models import Poll
from tests.harness.bot import BotUnderTest
from tests.harness.connector import FakeConnector
from tests.test_polls import ONE_LINER


async def start_bot(aiohttp_client: Any, tmp_path: Path, connector: FakeConnector) -> BotUnderTest:
    settings = load_settings(
        {},
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        run_scheduler=False,
        secret_key="test-secret",
    )
    return BotUnderTest(await aiohttp_client(create_app(settings)), connector)


@pytest.fixture
async def sqlite_bot(aiohttp_client: Any, tmp_path: Path, connector: FakeConnector) -> BotUnderTest:
    return await start_bot(aiohttp_client, tmp_path, connector)


@pytest.fixture
def other_process_lock(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """Another writer on the same file (the roster tool, say), not yet holding the lock."""
    other = sqlite3.connect(tmp_path / "bot.sqlite3", isolation_level=None)
    yield other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()


async def polls(bot: BotUnderTest) -> int:
    async with bot.services.database.unit_of_work() as session:
        return int(await session.scalar(select(func.count(Poll.id))) or 0)


async def test_a_write_lock_held_elsewhere_makes_a_turn_wait_not_the_bot(
    sqlite_bot: BotUnderTest, other_process_lock: sqlite3.Connection
) -> None:
    assert (await sqlite_bot.say("help")).status in (200, 201)
    other_process_lock.execute("BEGIN IMMEDIATE")
    turn = asyncio.create_task(sqlite_bot.say(f"poll {ONE_LINER}"))
    await asyncio.sleep(0.3)
    assert not turn.done()  # waiting for the lock...
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await sqlite_bot.client.get("/api/messages")
    assert response.status == 405
    assert loop.time() - started < 0.2  # ...while the bot goes on answering
    other_process_lock.execute("COMMIT")
    reply = await asyncio.wait_for(turn, 5)
    assert reply.status in (200, 201)
    assert len(reply.cards) == 1
    assert await polls(sqlite_bot) == 1


async def test_a_lock_held_too_long_is_a_503_and_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch,
    aiohttp_client: Any,
    tmp_path: Path,
    connector: FakeConnector,
    other_process_lock: sqlite3.Connection,
) -> None:
    monkeypatch.setattr(inline_sqlite, "BUSY_SECONDS", 0.5)
    bot = await start_bot(aiohttp_client, tmp_path, connector)
    assert (await bot.say("help")).status in (200, 201)
    other_process_lock.execute("BEGIN IMMEDIATE")
    reply = await bot.say(f"poll {ONE_LINER}")
    assert reply.status == 503
    assert reply.calls == []  # no reply: Teams sends the message again
    other_process_lock.execute("ROLLBACK")
    assert await polls(bot) == 0
    reply = await bot.say(f"poll {ONE_LINER}")  # Teams' retry, once the lock is gone
    assert reply.status in (200, 201)
    assert await polls(bot) == 1
