"""Typing mistakes get a reply that names them, never the apology for a bug: digits that are
not ASCII ("²", "٣"), numbers that are not finite, dates at either end of the calendar, and
text that cannot be encoded (a lone UTF-16 surrogate)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import Agenda, Minutes, Poll, ReminderSeries, TagSummary
from tests.harness import teams
from tests.harness.agenda import TAG, unchanged, when
from tests.harness.bot import BotUnderTest, Reply
from tests.harness.minutes import action_rows, later, meeting_value, setup_value, ticked
from tests.harness.remind import setup_form

APOLOGY = "something went wrong"
NOT_NUMBERS = ["²", "٣", "inf", "1e309", "nan", "-inf", "99999999999999999999"]
FAR_DATES = ["9999-12-31", "0001-01-01", "0000-01-01", "10000-01-01"]


def answered(reply: Reply, *expected: str) -> str:
    """The reply's text, after checking it is a clear answer that says `expected`."""
    assert reply.status in (200, 201), reply.body
    assert APOLOGY not in reply.text, reply.text
    for words in expected:
        assert words in reply.text, reply.text
    return reply.text


async def count(bot: BotUnderTest, model: Any) -> int:
    async with bot.services.database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("raw", NOT_NUMBERS)
async def test_a_session_number_or_length_that_is_no_number_is_named(
    rostered_bot: BotUnderTest, raw: str
) -> None:
    bot = rostered_bot
    await bot.say("agenda", conversation=TAG, who=teams.MARTA)
    reply = await bot.submit(when(session=raw), conversation=TAG, who=teams.MARTA)
    answered(reply, "the session number goes from 1 to 20")
    reply = await bot.submit(when(length=raw), conversation=TAG, who=teams.MARTA)
    answered(reply, "between 15 and 240 minutes")
    reply = await bot.submit(when(), conversation=TAG, who=teams.MARTA)
    assert "Build the agenda" in str(reply.cards), reply.text


@pytest.mark.parametrize("raw", NOT_NUMBERS)
async def test_agenda_item_minutes_and_positions_that_are_no_numbers_are_named(
    rostered_bot: BotUnderTest, raw: str
) -> None:
    bot = rostered_bot
    await bot.say("agenda", conversation=TAG, who=teams.MARTA)
    await bot.submit(when(), conversation=TAG, who=teams.MARTA)
    for edit, expected in (
        ({"minutes2": raw}, "give between 1 and 180 minutes"),
        ({"new_title": "Guest talk", "new_minutes": raw}, "give between 1 and 180 minutes"),
        ({"order1": raw}, "Positions must be numbers"),
    ):
        reply = await bot.submit(
            {**unchanged(6), **edit, "do": "update"}, conversation=TAG, who=teams.MARTA
        )
        answered(reply, expected)
    assert await count(bot, Agenda) == 0


@pytest.mark.parametrize("day", FAR_DATES)
@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Kiritimati"])
async def test_an_agenda_date_at_the_end_of_the_calendar_is_refused_by_name(
    rostered_bot: BotUnderTest, day: str, zone: str
) -> None:
    bot = rostered_bot
    await bot.say("agenda", conversation=TAG, who=teams.MARTA)
    reply = await bot.submit(
        when(day=day, time="23:59", timezone=zone), conversation=TAG, who=teams.MARTA
    )
    answered(reply, day, "outside the dates I keep")


@pytest.mark.parametrize("raw", ["inf", "٣", "²"])
async def test_a_summary_session_number_that_is_no_number_is_named(
    rostered_bot: BotUnderTest, raw: str
) -> None:
    bot = rostered_bot
    await bot.say("summary", conversation=TAG, who=teams.MARTA)
    form = {
        "verb": "dialog",
        "step": "summary",
        "session": raw,
        "key_points": "Retrofit financing",
        "takeaway0": "Pool the tenders",
    }
    answered(await bot.submit(form, conversation=TAG, who=teams.MARTA), "session number")
    for day in FAR_DATES:
        reply = await bot.submit(
            {**form, "session": 1, "next_session": day}, conversation=TAG, who=teams.MARTA
        )
        answered(reply, "the next session's date", "outside the dates I keep")
    assert await count(bot, TagSummary) == 0


@pytest.mark.parametrize("raw", ["²", "٣", "1e309"])
async def test_minutes_stakeholder_ticks_that_are_no_numbers_count_as_unticked(
    rostered_bot: BotUnderTest, raw: str
) -> None:
    bot = rostered_bot
    await bot.say("minutes")
    reply = await bot.submit(setup_value(new_stakeholders="", reps="", stakeholders=raw))
    answered(reply, "tick who attended")


