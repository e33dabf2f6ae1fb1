"""A failing turn: the user hears a short apology, the log gets the details, nothing half-saved."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError

from app import create_app
from bot.router import Router
from bot.turn import Turn
from config import Settings
from dialogs import build_router
from storage.db import Database, is_unavailable_error
from storage.models import City
from tests.harness.bot import BotUnderTest
from tests.harness.connector import FakeConnector

SECRET = "password=hunter2 at storage/models.py line 42"


def failing_router() -> Router:
    router = build_router()

    @router.command("explode", "explode", "test only: fails after writing")
    async def explode(turn: Turn, _args: str) -> None:
        turn.session.add(City(key="half-written", name="Half written"))
        await turn.session.flush()
        raise RuntimeError(SECRET)

    return router


@pytest.fixture
async def failing_bot(
    aiohttp_client: Any, settings: Settings, connector: FakeConnector
) -> BotUnderTest:
    client = await aiohttp_client(create_app(settings, router=failing_router()))
    return BotUnderTest(client, connector)


async def test_a_bug_gets_an_apology_without_internals(
    failing_bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        reply = await failing_bot.say("explode")
    assert reply.status in (200, 201)
    assert "something went wrong" in reply.text
    assert "hunter2" not in reply.text
    assert "Traceback" not in reply.text
    assert any("turn failed" in record.message for record in caplog.records)


async def test_a_failed_turn_leaves_nothing_half_written(failing_bot: BotUnderTest) -> None:
    await failing_bot.say("explode")
    async with failing_bot.services.database.unit_of_work() as session:
        assert await session.scalar(select(City).where(City.key == "half-written")) is None


async def test_the_bot_keeps_serving_after_a_failed_turn(failing_bot: BotUnderTest) -> None:
    await failing_bot.say("explode")
    reply = await failing_bot.say("help")
    assert reply.cards


async def test_an_unreachable_database_answers_503_so_teams_retries(bot: BotUnderTest) -> None:
    healthy = bot.services.database
    unreachable = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    bot.services.database = unreachable
    try:
        reply = await bot.say("help")
        assert reply.status == 503
        assert reply.calls == []  # no apology: Teams will re-send the message
    finally:
        bot.services.database = healthy
        await unreachable.dispose()
    reply = await bot.say("help")  # and it recovers when the database is back
    assert reply.status in (200, 201)
    assert reply.cards


async def test_a_reply_the_connector_refuses_for_a_while_is_retried_until_it_arrives(
    bot: BotUnderTest,
) -> None:
    bot.connector.fail(500, times=1)
    reply = await bot.say("help")
    assert reply.status == 201
    assert [call.status for call in reply.calls] == [500, 200]  # the turn's quick retry
    assert reply.cards


async def test_a_reply_refused_past_the_quick_retries_is_queued_and_arrives_once(
    bot: BotUnderTest,
) -> None:
    bot.connector.fail(503, times=4)
    reply = await bot.say("help")
    assert reply.status == 201  # the turn is done: its reply is a row in the outbox
    assert [call.status for call in reply.calls] == [503, 503]
    await bot.connector.wait_for(lambda c: c.sent(), within=20)
    assert [call.status for call in bot.connector.calls] == [503, 503, 503, 503, 200]
    assert bot.connector.sent()[0].cards  # the help card, as the turn wrote it
    await asyncio.sleep(0.5)
    assert len(bot.connector.sent()) == 1
    assert await outbox_depth(bot) == 0


async def test_a_connector_that_refuses_the_bot_does_not_crash_the_endpoint(
    bot: BotUnderTest,
) -> None:
    bot.connector.fail(403, times=2)  # the bot was removed from that conversation
    reply = await bot.say("help")
    # The turn fails (logged), the apology is refused the same way, Teams gets a plain answer.
    assert reply.status == 201
    assert [call.status for call in reply.calls] == [403, 403]
    reply = await bot.say("help")
    assert reply.cards


async def outbox_depth(bot: BotUnderTest) -> int:
    outbox = bot.services.require_outbox()
    await outbox.wait_empty()
    depth, _ = await outbox.depth()
    return depth


def through_sqlalchemy(error: Exception) -> DBAPIError:
    """An asyncpg error as SQLAlchemy's asyncpg dialect hands it to us (see storage.db.sqlstate)."""
    dbapi = AsyncAdapt_asyncpg_dbapi(asyncpg)  # type: ignore[no-untyped-call]  # SQLAlchemy's own
    translated = dbapi._asyncpg_error_translate
    adapted = next(translated[kind] for kind in type(error).__mro__ if kind in translated)
    orig = adapted(str(error), error)
    orig.__cause__ = error
    wrapped = DBAPIError.instance("SELECT 1", {}, orig, dbapi.Error)
    assert isinstance(wrapped, DBAPIError)
    return wrapped


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.CannotConnectNowError("the database system is in recovery mode"),
        asyncpg.exceptions.AdminShutdownError(
            "terminating connection due to administrator command"
        ),
        asyncpg.exceptions.CrashShutdownError("terminating connection due to crash of another"),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.exceptions.ReadOnlySQLTransactionError("cannot execute INSERT in a read-only"),
        asyncpg.exceptions.ConnectionFailureError("connection failure"),
        asyncpg.exceptions.ClientCannotConnectError("could not connect"),
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
    ids=lambda error: getattr(error, "sqlstate", None) or type(error).__name__,
)
def test_a_database_that_is_restarting_or_failing_over_is_unavailable_not_a_bug(
    error: Exception,
) -> None:
    assert is_unavailable_error(error)
    if isinstance(error, asyncpg.PostgresError):
        assert is_unavailable_error(through_sqlalchemy(error))


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        asyncpg.exceptions.UndefinedTableError('relation "x" does not exist'),
        asyncpg.exceptions.InvalidTextRepresentationError("invalid input syntax"),
        asyncpg.exceptions.DivisionByZeroError("division by zero"),
    ],
    ids=lambda error: str(error.sqlstate),
)
def test_a_query_postgresql_refuses_is_a_bug_not_an_outage(error: Exception) -> None:
    assert not is_unavailable_error(error)
    assert not is_unavailable_error(through_sqlalchemy(error))
