"""The dialog foundation: SQL-backed state, per-person dialogs, cancel, resume after restart."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app import create_app
from config import Settings
from storage.models import Person, StateItem
from tests.harness import teams
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text
from tests.harness.connector import FakeConnector


async def timezone_of(bot: BotUnderTest, who: teams.User) -> str | None:
    async with bot.services.database.unit_of_work() as session:
        person = await session.scalar(select(Person).where(Person.teams_user_id == who.id))
        return person.timezone if person else None


async def test_timezone_dialog_asks_retries_and_saves(bot: BotUnderTest) -> None:
    chat = teams.personal(teams.ALICE)
    reply = await bot.say("timezone", conversation=chat)
    assert "Which time zone" in reply.text
    reply = await bot.say("Mars/Olympus", conversation=chat)
    assert "don't know the time zone “Mars/Olympus”" in reply.text
    assert await timezone_of(bot, teams.ALICE) is None
    reply = await bot.say("lisbon", conversation=chat)
    assert "Europe/Lisbon" in reply.text
    assert await timezone_of(bot, teams.ALICE) == "Europe/Lisbon"
    # The dialog is over: the next message is a command again.
    reply = await bot.say("help", conversation=chat)
    assert reply.cards


async def test_one_line_form_needs_no_dialog(bot: BotUnderTest) -> None:
    reply = await bot.say("timezone America/New_York")
    assert "America/New_York" in reply.text
    assert await timezone_of(bot, teams.ALICE) == "America/New_York"


async def test_one_line_form_with_a_bad_zone_changes_nothing(bot: BotUnderTest) -> None:
    reply = await bot.say("timezone Atlantis")
    assert "don't know the time zone" in reply.text
    assert await timezone_of(bot, teams.ALICE) is None


async def test_cancel_ends_the_dialog_and_saves_nothing(bot: BotUnderTest) -> None:
    await bot.say("timezone")
    reply = await bot.say("cancel")
    assert "Cancelled" in reply.text
    reply = await bot.say("Europe/Rome")  # no longer an answer: an unknown command
    assert "don't know the command" in card_text(reply.cards[0])
    assert await timezone_of(bot, teams.ALICE) is None


async def test_cancel_with_nothing_running_says_so(bot: BotUnderTest) -> None:
    reply = await bot.say("cancel")
    assert "nothing to cancel" in reply.text


async def test_two_people_in_one_channel_have_their_own_dialogs(bot: BotUnderTest) -> None:
    await bot.say("timezone", who=teams.ALICE)
    reply = await bot.say("help", who=teams.BOB)  # Bob is not inside Alice's dialog
    assert reply.cards
    await bot.say("Europe/Rome", who=teams.ALICE)
    assert await timezone_of(bot, teams.ALICE) == "Europe/Rome"
    assert await timezone_of(bot, teams.BOB) is None


async def test_a_dialog_resumes_after_a_restart(
    aiohttp_client: Any, settings: Settings, connector: FakeConnector
) -> None:
    first = BotUnderTest(await aiohttp_client(create_app(settings)), connector)
    await first.say("timezone")
    await first.client.close()  # the process goes away mid-dialog

    second = BotUnderTest(await aiohttp_client(create_app(settings)), connector)
    reply = await second.say("Europe/Madrid")
    assert "Europe/Madrid" in reply.text
    assert await timezone_of(second, teams.ALICE) == "Europe/Madrid"


async def test_dialog_state_is_stored_in_the_database(bot: BotUnderTest) -> None:
    await bot.say("timezone")
    async with bot.services.database.unit_of_work() as session:
        keys = (await session.scalars(select(StateItem.key))).all()
    assert any(teams.ALICE.id in key for key in keys)