async def test_minutes_dates_at_the_ends_of_the_calendar_are_refused_by_name(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say("minutes")
    card = reply.cards[0]
    for day in FAR_DATES:
        reply = await bot.submit(ticked(card, setup_value(date=day)))
        answered(reply, "the meeting's date", "outside the dates I keep")
    reply = await bot.submit(ticked(card, setup_value()))
    meeting = reply.cards[-1]
    for due in ("9999-12-31", "31 dec 9999", "0001-01-01", "9999-12-31T23:59-05:00"):
        typed = {"more_actions": f"Do the thing | Energy Agency | {due}"}
        answered(await bot.submit(meeting_value(meeting, **typed)), "outside the dates I keep")
    for due in ("9999-12-31", "0001-01-01", "9999-12-31T23:59-05:00"):
        row = action_rows(("Do the thing", "Energy Agency", due))
        answered(await bot.submit(meeting_value(meeting, **row)), "outside the dates I keep")
    row = action_rows(("Do the thing", "Energy Agency", later(5)))
    reply = await bot.submit(meeting_value(meeting, **row))
    assert reply.cards, reply.text
    for day in FAR_DATES:
        reply = await bot.submit(
            {"verb": "dialog", "step": "closing", "next_steps": "Call", "next_call": day}
        )
        answered(reply, "outside the dates I keep")
    assert await count(bot, Minutes) == 0


@pytest.mark.parametrize("interval", ["²", "٣", "inf", "nan", "1e309", "99999999999999999999"])
async def test_a_reminder_interval_that_is_no_number_is_named(
    rostered_bot: BotUnderTest, interval: str
) -> None:
    bot = rostered_bot
    await bot.say("remind setup")
    answered(await bot.submit(setup_form(interval=interval)), "1 to 8 weeks")
    assert await count(bot, ReminderSeries) == 0


@pytest.mark.parametrize("day", FAR_DATES)
async def test_a_reminder_start_at_the_end_of_the_calendar_is_refused_by_name(
    rostered_bot: BotUnderTest, day: str
) -> None:
    bot = rostered_bot
    await bot.say("remind setup")
    reply = await bot.submit(setup_form(day=day, time="23:59", timezone="America/Los_Angeles"))
    answered(reply, day, "outside the dates I keep")
    assert await count(bot, ReminderSeries) == 0


@pytest.mark.parametrize(
    "closes",
    ["9999-12-31 23:59", "9999-12-31T23:59-05:00", "31 dec 9999", "0001-01-01 00:00", "0000-01-01"],
)
async def test_a_poll_closing_at_the_end_of_the_calendar_is_refused_by_name(
    bot: BotUnderTest, closes: str
) -> None:
    reply = await bot.say(f"poll Lunch? | Yes | No --closes {closes}")
    answered(reply, "Closing time", "outside the dates I keep")
    assert await count(bot, Poll) == 0


@pytest.mark.parametrize("raw", ["²", "٣", "1e309"])
async def test_a_vote_for_an_option_written_in_other_digits_is_refused(
    bot: BotUnderTest, raw: str
) -> None:
    reply = await bot.say("poll Lunch? | Yes | No | Maybe")
    poll_id = int(str(reply.cards[0]).split("Poll #", 1)[1].split(" ", 1)[0])
    reply = await bot.execute("poll.vote", {"poll_id": poll_id, "choice": raw})
    assert APOLOGY not in str(reply.body)
    assert "does not have" in str(reply.body)


async def test_a_lone_surrogate_in_typed_text_becomes_a_replacement_character(
    bot: BotUnderTest,
) -> None:
    reply = await bot.say("poll Lunch\ud800? | Yes\udfff | No")
    answered(reply)
    async with bot.services.database.unit_of_work() as session:
        poll = (await session.scalars(select(Poll))).one()
    assert poll.question == "Lunch\ufffd?"
    assert list(poll.options) == ["Yes\ufffd", "No"]


async def test_a_lone_surrogate_in_a_card_value_becomes_a_replacement_character(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await bot.say("agenda", conversation=TAG, who=teams.MARTA)
    await bot.submit(when(), conversation=TAG, who=teams.MARTA)
    form = {**unchanged(6), "new_title": "Guest \ud83d talk", "new_minutes": 5, "do": "post"}
    answered(await bot.submit(form, conversation=TAG, who=teams.MARTA))
    async with bot.services.database.unit_of_work() as session:
        agenda = (await session.scalars(select(Agenda))).one()
    assert "Guest \ufffd talk" in [item["title"] for item in agenda.items]
