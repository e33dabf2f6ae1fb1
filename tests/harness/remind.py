"""A channel's reminder series as a rep sets it up (`remind setup`), its first meeting a week
from today by the app's clock, and the moments its nudges fall due.
(tests/harness/reminders.py writes due series straight into the database instead.)"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage.models import ReminderSeries
from tests.harness import teams
from tests.harness.bot import BotUnderTest
from tests.harness.clock import today

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def first_meeting() -> date:
    return today(COPENHAGEN) + timedelta(days=7)


def setup_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "verb": "dialog", "step": "remind", "kind": "ecosystem", "first_type": "complete_ecosystem",
        "day": first_meeting().isoformat(), "time": "10:00", "timezone": "Europe/Copenhagen",
        "interval": "2", "nudges": "day_before,morning_of,minutes_missing,overdue_weekly",
    }  # fmt: skip
    form.update(overrides)
    return form


async def set_up(
    bot: BotUnderTest,
    conversation: teams.Conversation = teams.AARHUS_GENERAL,
    who: teams.User = teams.ALICE,
    **overrides: Any,
) -> int:
    reply = await bot.say("remind setup", conversation=conversation, who=who)
    assert reply.cards, reply.text
    reply = await bot.submit(setup_form(**overrides), conversation=conversation, who=who)
    assert "saved" in reply.text, reply.text
    return int(reply.text.split("Series #", 1)[1].split(" ", 1)[0])


def at(day: date, clock: time, zone: ZoneInfo = COPENHAGEN) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


async def series_row(bot: BotUnderTest, series_id: int) -> ReminderSeries:
    async with bot.services.database.unit_of_work() as session:
        row = await session.get(ReminderSeries, series_id)
        assert row is not None
        return row
