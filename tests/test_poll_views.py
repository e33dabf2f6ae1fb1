"""Each person's own view of a poll card (Universal Actions `refresh` with `userIds`), through
/api/messages as Teams sends the refresh invokes. The Teams emulator shows no refresh (it
never sends the automatic invoke), so these views are tested here only.

The shared message is the view of someone with no special rights; the refresh lists the
creator and the latest voters (60 at most), whose Teams asks for their own view as soon as they
open it (trigger "automatic"); anyone else gets it with Teams' manual refresh."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Poll
from tests.harness import teams
from tests.harness.bot import BotUnderTest, Reply
from tests.harness.cards import card_text
from tests.harness.polls import ONE_LINER, create, settle, tally_in, vote

CARD = "application/vnd.microsoft.card.adaptive"


async def refresh(
    bot: BotUnderTest,
    poll_id: int | str,
    who: teams.User,
    *,
    trigger: str = "automatic",
    conversation: teams.Conversation = teams.AARHUS_GENERAL,
    card_id: str | None = None,
) -> Reply:
    """The invoke Teams sends for `who`'s own view of the card (the refresh's action)."""
    activity = teams.execute(
        "poll.refresh",
        {"verb": "poll.refresh", "poll_id": poll_id},
        service_url=bot.connector.url,
        conversation=conversation,
        who=who,
        reply_to_id=card_id,
    )
    activity["value"]["trigger"] = trigger
    return await bot.post(activity)


def answered_card(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    assert reply.body["type"] == CARD, reply.body
    card: dict[str, Any] = reply.body["value"]
    return card


def buttons(card: dict[str, Any]) -> list[str]:
    return [action["title"] for action in card.get("actions", [])]


def choice_value(card: dict[str, Any]) -> str | None:
    choice_set = next((e for e in card["body"] if e.get("type") == "Input.ChoiceSet"), None)
    assert choice_set is not None, "the card has no choices"
    value = choice_set.get("value")
    return str(value) if value is not None else None


async def shared_now(bot: BotUnderTest) -> dict[str, Any]:
    """The shared message as Teams shows it now: the last update (settled), else the post."""
    await settle(bot)
    updates = bot.connector.updates()
    if updates:
        return updates[-1].card
    return next(call.card for call in reversed(bot.connector.calls) if call.cards)


async def card_version(bot: BotUnderTest, poll_id: int) -> int:
    async with bot.services.database.unit_of_work() as session:
        version = await session.scalar(select(Poll.card_version).where(Poll.id == poll_id))
    assert version is not None
    return version


# --- the shared message ---------------------------------------------------------------------


async def test_the_posted_card_is_everyones_view_and_refreshes_for_its_creator(
    bot: BotUnderTest,
) -> None:
    reply = await bot.say(f"poll {ONE_LINER}", who=teams.ALICE)
    (card,) = reply.cards
    assert buttons(card) == ["Vote"]  # no Close, no Show voters: those are the creator's
    assert "You voted" not in card_text(card)
    assert card["refresh"]["action"]["type"] == "Action.Execute"
    assert card["refresh"]["action"]["verb"] == "poll.refresh"
    poll_id = int(card_text(card).split("Poll #", 1)[1].split(" ", 1)[0])
    assert card["refresh"]["action"]["data"]["poll_id"] == poll_id
    assert card["refresh"]["userIds"] == [teams.ALICE.id]


async def test_the_shared_card_refreshes_for_the_creator_then_the_latest_voters(
    bot: BotUnderTest,
) -> None:
    poll_id, _ = await create(bot, who=teams.ALICE)
    await vote(bot, poll_id, "0", who=teams.BOB)
    await vote(bot, poll_id, "1", who=teams.MARTA)
    await vote(bot, poll_id, "2", who=teams.ALICE)  # the creator is listed once, first
    card = await shared_now(bot)
    assert card["refresh"]["userIds"] == [teams.ALICE.id, teams.MARTA.id, teams.BOB.id]
    assert buttons(card) == ["Vote"]
    assert choice_value(card) is None  # nobody's ballot on everyone's card
    assert "You voted" not in card_text(card)
    assert tally_in(card) == ["1 · 33%", "1 · 33%", "1 · 33%"]


async def test_with_70_voters_the_refresh_lists_the_creator_and_the_59_who_voted_last(
    bot: BotUnderTest,
) -> None:
    poll_id, _ = await create(bot, who=teams.ALICE)
    voters = [teams.user(f"Voter {n}") for n in range(70)]
    for n, voter in enumerate(voters):
        await vote(bot, poll_id, str(n % 3), who=voter)
    listed = (await shared_now(bot))["refresh"]["userIds"]
    assert len(listed) == 60
    assert listed == [teams.ALICE.id] + [v.id for v in reversed(voters[-59:])]
    # The first voter changes their vote: they are among the latest again, the 60th drops out.
    await vote(bot, poll_id, "1", who=voters[0])
    listed = (await shared_now(bot))["refresh"]["userIds"]
    assert listed[:2] == [teams.ALICE.id, voters[0].id]
    assert voters[11].id not in listed
    assert len(listed) == 60
    # Everyone left out still gets their own view with Teams' manual refresh.
    own = answered_card(await refresh(bot, poll_id, voters[11], trigger="manual"))
    assert "You voted: Heat pumps" in card_text(own)


# --- each person's own view -----------------------------------------------------------------


@pytest.mark.parametrize("trigger", ["automatic", "manual"])
async def test_a_voter_sees_their_choice_and_can_change_it(bot: BotUnderTest, trigger: str) -> None:
    poll_id, card_id = await create(bot, ONE_LINER + " --multi", who=teams.ALICE)
    await vote(bot, poll_id, "0,2", who=teams.BOB)
    card = answered_card(await refresh(bot, poll_id, teams.BOB, trigger=trigger, card_id=card_id))
    assert "You voted: Retrofitting, Heat pumps" in card_text(card)
    assert choice_value(card) == "0,2"
    assert buttons(card) == ["Change vote"]
    assert card["refresh"]["userIds"] == [teams.BOB.id]  # their view refreshes for them alone


async def test_the_creator_sees_close_and_show_voters(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot, who=teams.ALICE)
    await vote(bot, poll_id, "1", who=teams.BOB)
    card = answered_card(await refresh(bot, poll_id, teams.ALICE))
    assert buttons(card) == ["Vote", "Show voters", "Close poll"]
    assert "You voted" not in card_text(card)  # she has not voted
    await vote(bot, poll_id, "2", who=teams.ALICE)
    card = answered_card(await refresh(bot, poll_id, teams.ALICE))
    assert buttons(card) == ["Change vote", "Show voters", "Close poll"]
    assert "You voted: Heat pumps" in card_text(card)
    assert choice_value(card) == "2"
    voters = await bot.execute("poll.voters", {"poll_id": poll_id}, who=teams.ALICE)
    assert "Bob Rep" in card_text(answered_card(voters))


async def test_a_stranger_sees_the_shared_view(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot, who=teams.ALICE)
    await vote(bot, poll_id, "1", who=teams.BOB)
    shared = await shared_now(bot)
    card = answered_card(await refresh(bot, poll_id, teams.OSCAR))
    assert buttons(card) == ["Vote"]
    assert choice_value(card) is None
    assert card["body"] == shared["body"]
    assert card["refresh"]["userIds"] == [teams.OSCAR.id]


async def test_a_closed_poll_shows_final_results_and_each_voter_what_they_chose(
    bot: BotUnderTest,
) -> None:
    poll_id, _ = await create(bot, who=teams.ALICE)
    await vote(bot, poll_id, "1", who=teams.BOB)
    reply = await bot.execute("poll.close", {"poll_id": poll_id}, who=teams.ALICE)
    closing = answered_card(reply)
    assert "Closed — final results" in card_text(closing)
    assert buttons(closing) == ["Show voters"]  # no Close on a closed poll
    shared = await shared_now(bot)
    assert "Closed — final results" in card_text(shared)
    assert buttons(shared) == []
    bob = answered_card(await refresh(bot, poll_id, teams.BOB))
    assert "Closed — final results" in card_text(bob)
    assert "You voted: Charging points" in card_text(bob)
    assert buttons(bob) == []
    assert not any(e.get("type") == "Input.ChoiceSet" for e in bob["body"])
    oscar = answered_card(await refresh(bot, poll_id, teams.OSCAR))
    assert "You voted" not in card_text(oscar)
    assert oscar["body"] == shared["body"]
    assert buttons(answered_card(await refresh(bot, poll_id, teams.ALICE))) == ["Show voters"]


async def test_an_anonymous_poll_shows_each_person_their_own_choice_and_nobody_the_voters(
    bot: BotUnderTest,
) -> None:
    poll_id, _ = await create(bot, ONE_LINER + " --anonymous", who=teams.MARTA)
    await vote(bot, poll_id, "0", who=teams.ALICE)
    await vote(bot, poll_id, "2", who=teams.BOB)
    shared = await shared_now(bot)
    # Anonymous ballots are keyed by a keyed hash, not a Teams id: only the creator is listed.
    assert shared["refresh"]["userIds"] == [teams.MARTA.id]
    alice = answered_card(await refresh(bot, poll_id, teams.ALICE, trigger="manual"))
    assert "You voted: Retrofitting" in card_text(alice)
    assert choice_value(alice) == "0"
    assert buttons(alice) == ["Change vote"]
    creator = answered_card(await refresh(bot, poll_id, teams.MARTA))
    assert buttons(creator) == ["Vote", "Close poll"]  # no voters list, the creator included
    assert "You voted" not in card_text(creator)
    reply = await bot.execute("poll.voters", {"poll_id": poll_id}, who=teams.MARTA)
    assert "anonymous" in reply.body["value"]
    for card in (shared, alice, creator):
        shown = card_text(card)
        assert "Alice" not in shown
        assert "Bob" not in shown
    for card in (shared, creator):
        assert teams.ALICE.id not in str(card)
        assert teams.BOB.id not in str(card)
    assert alice["refresh"]["userIds"] == [teams.ALICE.id]  # her own view names her alone


# --- clicks answer with the clicker's view; the shared message stays everyone's -------------


async def test_a_vote_answers_the_voter_with_their_view_and_updates_the_shared_card(
    bot: BotUnderTest,
) -> None:
    poll_id, card_id = await create(bot, who=teams.ALICE)
    bot.connector.clear()
    bob = answered_card(await vote(bot, poll_id, "1", who=teams.BOB))
    assert "Your vote is counted: Charging points" in card_text(bob)
    assert choice_value(bob) == "1"
    assert buttons(bob) == ["Change vote"]
    alice = answered_card(await vote(bot, poll_id, "0", who=teams.ALICE))
    assert buttons(alice) == ["Change vote", "Show voters", "Close poll"]
    await settle(bot)
    updates = bot.connector.updates()
    assert updates
    assert all(u.activity_id == card_id for u in updates)
    shared = updates[-1].card
    assert buttons(shared) == ["Vote"]
    assert "Your vote" not in card_text(shared)
    assert shared["refresh"]["userIds"] == [teams.ALICE.id, teams.BOB.id]


async def test_others_still_cannot_close_the_poll(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot, who=teams.ALICE)
    await vote(bot, poll_id, "1", who=teams.BOB)
    reply = await bot.execute("poll.close", {"poll_id": poll_id}, who=teams.BOB)
    assert "only Alice Rep" in reply.body["value"]
    assert buttons(answered_card(await refresh(bot, poll_id, teams.BOB))) == ["Change vote"]


# --- an automatic refresh only reads --------------------------------------------------------


async def test_an_automatic_refresh_sends_nothing_and_updates_nothing(bot: BotUnderTest) -> None:
    poll_id, card_id = await create(bot, who=teams.ALICE)
    await vote(bot, poll_id, "1", who=teams.BOB)
    await settle(bot)
    version = await card_version(bot, poll_id)
    bot.connector.clear()
    for who in (teams.ALICE, teams.BOB, teams.OSCAR, teams.ALICE):
        reply = await refresh(bot, poll_id, who, card_id=card_id)
        answered_card(reply)
        assert reply.calls == []
    await settle(bot)
    assert bot.connector.calls == []  # no update of the shared message, no message, no lookup
    assert await card_version(bot, poll_id) == version


@pytest.mark.parametrize(
    ("poll_id", "conversation", "message"),
    [
        (999, teams.AARHUS_GENERAL, "I don't know poll #999"),
        ("abc", teams.AARHUS_GENERAL, "does not say which poll"),
        ("{id}", teams.GREEN_TAG, "belongs to another conversation"),
        ("{id}", teams.personal(teams.BOB), "belongs to another conversation"),
    ],
)
async def test_a_refresh_naming_a_forged_or_foreign_poll_is_refused(
    bot: BotUnderTest, poll_id: int | str, conversation: teams.Conversation, message: str
) -> None:
    created, _ = await create(bot, who=teams.ALICE)
    await vote(bot, created, "1", who=teams.BOB)
    await settle(bot)
    bot.connector.clear()
    named = str(created) if poll_id == "{id}" else poll_id
    reply = await refresh(bot, named, teams.BOB, conversation=conversation)
    assert reply.status == 200
    assert reply.body["type"] == "application/vnd.microsoft.activity.message"
    assert message in reply.body["value"]
    assert "Charging points" not in reply.body["value"]
    assert bot.connector.calls == []
