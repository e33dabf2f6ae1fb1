"""Marking an action from its card can be undone for a few minutes, and double clicks count once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from storage.models import ActionEvent, ActionItem
from tests.harness import clock, teams
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text
from tests.harness.minutes import run_minutes

PILOT = "Draft the port pilot"  # Bob's action in the minutes run_minutes saves


async def pilot(bot: BotUnderTest) -> ActionItem:
    async with bot.services.database.unit_of_work() as session:
        item = await session.scalar(select(ActionItem).where(ActionItem.text == PILOT))
        assert item is not None
        return item


async def events(bot: BotUnderTest, item_id: int) -> list[str]:
    async with bot.services.database.unit_of_work() as session:
        rows = await session.scalars(
            select(ActionEvent).where(ActionEvent.action_id == item_id).order_by(ActionEvent.id)
        )
        return [row.status for row in rows]


def undo_data(card: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = []
    pending: list[Any] = [card]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and node.get("verb") == "actions.undo":
                found.append(node["data"])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    assert len(found) == 1, card_text(card)
    return {k: v for k, v in found[0].items() if k != "verb"}


async def mark_done(bot: BotUnderTest, item_id: int) -> dict[str, Any]:
    reply = await bot.execute(
        "actions.set", {"action_id": item_id, "status": "done", "view": "mine"}, who=teams.BOB
    )
    assert reply.body["type"] == "application/vnd.microsoft.card.adaptive", reply.body
    card: dict[str, Any] = reply.body["value"]
    return card


async def test_done_answers_with_an_undo_that_restores_the_status_and_the_card(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    item = await pilot(bot)
    card = await mark_done(bot, item.id)
    shown = card_text(card)
    assert f"Action #{item.id} is now done. You can undo this for 10 minutes." in shown
    assert PILOT not in shown  # done: gone from the list of open actions
    reply = await bot.execute("actions.undo", undo_data(card), who=teams.BOB)
    shown = card_text(reply.body["value"])
    assert f"Undone: action #{item.id} is open again." in shown
    assert PILOT in shown  # back on the list, with its Done button
    assert (await pilot(bot)).status == "open"


async def test_double_clicks_of_done_and_of_undo_have_the_effect_of_one(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    item = await pilot(bot)
    first = await mark_done(bot, item.id)
    second = await mark_done(bot, item.id)
    assert undo_data(first) == undo_data(second)  # the second card offers the same Undo
    assert await events(bot, item.id) == ["done"]
    for _ in range(2):
        reply = await bot.execute("actions.undo", undo_data(first), who=teams.BOB)
        assert "is open again" in card_text(reply.body["value"])
    assert await events(bot, item.id) == ["done", "open"]
    assert (await pilot(bot)).status == "open"


async def test_undo_is_refused_after_ten_minutes_and_after_a_later_change(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    item = await pilot(bot)
    card = await mark_done(bot, item.id)
    bot.services.clock = lambda: clock.now() + timedelta(minutes=11)
    reply = await bot.execute("actions.undo", undo_data(card), who=teams.BOB)
    assert reply.body["type"] == "application/vnd.microsoft.activity.message"
    assert "Too late to undo" in reply.body["value"]
    assert "10 minutes" in reply.body["value"]
    assert (await pilot(bot)).status == "done"
    # Past the window, a second click of Done offers no Undo.
    card = await mark_done(bot, item.id)
    assert "undo" not in card_text(card).lower()
    # Within the window, but the item changed since: the older Undo does not apply.
    bot.services.clock = clock.now
    reply = await bot.execute(
        "actions.set", {"action_id": item.id, "status": "blocked", "view": "mine"}, who=teams.BOB
    )
    blocked = reply.body["value"]
    older = {**undo_data(blocked), "event_id": undo_data(blocked)["event_id"] - 1}
    reply = await bot.execute("actions.undo", older, who=teams.BOB)
    assert "no longer applies" in reply.body["value"]
    assert (await pilot(bot)).status == "blocked"
    # Someone who may not change the item may not undo either.
    reply = await bot.execute("actions.undo", undo_data(blocked), who=teams.OSCAR)
    assert "only the owner" in reply.body["value"]
    assert (await pilot(bot)).status == "blocked"


async def test_bad_undo_buttons_change_nothing(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    item = await pilot(bot)
    card = await mark_done(bot, item.id)
    good = undo_data(card)
    for data in (
        {},
        {**good, "previous": "finished"},
        {**good, "event_id": "x"},
        {**good, "action_id": 999},
    ):
        reply = await bot.execute("actions.undo", data, who=teams.BOB)
        assert reply.body["type"] == "application/vnd.microsoft.activity.message", data
    assert (await pilot(bot)).status == "done"
    assert await events(bot, item.id) == ["done"]
