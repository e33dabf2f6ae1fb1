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


def meeting_value(card: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The meeting card's submit: `fields` by input id; an owner (`x<n>_owner`) given by the
    title the card shows, as a person picks it."""
    value: dict[str, Any] = {"verb": "dialog", "step": "meeting"}
    for key, given in fields.items():
        value[key] = teams.pick(card, key, given) if key.endswith("_owner") and given else given
    return value


def action_rows(*rows: tuple[str, str, str]) -> dict[str, Any]:
    """The meeting card's action rows, for `meeting_value`: (what, owner as shown, due)."""
    fields: dict[str, Any] = {}
    for index, (what, owner, due) in enumerate(rows):
        fields.update({f"x{index}_what": what, f"x{index}_owner": owner, f"x{index}_due": due})
    return fields


DEFAULT_AGREEMENTS = (
    "Energy Agency: shares the consumption data monthly\nEveryone meets again in two weeks"
)


async def run_minutes(
    bot: BotUnderTest,
    *,
    conversation: teams.Conversation = teams.AARHUS_GENERAL,
    who: teams.User = teams.ALICE,
    setup: dict[str, Any] | None = None,
    recap: dict[str, str] | None = None,
    tour: dict[str, str] | None = None,
    agreements: str = DEFAULT_AGREEMENTS,
    actions: str | None = None,
    rows: tuple[tuple[str, str, str], ...] | None = None,
    closing: dict[str, Any] | None = None,
) -> Reply:
    """Walks the whole dialog as a person would, clicking card after card: `agreements` typed
    in the card's agreements field, the actions in its rows (`rows`: what, owner as shown,
    due) or, given as `actions`, typed in its field for more (`what | owner | due` lines)."""
    reply = await bot.say("minutes", conversation=conversation, who=who)
    assert reply.cards, reply.text
    reply = await bot.submit(
        ticked(reply.cards[0], setup or setup_value()), conversation=conversation, who=who
    )
    if reply.cards and "Recap" in card_text(reply.cards[0]):
        reply = await bot.submit(
            {"verb": "dialog", "step": "recap", **(recap or {})}, conversation=conversation, who=who
        )
    assert reply.cards, reply.text
    card = reply.cards[-1]
    assert "Actions" in card_text(card), card_text(card)
    if rows is None and actions is None:
        rows = (
            ("Share the EV charging data", "Energy Agency", later(14)),
            ("Draft the port pilot", "Bob Rep", later(30)),
        )
    fields = {**(tour or {}), "agreements": agreements, "more_actions": actions or ""}
    fields.update(action_rows(*(rows or ())))
    reply = await bot.submit(meeting_value(card, **fields), conversation=conversation, who=who)
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


def as_shown(card: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What Teams submits from `card` when the person changes only `changes` (input ids; an
    owner `x<n>_owner` by the title shown): every other input as the card shows it."""
    value: dict[str, Any] = {}
    pending: list[Any] = [card.get("body", [])]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and "id" in node:
                value[node["id"]] = node.get("value", "")
            pending.extend(v for k, v in node.items() if k in ("items", "columns", "body"))
    for action in card.get("actions", []):
        if action.get("type") == "Action.Submit":
            value.update(action["data"])
    for key, given in changes.items():
        value[key] = teams.pick(card, key, given) if key.endswith("_owner") and given else given
    return value


async def settle(bot: BotUnderTest) -> None:
    """Wait until the posted minutes cards are up to date (queued updates included)."""
    await bot.services.card_sync("minutes").coalescer.wait_idle()
    await bot.services.require_outbox().wait_empty()


async def run_braga_minutes(bot: BotUnderTest) -> None:
    """Braga's first minutes, by its rep in its channel: no agreement, one action, "Braga task"
    (another city's item, which Aarhus must never see)."""
    await run_minutes(
        bot,
        conversation=teams.BRAGA_GENERAL,
        who=teams.BEATRIZ,
        setup=setup_value(zone=LISBON, reps=["Beatriz Rep"]),
        agreements="none",
        actions=f"Braga task | city | {later(3)}",
    )
