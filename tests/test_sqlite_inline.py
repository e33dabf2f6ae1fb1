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
from bot.web import BACKGROUND
from storage import inline_sqlite
from storage.models import Poll, PollBallot
from tests.harness import teams
from tests.harness.bot import BotUnderTest
from tests.harness.connector import FakeConnector
from tests.harness.polls import ONE_LINER, create, settle
from tests.harness.settings import settings_for


async def start_bot(
    aiohttp_client: Any, tmp_path: Path, connector: FakeConnector, **overrides: Any
) -> BotUnderTest:
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}", **overrides)
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


async def test_healthz_answers_within_a_second_and_says_busy_while_a_turn_waits_for_a_lock(
    sqlite_bot: BotUnderTest, other_process_lock: sqlite3.Connection
) -> None:
    other_process_lock.execute("BEGIN IMMEDIATE")
    turn = asyncio.create_task(sqlite_bot.say(f"poll {ONE_LINER}"))
    await asyncio.sleep(0.3)
    assert not turn.done()  # holding the one pooled connection, waiting for the lock
    loop = asyncio.get_running_loop()
    for _ in range(2):
        started = loop.time()
        response = await sqlite_bot.client.get("/healthz")
        assert loop.time() - started < 1.5
        assert response.status == 200  # alive: restarting the bot would not free the lock
        body = await response.json()
        assert (body["status"], body["database"]) == ("degraded", "busy")
    other_process_lock.execute("COMMIT")
    assert (await asyncio.wait_for(turn, 5)).status in (200, 201)
    response = await sqlite_bot.client.get("/healthz")
    assert (response.status, (await response.json())["database"]) == (200, "ok")


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


LOCK_SECONDS = 40.0  # longer than inline_sqlite's 30 s of busy retries, as the issue has it


async def test_sqlite_write_locked_by_another_process_for_40_s_loses_no_accepted_message(
    aiohttp_client: Any,
    tmp_path: Path,
    connector: FakeConnector,
    other_process_lock: sqlite3.Connection,
) -> None:
    """Every activity sent while the lock is held is answered 503 (Teams re-sends it) or
    accepted with its effect saved; none is answered 202 and then lost with its rolled-back
    turn. Once the lock is gone a turn may still be answered 202: committed, its replies
    queued behind Teams' per-conversation rate limit. Teams' re-sends are compressed to one a
    second."""
    bot = await start_bot(aiohttp_client, tmp_path, connector, ack_seconds=1.5)
    poll_id, _ = await create(bot)
    loop = asyncio.get_running_loop()
    answers: list[tuple[str, int, float]] = []

    async def send_until_accepted(activity: dict[str, Any]) -> None:
        while True:
            response = await bot.client.post("/api/messages", json=activity)
            # An invoke's promise is a 200 saying "Working on it…": counted as a 202.
            promise = response.status == 202 or "Working on it" in await response.text()
            answers.append((activity["id"], 202 if promise else response.status, loop.time()))
            if response.status != 503:
                return
            assert response.headers.get("Retry-After"), "a 503 without Retry-After"
            await asyncio.sleep(1.0)

    other_process_lock.execute("BEGIN IMMEDIATE")
    locked_at = loop.time()
    voters = [teams.user(f"Voter {n}") for n in range(30)]
    sending = []
    for n, voter in enumerate(voters):  # a vote a second, a new poll every fifth second
        sending.append(
            asyncio.create_task(
                send_until_accepted(
                    teams.execute(
                        "poll.vote",
                        {"poll_id": poll_id, "choice": str(n % 3)},
                        service_url=connector.url,
                        conversation=teams.AARHUS_GENERAL,
                        who=voter,
                    )
                )
            )
        )
        if n % 5 == 0:
            sending.append(
                asyncio.create_task(
                    send_until_accepted(
                        teams.message(
                            f"poll Question {n}? | Yes | No",
                            service_url=connector.url,
                            conversation=teams.AARHUS_GENERAL,
                        )
                    )
                )
            )
        await asyncio.sleep(1.0)
    await asyncio.sleep(LOCK_SECONDS - (loop.time() - locked_at))
    other_process_lock.execute("COMMIT")
    released_at = loop.time()
    await asyncio.wait_for(asyncio.gather(*sending), 30)
    background: set[asyncio.Future[Any]] = bot.app[BACKGROUND]
    if background:  # turns answered 202 finish sending
        await asyncio.wait(background, timeout=30)
    await settle(bot)

    statuses = [status for _, status, _ in answers]
    assert set(statuses) <= {200, 201, 202, 503}, set(statuses)
    assert statuses.count(503) >= len(sending), "the lock did not hold the turns back"
    promised_early = [a for a, status, at in answers if status == 202 and at < released_at]
    assert promised_early == [], "answered 202 while nothing could be committed"
    accepted = [activity for activity, status, _ in answers if status != 503]
    assert len(accepted) == len(set(accepted)) == len(sending)
    async with bot.services.database.unit_of_work() as session:
        poll = await session.get(Poll, poll_id)
        assert poll is not None
        assert poll.counts == [10, 10, 10]
        voted = (
            await session.scalars(select(PollBallot.voter_key).where(PollBallot.poll_id == poll_id))
        ).all()
    assert sorted(voted) == sorted(voter.id for voter in voters)
    assert await polls(bot) == 1 + 6  # each poll sent during the lock created once
