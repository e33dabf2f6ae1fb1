"""The minutes dialog as a city rep walks it: the forms, dated by the app's clock in the city's
own zone, and the saved action items."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage.models import ActionItem
from tests.harness import clock, teams
from tests.harness.bot import BotUnderTest, Reply
from tests.harness.cards import card_text

COPENHAGEN = ZoneInfo("Europe/Copenhagen")  # Aarhus, as in the test roster
# Braga: an hour behind Aarhus, so between 23:00 and 00:00 UTC a day behind it.
LISBON = ZoneInfo("Europe/Lisbon")


def today(zone: ZoneInfo = COPENHAGEN) -> date:
    """The city's date: the dialog refuses minutes dated after the city's own today."""
    return clock.today(zone)


def later(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


def setup_value(*, zone: ZoneInfo = COPENHAGEN, **overrides: Any) -> dict[str, Any]:
    value = {
        "verb": "dialog",
        "step": "setup",
        "meeting_type": "complete_ecosystem",
        "date": today(zone).isoformat(),
        "group": "Energy",
        "new_stakeholders": "Energy Agency, Port Authority",
        # Ticked by title, as a person does: `run_minutes` turns titles into the card's values.
        "reps": ["Alice Rep"],
    }
    value.update(overrides)
    return value


def ticked(card: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """`value` with the titles listed under a choice set's id replaced by what the card submits."""
    return {
        key: teams.pick(card, key, *titles) if isinstance(titles, list) else titles
        for key, titles in value.items()
    }


async def items(bot: BotUnderTest) -> list[ActionItem]:
    async with bot.services.database.unit_of_work() as session:
        return list((await session.scalars(select(ActionItem).order_by(ActionItem.id))).all())


async def run_minutes(
    bot: BotUnderTest,
    *,
    conversation: teams.Conversation = teams.AARHUS_GENERAL,
    who: teams.User = teams.ALICE,
    setup: dict[str, Any] | None = None,
    recap: dict[str, str] | None = None,
    tour: dict[str, str] | None = None,
    agreements: str = "Energy Agency: shares the consumption data monthly\nEveryone meets again in two weeks",
    actions: str | None = None,
    closing: dict[str, Any] | None = None,
) -> Reply:
    """Walks the whole dialog as a person would, asserting each question arrives."""
    reply = await bot.say("minutes", conversation=conversation, who=who)
    assert reply.cards, reply.text
    reply = await bot.submit(
        ticked(reply.cards[0], setup or setup_value()), conversation=conversation, who=who
    )
    if reply.cards and "Recap" in card_text(reply.cards[0]):
        reply = await bot.submit(
            {"verb": "dialog", "step": "recap", **(recap or {})}, conversation=conversation, who=who
        )
    if reply.cards and (
        "Tour de table" in card_text(reply.cards[0]) or "progress" in card_text(reply.cards[0])
    ):
        reply = await bot.submit(
            {"verb": "dialog", "step": "tour", **(tour or {})}, conversation=conversation, who=who
        )
    assert "Agreements" in reply.text, reply.text
    reply = await bot.say(agreements, conversation=conversation, who=who)
    assert "Actions" in reply.text, reply.text
    actions = (
        actions
        if actions is not None
        else (
            f"Share the EV charging data | Energy Agency | {later(14)}\nDraft the port pilot | Bob Rep | {later(30)}"
        )
    )
    reply = await bot.say(actions, conversation=conversation, who=who)
    assert reply.cards, reply.text
    assert "Next steps" in card_text(reply.cards[0])
    return await bot.submit(
        closing
        or {
            "verb": "dialog",
            "step": "closing",
            "next_steps": "Invite the utilities",
            "next_call": later(14),
        },
        conversation=conversation,
        who=who,
    )
