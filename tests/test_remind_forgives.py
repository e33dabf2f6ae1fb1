"""Reminder series that forgive (issue 19): the same series is not saved twice, ids of deleted
series are never handed out again, and a day typed the writer's way is read their way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage.models import ReminderSeries
from tests.harness import teams
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text
from tests.harness.remind import first_meeting, series_row, set_up, setup_form


async def series_count(bot: BotUnderTest) -> int:
    async with bot.services.database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(ReminderSeries)) or 0)


async def test_the_same_series_set_up_again_is_refused_with_the_existing_ones_number(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    first = await set_up(bot)
    for _ in range(2):  # the second and the third time
        await bot.say("remind setup")
        reply = await bot.submit(setup_form())
        assert "This channel already has this series" in reply.text
        assert f"#{first}" in reply.text
        assert "Nothing saved" in reply.text
        assert "`remind list`" in reply.text
    assert await series_count(bot) == 1
    # The refusal carries a button that lists the series (a click: no @mention needed).
    (card,) = reply.cards
    assert f"#{first}" in card_text(card)
    (button,) = card["actions"]
    assert button["title"] == "Show the series"
    listed = await bot.submit(button["data"])
    assert f"#{first}" in card_text(listed.cards[0])
    # The same meetings two weeks on (the same phase of the alternation) are the same series.
    await bot.say("remind setup")
    later = (first_meeting() + timedelta(days=28)).isoformat()
    reply = await bot.submit(setup_form(day=later))
    assert f"already has this series: #{first}" in reply.text
    assert await series_count(bot) == 1


async def test_a_series_that_differs_in_time_or_rhythm_is_saved(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await set_up(bot)
    await set_up(bot, time="11:00")
    await set_up(bot, interval="1")
    # Two weeks on, the other meeting type comes first: a different alternation.
    await set_up(bot, day=(first_meeting() + timedelta(days=14)).isoformat())
    assert await series_count(bot) == 4


async def test_a_paused_twin_is_named_with_how_to_resume_it(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    first = await set_up(bot)
    await bot.say(f"remind pause {first}")
    await bot.say("remind setup")
    reply = await bot.submit(setup_form())
    assert f"`remind resume {first}`" in reply.text
    assert (await series_row(bot, first)).paused
    assert await series_count(bot) == 1


async def test_a_twin_in_another_channel_is_no_twin(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    await set_up(bot)
    await set_up(bot, conversation=teams.BRAGA_GENERAL, who=teams.BEATRIZ)
    assert await series_count(bot) == 2


async def test_a_deleted_series_number_is_never_given_again_and_its_old_commands_are_refused(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    assert await set_up(bot) == 1
    assert await set_up(bot, time="11:00") == 2
    reply = await bot.say("remind delete 2")
    assert "Series #2 deleted" in reply.text
    assert await set_up(bot, time="12:00") == 3  # not 2 again
    for sub in ("pause", "resume", "delete"):
        reply = await bot.say(f"remind {sub} 2")
        assert "I don't know series #2." in reply.text
    assert not (await series_row(bot, 3)).paused
    assert await series_count(bot) == 2


async def test_a_first_day_typed_the_writers_way_is_read_as_their_locale_writes_it(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    # A day past the 12th, so day/month and month/day cannot both be dates.
    day = next(
        first_meeting() + timedelta(days=n)
        for n in range(31)
        if (first_meeting() + timedelta(days=n)).day > 12
    )
    for locale, typed, clock_time in (
        ("en-GB", f"{day.day}/{day.month}", "10:00"),
        ("de-DE", f"{day.day}.{day.month}.", "11:00"),
        ("en-US", f"{day.month}/{day.day}", "12:00"),
    ):
        await bot.say("remind setup")
        reply = await bot.submit(setup_form(day=typed, time=clock_time), locale=locale)
        assert "saved" in reply.text, (locale, reply.text)
        series_id = int(reply.text.split("Series #", 1)[1].split(" ", 1)[0])
        assert (await series_row(bot, series_id)).first_day == day, locale


@pytest.mark.parametrize(
    "conversation",
    [teams.personal(teams.ALICE), teams.Conversation("19:group-chat@thread.v2", "groupChat")],
    ids=["personal", "group chat"],
)
async def test_remind_in_a_chat_speaks_of_this_chat(
    rostered_bot: BotUnderTest, conversation: teams.Conversation
) -> None:
    bot = rostered_bot
    reply = await bot.say("remind setup", conversation=conversation)
    assert "this chat cannot be linked" in reply.text
    assert "this channel" not in reply.text
    reply = await bot.say("remind pause 7", conversation=conversation)
    assert "this channel" not in reply.text
    reply = await bot.say("remind list", conversation=conversation)
    shown = " ".join([reply.text, *(card_text(card) for card in reply.cards)])
    assert "this channel" not in shown


async def test_remind_in_an_unlinked_channel_still_speaks_of_this_channel(
    rostered_bot: BotUnderTest,
) -> None:
    reply = await rostered_bot.say("remind setup", conversation=teams.channel("Random"))
    assert "Link this channel" in reply.text
