"""Conversation references are stored on install and on every message; uninstall is recorded."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.sdk import activities
from bot.sdk.decode import activity_from_json
from bot.sdk.references import ReferenceCache
from storage import channels
from storage.db import Database
from storage.models import Channel
from tests.harness import teams
from tests.harness.bot import BotUnderTest


async def channel_rows(bot: BotUnderTest) -> dict[str, Channel]:
    async with bot.services.database.unit_of_work() as session:
        rows = (await session.scalars(select(Channel))).all()
        return {row.conversation_id: row for row in rows}


async def test_install_in_a_team_stores_the_reference_and_says_hello(bot: BotUnderTest) -> None:
    reply = await bot.post(teams.bot_added(teams.AARHUS_GENERAL, service_url=bot.connector.url))
    assert reply.status in (200, 201)
    assert any("Hello" in text for text in reply.texts)
    assert reply.cards  # the help card comes with the greeting
    row = (await channel_rows(bot))[teams.AARHUS_GENERAL.id]
    assert row.installed
    assert row.team_id == teams.AARHUS_GENERAL.team_id
    assert row.service_url == bot.connector.url
    assert row.conversation_type == "channel"
    assert row.reference["conversation"]["id"] == teams.AARHUS_GENERAL.id
    assert row.reference["serviceUrl"] == bot.connector.url


async def test_a_message_in_a_thread_stores_the_channel_not_the_thread(bot: BotUnderTest) -> None:
    other = teams.channel("Ecosystem calls")
    await bot.say("help", conversation=other, thread="1700000000123")
    rows = await channel_rows(bot)
    assert other.id in rows
    assert not any(";messageid=" in key for key in rows)
    assert rows[other.id].name == "Ecosystem calls"


async def test_a_personal_chat_is_stored_too(bot: BotUnderTest) -> None:
    chat = teams.personal(teams.BOB)
    await bot.say("help", conversation=chat)
    row = (await channel_rows(bot))[chat.id]
    assert row.conversation_type == "personal"
    assert row.team_id is None


async def test_removing_the_bot_from_the_team_disables_every_channel_of_it(
    bot: BotUnderTest,
) -> None:
    other = teams.channel("Ecosystem calls")
    await bot.post(teams.bot_added(teams.AARHUS_GENERAL, service_url=bot.connector.url))
    await bot.say("help", conversation=other)
    reply = await bot.post(teams.bot_removed(teams.AARHUS_GENERAL, service_url=bot.connector.url))
    assert reply.status in (200, 201)
    assert reply.calls == []  # nothing is sent to a team the bot just left
    rows = await channel_rows(bot)
    assert not rows[teams.AARHUS_GENERAL.id].installed
    assert not rows[other.id].installed
    assert rows[other.id].uninstalled_at is not None
    assert "removed" in (rows[other.id].disabled_reason or "")


async def test_uninstall_from_a_personal_chat_is_recorded(bot: BotUnderTest) -> None:
    chat = teams.personal(teams.BOB)
    await bot.post(teams.installation_update("add", chat, service_url=bot.connector.url))
    assert (await channel_rows(bot))[chat.id].installed
    await bot.post(teams.installation_update("remove", chat, service_url=bot.connector.url))
    assert not (await channel_rows(bot))[chat.id].installed


async def test_a_message_after_reinstall_enables_the_channel_again(bot: BotUnderTest) -> None:
    await bot.post(teams.bot_added(teams.AARHUS_GENERAL, service_url=bot.connector.url))
    await bot.post(teams.bot_removed(teams.AARHUS_GENERAL, service_url=bot.connector.url))
    await bot.post(teams.bot_added(teams.AARHUS_GENERAL, service_url=bot.connector.url))
    row = (await channel_rows(bot))[teams.AARHUS_GENERAL.id]
    assert row.installed
    assert row.uninstalled_at is None


async def test_a_changed_service_url_is_picked_up(bot: BotUnderTest) -> None:
    await bot.say("help")
    activity = teams.message(
        "help", service_url=bot.connector.url + "/", conversation=teams.AARHUS_GENERAL
    )
    await bot.post(activity)
    row = (await channel_rows(bot))[teams.AARHUS_GENERAL.id]
    assert row.service_url == bot.connector.url + "/"


async def test_the_reference_cache_forgets_conversations_that_fell_silent(
    bot: BotUnderTest,
) -> None:
    now = [1000.0]
    cache = ReferenceCache(ttl_seconds=300, clock=lambda: now[0])
    chats = [teams.personal(teams.user(f"Silent {n}")) for n in range(5)]

    async def record(conversation: teams.Conversation) -> int:
        document = teams.message("help", service_url=bot.connector.url, conversation=conversation)
        async with bot.services.database.unit_of_work() as session:
            return await cache.record(session, activity_from_json(document))

    first = [await record(chat) for chat in chats]
    assert len(cache) == 5
    now[0] += 200
    assert await record(chats[0]) == first[0]  # remembered: no write
    now[0] += 200  # all five expired (a hit does not extend); a new conversation sweeps them
    await record(teams.personal(teams.user("Newcomer")))
    assert len(cache) == 1
    assert await record(chats[1]) == first[1]  # written again, the same channel row
    assert len(await channel_rows(bot)) == 6


async def test_a_conversation_stored_by_two_turns_at_once_is_one_row(bot: BotUnderTest) -> None:
    """Teams may deliver a new conversation's first activities together, and each turn stores
    its reference: the second insert used to fail on the unique conversation id (PostgreSQL)."""
    database = bot.services.database
    newcomer = teams.user("Nina Newcomer")
    activity = activity_from_json(
        teams.message("help", service_url=bot.connector.url, conversation=teams.personal(newcomer))
    )
    info = activities.conversation_info(activity)
    async with database.sessions() as first, first.begin():
        mine = await channels.record(first, info)
        # The second turn starts while the first has stored the row but not committed: on
        # PostgreSQL its insert waits for the first transaction, on SQLite its BEGIN does.
        theirs_task = asyncio.create_task(_record_in_own_transaction(database, info))
        await asyncio.sleep(0.3)
        assert not theirs_task.done()
    assert await asyncio.wait_for(theirs_task, 10) == mine.id
    async with database.sessions() as session:
        rows = await session.scalar(
            select(func.count())
            .select_from(Channel)
            .where(Channel.conversation_id == info.conversation_id)
        )
    assert rows == 1


async def _record_in_own_transaction(database: Database, info: channels.ConversationInfo) -> int:
    async with database.sessions() as session, session.begin():
        return (await channels.record(session, info)).id
