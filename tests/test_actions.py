"""The action tracker: lists, marking from the card, permissions, overdue by the city's date."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from storage.models import ActionItem
from tests.harness import clock, teams
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text
from tests.harness.minutes import run_braga_minutes, run_minutes


async def item_status(bot: BotUnderTest, item_id: int) -> str:
    async with bot.services.database.unit_of_work() as session:
        item = await session.get(ActionItem, item_id)
        assert item is not None
        return item.status


async def test_actions_lists_open_items_of_the_channels_city(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    await run_braga_minutes(bot)
    reply = await bot.say("actions")
    shown = card_text(reply.cards[0])
    assert "Share the EV charging data" in shown
    assert "Draft the port pilot" in shown
    assert "Braga task" not in shown
    assert (
        "consumption data" not in shown
    )  # agreements are recapped in minutes, not tracked as actions


async def test_actions_mine_shows_what_a_person_owns(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    reply = await bot.say("actions mine", who=teams.BOB)
    shown = card_text(reply.cards[0])
    assert "Draft the port pilot" in shown
    assert "Share the EV charging data" not in shown
    reply = await bot.say("actions mine", who=teams.OSCAR)
    assert "roster" in reply.text


async def test_the_owner_marks_done_from_the_card_and_others_are_refused(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    async with bot.services.database.unit_of_work() as session:
        pilot = await session.scalar(
            select(ActionItem).where(ActionItem.text == "Draft the port pilot")
        )
    assert pilot is not None
    reply = await bot.execute(
        "actions.set", {"action_id": pilot.id, "status": "done", "view": "open"}, who=teams.OSCAR
    )
    assert "only the owner" in reply.body["value"]
    assert await item_status(bot, pilot.id) == "open"
    reply = await bot.execute(
        "actions.set", {"action_id": pilot.id, "status": "done", "view": "mine"}, who=teams.BOB
    )
    assert reply.body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Draft the port pilot" not in card_text(
        reply.body["value"]
    )  # done: gone from the open list
    assert await item_status(bot, pilot.id) == "done"
    # A city rep of the city may change a stakeholder's action.
    async with bot.services.database.unit_of_work() as session:
        data = await session.scalar(
            select(ActionItem).where(ActionItem.text == "Share the EV charging data")
        )
    assert data is not None
    reply = await bot.execute(
        "actions.set", {"action_id": data.id, "status": "blocked", "view": "open"}, who=teams.ALICE
    )
    assert await item_status(bot, data.id) == "blocked"


async def test_bad_action_buttons_change_nothing(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    for data in (
        {},
        {"action_id": "x", "status": "done"},
        {"action_id": 1, "status": "finished"},
        {"action_id": 999, "status": "done"},
    ):
        reply = await bot.execute("actions.set", data)
        assert reply.body["type"] == "application/vnd.microsoft.activity.message"


async def test_overdue_uses_the_citys_calendar(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    copenhagen_today = clock.today(ZoneInfo("Europe/Copenhagen"))
    async with bot.services.database.unit_of_work() as session:
        await session.execute(
            update(ActionItem)
            .where(ActionItem.text == "Draft the port pilot")
            .values(due_date=copenhagen_today - timedelta(days=1))
        )
    reply = await bot.say("actions overdue")
    shown = card_text(reply.cards[0])
    assert "Draft the port pilot" in shown
    assert "overdue" in shown
    assert "Share the EV charging data" not in shown


async def test_unknown_view_gets_usage(rostered_bot: BotUnderTest) -> None:
    reply = await rostered_bot.say("actions everything")
    assert "Usage" in reply.text


def test_due_today_is_not_overdue() -> None:
    from domain.actions import Item, Kind, Status, is_overdue

    item = Item(1, Kind.ACTION, "x", Status.OPEN, due=date(2026, 11, 23))
    assert not is_overdue(item, date(2026, 11, 23))
    assert is_overdue(item, date(2026, 11, 24))
    assert not is_overdue(
        Item(1, Kind.ACTION, "x", Status.DONE, due=date(2026, 11, 1)), date(2026, 11, 24)
    )
