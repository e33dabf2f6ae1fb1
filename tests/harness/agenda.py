"""A TAG's session cycle as its mentor drives it: the agenda's date and time (next week by the
app's clock), building and posting the agenda, posting the summary."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from tests.harness import clock, teams
from tests.harness.bot import BotUnderTest, Reply
from tests.harness.cards import card_text

TAG = teams.GREEN_TAG
BRUSSELS = ZoneInfo("Europe/Brussels")


def next_week() -> str:
    return clock.in_days(7, BRUSSELS)


def when(**overrides: Any) -> dict[str, Any]:
    value = {
        "verb": "dialog",
        "step": "when",
        "session": 1,
        "day": next_week(),
        "time": "10:00",
        "timezone": "Europe/Brussels",
        "length": 60,
    }
    value.update(overrides)
    return value


def unchanged(items: int) -> dict[str, Any]:
    return {"verb": "dialog", "step": "edit", **{f"order{i}": i + 1 for i in range(items)}}


async def build_agenda(
    bot: BotUnderTest,
    *,
    who: teams.User = teams.MARTA,
    conversation: teams.Conversation = TAG,
    edits: dict[str, Any] | None = None,
) -> Reply:
    reply = await bot.say("agenda", conversation=conversation, who=who)
    assert reply.cards, reply.text
    reply = await bot.submit(when(), conversation=conversation, who=who)
    assert "Build the agenda" in card_text(reply.cards[0]), reply.text
    form = {**unchanged(6), **(edits or {}), "do": "post"}
    return await bot.submit(form, conversation=conversation, who=who)


async def post_summary(
    bot: BotUnderTest,
    commitments: str,
    *,
    who: teams.User = teams.MARTA,
    conversation: teams.Conversation = TAG,
    locale: str | None = None,
) -> Reply:
    reply = await bot.say("summary", conversation=conversation, who=who)
    assert reply.cards, reply.text
    form = {
        "verb": "dialog",
        "step": "summary",
        "session": 1,
        "key_points": "Retrofit financing",
        "takeaway0": "Pool the tenders",
        "takeaway1": "Share energy data",
    }
    reply = await bot.submit(form, conversation=conversation, who=who)
    assert reply.cards, reply.text
    assert "Commitments" in card_text(reply.cards[0])
    return await bot.submit(
        commitments_answer(commitments), conversation=conversation, who=who, locale=locale
    )


def commitments_answer(lines: str) -> dict[str, Any]:
    """The commitments card's Save (or, for "none", its No commitments button)."""
    if lines == "none":
        return {"verb": "dialog", "step": "commitments", "none": True}
    return {"verb": "dialog", "step": "commitments", "commitments": lines}
