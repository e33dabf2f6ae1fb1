"""Reminder series through /api/messages, and their delivery through the real sender."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from dialogs.remind.jobs import catch_up
from dialogs.remind.service import deliver_due
from domain.recurrence import Nudge
from storage.models import ActionItem, Channel, OutboxMessage, ReminderDelivery, ReminderSeries
from tests.harness import clock, teams
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text
from tests.harness.connector import Call, FakeConnector
from tests.harness.minutes import run_minutes
from tests.harness.remind import COPENHAGEN, at, first_meeting, series_row, set_up, setup_form

AARHUS = teams.AARHUS_GENERAL


async def test_setup_in_a_city_channel_lists_the_alternating_meetings(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say("remind setup")
    form = card_text(reply.cards[0])
    assert "Ecosystem calls (alternating)" in form
    reply = await bot.submit(setup_form())
    assert "Series #1 saved" in reply.text
    assert "every 2 weeks at 10:00 (Europe/Copenhagen)" in reply.text
    lines = [line for line in reply.text.splitlines() if line.startswith("•")]
    assert [line.split(":")[0] for line in lines] == [
        "• Complete ecosystem meeting", "• City reps alignment meeting", "• Complete ecosystem meeting",
    ]  # fmt: skip
    row = await series_row(bot, 1)
    assert row.city_id is not None
    assert row.nudges == ["day_before", "morning_of", "minutes_missing", "overdue_weekly"]


async def test_bad_setups_are_refused_with_reasons(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    await bot.say("remind setup")
    reply = await bot.submit(setup_form(timezone="Mars/Base", nudges=""))
    assert "time zone" in reply.text
    assert "at least one reminder" in reply.text
    reply = await bot.submit(setup_form(day="2020-01-01"))
    assert "in the past" in reply.text
    reply = await bot.submit(setup_form(kind="custom"))
    assert "text of the custom reminder" in reply.text
    reply = await bot.submit(setup_form(interval="monthly", day=date(2027, 1, 31).isoformat()))
    assert "day 1 to 28" in reply.text


async def test_only_the_citys_reps_manage_its_reminders(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    series_id = await set_up(bot)
    for who in (teams.OSCAR, teams.MARTA):
        reply = await bot.say("remind setup", who=who)
        assert "Only Aarhus's city representatives" in reply.text
        reply = await bot.say(f"remind pause {series_id}", who=who)
        assert "Only Aarhus's city representatives" in reply.text
    reply = await bot.say("remind setup", conversation=teams.channel("Random"), who=teams.ALICE)
    assert "Link this channel" in reply.text
    reply = await bot.say("remind list", who=teams.OSCAR)  # reading is open to the channel
    assert f"#{series_id}" in card_text(reply.cards[0])


async def test_list_pause_resume_delete(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    series_id = await set_up(bot)
    reply = await bot.say("remind list")
    shown = card_text(reply.cards[0])
    assert "Complete ecosystem meeting" in shown
    assert "{{DATE(" in shown
    reply = await bot.say(f"remind pause {series_id}")
    assert "paused" in reply.text
    assert (await series_row(bot, series_id)).paused
    assert "paused" in card_text((await bot.say("remind list")).cards[0])
    assert (
        await deliver_due(
            bot.services,
            series_id,
            Nudge.DAY_BEFORE,
            at(first_meeting() - timedelta(days=1), time(10, 1)),
        )
        == "inactive"
    )
    reply = await bot.say(f"remind resume {series_id}")
    assert not (await series_row(bot, series_id)).paused
    reply = await bot.say("remind pause 99")
    assert "don't know series #99" in reply.text
    reply = await bot.say(f"remind delete {series_id}")
    assert "deleted" in reply.text
    assert "No reminder series" in card_text((await bot.say("remind list")).cards[0])


async def test_the_day_before_reminder_names_the_meeting_and_carries_the_open_recap(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)  # leaves agreements and actions open
    series_id = await set_up(bot)
    bot.connector.clear()
    result = await deliver_due(
        bot.services,
        series_id,
        Nudge.DAY_BEFORE,
        at(first_meeting() - timedelta(days=1), time(10, 0, 30)),
    )
    assert result == "sent"
    (call,) = bot.connector.sent()
    assert call.conversation_id == AARHUS.id
    assert call.kind == "send"  # a new post in the channel, not a reply in someone's thread
    shown = card_text(call.card)
    assert "Tomorrow: Complete ecosystem meeting" in shown
    assert "Share the EV charging data" in shown
    assert "shares the consumption data monthly" in shown
    assert "Start the minutes" in [a["title"] for a in call.card["actions"]]
    assert "late" not in shown
    # The next occurrence is the other meeting type.
    second = first_meeting() + timedelta(weeks=2)
    await deliver_due(bot.services, series_id, Nudge.MORNING_OF, at(second, time(8, 0, 10)))
    assert "Today: City reps alignment meeting" in card_text(bot.connector.last().card)


async def test_a_reminder_is_delivered_once_however_often_the_job_fires(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    series_id = await set_up(bot)
    bot.connector.clear()
    moment = at(first_meeting(), time(8, 0, 5))
    results = [
        await deliver_due(bot.services, series_id, Nudge.MORNING_OF, moment) for _ in range(3)
    ]
    assert results == ["sent", "already delivered", "already delivered"]
    assert len(bot.connector.sent()) == 1


async def test_late_within_grace_is_sent_once_marked_late_and_beyond_grace_skipped(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    series_id = await set_up(bot)
    bot.connector.clear()
    due = at(first_meeting() - timedelta(days=1), time(10, 0))
    assert (
        await deliver_due(bot.services, series_id, Nudge.DAY_BEFORE, due + timedelta(minutes=40))
        == "sent"
    )
    assert "40 min late" in card_text(bot.connector.last().card)
    morning = at(first_meeting(), time(8, 0))
    assert (
        await deliver_due(bot.services, series_id, Nudge.MORNING_OF, morning + timedelta(hours=2))
        == "skipped"
    )
    assert len(bot.connector.sent()) == 1


async def test_minutes_missing_only_when_no_minutes_were_recorded(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    series_id = await set_up(bot)
    day_after = at(first_meeting() + timedelta(days=1), time(10, 0, 5))
    bot.connector.clear()
    assert await deliver_due(bot.services, series_id, Nudge.MINUTES_MISSING, day_after) == "sent"
    assert "No minutes yet for the complete ecosystem meeting" in card_text(
        bot.connector.last().card
    )
    # Minutes recorded for the next meeting's date silence its "minutes missing".
    second = first_meeting() + timedelta(weeks=2)
    async with bot.services.database.unit_of_work() as session:
        from storage.models import Minutes

        session.add(Minutes(source_key="x", city_id=1, meeting_type="city_reps_alignment", meeting_date=second,
                            stakeholder_group="All", author_user_id="29:a", author_name="A"))  # fmt: skip
    assert (
        await deliver_due(
            bot.services,
            series_id,
            Nudge.MINUTES_MISSING,
            at(second + timedelta(days=1), time(10, 0, 5)),
        )
        == "nothing to say"
    )


async def test_the_weekly_overdue_nudge_groups_by_owner_and_stays_quiet_when_nothing_is_late(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    series_id = await set_up(bot)
    monday = clock.today(COPENHAGEN)
    monday = monday - timedelta(days=monday.weekday())
    moment = at(monday, time(9, 0, 5))
    assert (
        await deliver_due(bot.services, series_id, Nudge.OVERDUE_WEEKLY, moment) == "nothing to say"
    )
    await run_minutes(bot)
    async with bot.services.database.unit_of_work() as session:
        await session.execute(
            update(ActionItem)
            .where(ActionItem.kind == "action")
            .values(due_date=monday - timedelta(days=3))
        )
    bot.connector.clear()
    assert await deliver_due(bot.services, series_id, Nudge.OVERDUE_WEEKLY, moment) == "sent"
    shown = card_text(bot.connector.last().card)
    assert shown.index("Bob Rep") < shown.index("Draft the port pilot")
    assert shown.index("Energy Agency") < shown.index("Share the EV charging data")


async def test_a_tag_session_reminder_carries_the_preparation_checklist(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say("remind setup", conversation=teams.GREEN_TAG, who=teams.MARTA)
    assert "TAG working sessions" in card_text(reply.cards[0])
    form = setup_form(
        kind="tag_session",
        timezone="Europe/Brussels",
        interval="monthly",
        day=(first_meeting().replace(day=10) + timedelta(days=31)).isoformat(),
        nudges="week_before",
    )
    reply = await bot.submit(form, conversation=teams.GREEN_TAG, who=teams.MARTA)
    assert "monthly" in reply.text
    series_id = int(reply.text.split("Series #", 1)[1].split(" ", 1)[0])
    first = date.fromisoformat(form["day"])
    bot.connector.clear()
    assert (
        await deliver_due(
            bot.services,
            series_id,
            Nudge.WEEK_BEFORE,
            at(first - timedelta(days=7), time(10, 0, 5), ZoneInfo("Europe/Brussels")),
        )
        == "sent"
    )
    shown = card_text(bot.connector.last().card)
    assert "In a week: TAG working session" in shown
    assert "Confirm attendance" in shown


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "retry_after": 0.2},
        {"status": 500, "retry_after": 0.1},
        {"status": 503},
        {"hang": True},
    ],
    ids=["429", "500", "503", "timeout"],
)
async def test_transient_failures_are_retried_to_success_with_nothing_lost(
    rostered_bot: BotUnderTest, fault: dict[str, Any]
) -> None:
    bot = rostered_bot
    series_id = await set_up(bot)
    if fault.get("hang"):
        from aiohttp import ClientTimeout

        bot.services.require_outbound()._timeout = ClientTimeout(total=0.5)
        bot.connector.hang(2.0, method="POST", match="/activities")
    else:
        bot.connector.fail(
            fault["status"], times=2, retry_after=fault.get("retry_after"), method="POST"
        )
    bot.connector.clear()
    # Refused twice: past the quick retry, so it is queued and the outbox's drain loop sends it.
    result = await deliver_due(
        bot.services, series_id, Nudge.MORNING_OF, at(first_meeting(), time(8, 0, 5))
    )
    assert result == ("sent" if fault.get("hang") else "queued")

    def delivered(connector: FakeConnector) -> list[Call]:
        return [c for c in connector.calls if c.method == "POST" and c.status == 200 and c.cards]

    await bot.connector.wait_for(delivered, within=20)
    await bot.services.require_outbox().wait_empty()
    # A timed-out call may still reach Teams later (here: the hung request completes after the
    # retry); what the retry guarantees is that the reminder is not lost.
    assert len(delivered(bot.connector)) == 1
    async with bot.services.database.unit_of_work() as session:
        (row,) = (await session.scalars(select(ReminderDelivery))).all()
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert row.status == "sent"


async def test_a_403_disables_the_channels_series_and_records_why(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    series_id = await set_up(bot)
    bot.connector.fail(403, method="POST")
    assert (
        await deliver_due(
            bot.services, series_id, Nudge.MORNING_OF, at(first_meeting(), time(8, 0, 5))
        )
        == "gone"
    )
    row = await series_row(bot, series_id)
    assert row.disabled_reason is not None
    assert "403" in row.disabled_reason
    async with bot.services.database.unit_of_work() as session:
        channel = await session.scalar(select(Channel).where(Channel.conversation_id == AARHUS.id))
        assert channel is not None
        assert not channel.installed
    assert "disabled" in card_text((await bot.say("remind list")).cards[0])
    # A later nudge of the disabled series sends nothing.
    bot.connector.clear()
    assert (
        await deliver_due(
            bot.services,
            series_id,
            Nudge.DAY_BEFORE,
            at(first_meeting() + timedelta(weeks=2, days=-1), time(10, 0, 5)),
        )
        == "inactive"
    )
    assert bot.connector.sent() == []


async def test_catch_up_delivers_what_fell_due_while_no_scheduler_ran(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    series_id = await set_up(bot)
    due = clock.now() - timedelta(minutes=20)
    # Move the series so that a "day before" nudge fell due 20 minutes ago.
    local = due.astimezone(COPENHAGEN)
    async with bot.services.database.unit_of_work() as session:
        await session.execute(
            update(ReminderSeries).where(ReminderSeries.id == series_id)
            .values(first_day=local.date() + timedelta(days=1), at_time=local.strftime("%H:%M"), nudges=["day_before"])
        )  # fmt: skip
    bot.connector.clear()
    await catch_up(bot.services)
    await catch_up(bot.services)  # twice: still one message
    (call,) = bot.connector.sent()
    assert "min late" in card_text(call.card)
