"""Quick polls as a test drives them: create one, vote, wait for the card to settle, read it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import PollBallot
from tests.harness import teams
from tests.harness.bot import BotUnderTest, Reply
from tests.harness.cards import card_text

ONE_LINER = "Which topic first? | Retrofitting | Charging points | Heat pumps"


async def create(bot: BotUnderTest, text: str = ONE_LINER, **kwargs: Any) -> tuple[int, str]:
    reply = await bot.say(f"poll {text}", **kwargs)
    assert reply.status in (200, 201), reply.body
    assert len(reply.cards) == 1, reply.texts
    card_call = next(call for call in reply.calls if call.cards)
    poll_id = int(card_text(card_call.card).split("Poll #", 1)[1].split(" ", 1)[0])
    return poll_id, str(card_call.returned_id)


async def ballots(bot: BotUnderTest, poll_id: int) -> list[PollBallot]:
    async with bot.services.database.unit_of_work() as session:
        return list(
            (await session.scalars(select(PollBallot).where(PollBallot.poll_id == poll_id))).all()
        )


async def vote(
    bot: BotUnderTest, poll_id: int, choice: str, who: teams.User = teams.ALICE, **kwargs: Any
) -> Reply:
    return await bot.execute("poll.vote", {"poll_id": poll_id, "choice": choice}, who=who, **kwargs)


async def settle(bot: BotUnderTest) -> None:
    """Wait until the coalesced card updates have all been sent (queued ones included)."""
    await bot.services.card_sync("poll").coalescer.wait_idle()
    await bot.services.require_outbox().wait_empty()


def tally_in(card: dict[str, Any]) -> list[str]:
    """The "count · percent%" cells of a poll card, in option order."""
    return [line for line in card_text(card).splitlines() if " · " in line and line.endswith("%")]
