"""Every click and every `<command> <id>` is checked where it comes from (issue 16).

Each test is an attack or a careless click, sent through /api/messages the way Teams sends it:
a button's data copied into another conversation, ids of someone else's objects, ids that do
not fit the database. A refusal says why and changes nothing.

Protocol tests, not emulator scenarios: the Teams emulator has one user (Alex Wilber) and one
tenant, so a second person, another team's channel or a forged click cannot be shown there.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import ActionItem, AgendaProposal, AgendaResponse, PollBallot
from tests.harness import teams
from tests.harness.agenda import build_agenda
from tests.harness.bot import BotUnderTest, Reply
from tests.harness.cards import card_text
from tests.harness.minutes import run_minutes
from tests.harness.remind import series_row, set_up

GREEN = teams.GREEN_TAG
TOURISM = teams.TOURISM_TAG


async def count(bot: BotUnderTest, model: Any) -> int:
    async with bot.services.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def agenda_id(bot: BotUnderTest) -> int:
    await build_agenda(bot)
    return 1


def answer(reply: Reply) -> str:
    """What the clicker is told: the invoke's message, or the card it gets back."""
    if isinstance(reply.body, dict) and isinstance(reply.body.get("value"), str):
        return str(reply.body["value"])
    return reply.text


@pytest.mark.parametrize(
    ("conversation", "who"),
    [
        (TOURISM, teams.PAULO),  # another TAG's channel, its own mentor
        (teams.personal(teams.OSCAR), teams.OSCAR),  # a stranger's 1:1 chat
        (teams.AARHUS_GENERAL, teams.ALICE),  # a city channel whose rep is not in the TAG role
    ],
)
async def test_agenda_buttons_copied_into_another_conversation_change_nothing(
    rostered_bot: BotUnderTest, conversation: teams.Conversation, who: teams.User
) -> None:
    bot = rostered_bot
    agenda = await agenda_id(bot)
    reply = await bot.execute(
        "agenda.rsvp", {"agenda_id": agenda, "attending": True}, conversation=conversation, who=who
    )
    assert f"Agenda #{agenda} belongs to another conversation" in answer(reply)
    reply = await bot.execute(
        "agenda.propose",
        {"agenda_id": agenda, "title": "[Win a prize](http://evil.example)", "minutes": 5},
        conversation=conversation,
        who=who,
    )
    assert "belongs to another conversation" in answer(reply)
    # Nothing of the agenda (the cities' open commitments) went back to the stranger.
    assert "Green Buildings" not in answer(reply)
    assert await count(bot, AgendaResponse) == 0
    assert await count(bot, AgendaProposal) == 0


async def test_a_tag_member_still_answers_the_agenda_from_a_11_chat(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    agenda = await agenda_id(bot)
    reply = await bot.execute(
        "agenda.rsvp",
        {"agenda_id": agenda, "attending": True},
        conversation=teams.personal(teams.LENA),
        who=teams.LENA,
    )
    assert reply.body["type"] == "application/vnd.microsoft.card.adaptive"  # the updated card
    assert await count(bot, AgendaResponse) == 1


async def test_deciding_a_proposal_of_another_agenda_is_refused(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    agenda = await agenda_id(bot)
    reply = await bot.execute(
        "agenda.decide",
        {"agenda_id": agenda, "proposal_id": 1, "accept": True},
        conversation=TOURISM,
        who=teams.PAULO,
    )
    assert "belongs to another conversation" in answer(reply)


@pytest.mark.parametrize(
    "data",
    [
        {"agenda_id": 2**31, "attending": True},  # past the database's INTEGER
        {"agenda_id": "9" * 30, "attending": True},
        {"agenda_id": "²", "attending": True},
        {"agenda_id": 1.5, "attending": True},
        {"agenda_id": True, "attending": True},
        {"agenda_id": 1, "attending": "yes"},
        {"agenda_id": 1},
    ],
)
async def test_malformed_button_data_gets_a_clear_refusal(
    rostered_bot: BotUnderTest, data: dict[str, Any]
) -> None:
    bot = rostered_bot
    await agenda_id(bot)
    reply = await bot.execute("agenda.rsvp", data, conversation=GREEN, who=teams.MARTA)
    assert reply.status == 200
    assert "That button" in answer(reply)
    assert "went wrong" not in answer(reply)
    assert await count(bot, AgendaResponse) == 0


async def test_a_city_action_cannot_be_changed_from_a_tag_channel_or_by_a_mentor_in_11(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    async with bot.services.database.sessions() as session:
        item = await session.scalar(select(ActionItem).order_by(ActionItem.id))
    assert item is not None
    assert item.city_id is not None
    for conversation, who in ((GREEN, teams.MARTA), (teams.personal(teams.MARTA), teams.MARTA)):
        reply = await bot.execute(
            "actions.set",
            {"action_id": item.id, "status": "dropped"},
            conversation=conversation,
            who=who,
        )
        assert f"Action #{item.id} belongs to another conversation" in answer(reply)
    async with bot.services.database.sessions() as session:
        assert (await session.get(ActionItem, item.id)).status == "open"  # type: ignore[union-attr]
    reply = await bot.execute(
        "actions.set",
        {"action_id": item.id, "status": "done"},
        conversation=teams.personal(teams.ALICE),
        who=teams.ALICE,
    )
    assert reply.body["type"] == "application/vnd.microsoft.card.adaptive"
    async with bot.services.database.sessions() as session:
        assert (await session.get(ActionItem, item.id)).status == "done"  # type: ignore[union-attr]


async def test_a_tag_channel_shows_no_citys_minutes_or_ecosystem_actions(
    rostered_bot: BotUnderTest,
) -> None:
    """DOMAIN.md C5: a city's minutes and actions stay in its channel and with its reps."""
    bot = rostered_bot
    await run_minutes(bot)
    reply = await bot.say("minutes list", conversation=GREEN, who=teams.MARTA)
    assert not reply.cards
    assert "city's own channel" in reply.text
    reply = await bot.say("minutes show 1", conversation=GREEN, who=teams.MARTA)
    assert "Minutes #1 belongs to another conversation" in reply.text
    reply = await bot.execute(
        "minutes.export", {"minutes_id": 1, "format": "md"}, conversation=GREEN, who=teams.MARTA
    )
    assert "belongs to another conversation" in answer(reply)
    reply = await bot.say("actions", conversation=GREEN, who=teams.MARTA)
    assert "EV charging" not in card_text(reply.cards[0])
    # A mentor's 1:1 chat does not reach the city's minutes either; its rep's does.
    reply = await bot.say(
        "minutes show 1", conversation=teams.personal(teams.MARTA), who=teams.MARTA
    )
    assert "belongs to another conversation" in reply.text
    reply = await bot.say("minutes show 1", conversation=teams.personal(teams.BOB), who=teams.BOB)
    assert "Minutes #1" in card_text(reply.cards[0])


async def test_a_vote_with_an_id_too_large_for_the_database_is_refused(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.execute("poll.vote", {"poll_id": 2**40, "choice": "0"})
    assert "does not say which poll" in answer(reply)
    assert await count(bot, PollBallot) == 0


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("poll results 99999999999999", "Which poll?"),
        ("poll close ²", "Which poll?"),
        ("minutes show 1e309", "Which minutes?"),
        ("minutes export ٣", "Which minutes?"),
        ("summary edit 4294967296", "Which summary?"),
        ("remind pause 99999999999999999999", "Which series?"),
    ],
)
async def test_ids_typed_wrong_get_a_specific_reply(
    rostered_bot: BotUnderTest, command: str, expected: str
) -> None:
    bot = rostered_bot
    conversation, who = (
        (GREEN, teams.MARTA)
        if command.startswith("summary")
        else (teams.AARHUS_GENERAL, teams.ALICE)
    )
    reply = await bot.say(command, conversation=conversation, who=who)
    assert expected in reply.text
    assert "went wrong" not in reply.text


async def test_a_summary_of_another_tag_cannot_be_edited_from_here(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say("summary", conversation=GREEN, who=teams.MARTA)
    assert reply.cards
    await bot.say("cancel", conversation=GREEN, who=teams.MARTA)
    from tests.harness.agenda import post_summary

    await post_summary(bot, "Aarhus | Pool the tenders | 2027-01-15", who=teams.MARTA)
    reply = await bot.say("summary edit 1", conversation=TOURISM, who=teams.PAULO)
    assert "Summary #1 belongs to another conversation" in reply.text


async def test_a_rep_cannot_take_over_a_linked_tag_or_city_channel(
    rostered_bot: BotUnderTest,
) -> None:
    """Alice (Aarhus rep) is a member of the TAG channel and of Braga's channel too."""
    bot = rostered_bot
    reply = await bot.say("link city Aarhus", conversation=GREEN, who=teams.ALICE)
    assert "linked to the TAG Green Buildings" in reply.text
    reply = await bot.say("link city Aarhus", conversation=teams.BRAGA_GENERAL, who=teams.ALICE)
    assert "linked to the city Braga" in reply.text
    reply = await bot.say("link", conversation=teams.BRAGA_GENERAL, who=teams.ALICE)
    assert "linked to the city Braga" in reply.text
    reply = await bot.say("link", conversation=GREEN, who=teams.ALICE)
    assert "linked to the TAG Green Buildings" in reply.text
    # Braga's minutes stay Braga's: nothing of Aarhus shows in its channel.
    await run_minutes(bot)
    reply = await bot.say("minutes list", conversation=teams.BRAGA_GENERAL, who=teams.BEATRIZ)
    assert "Aarhus" not in reply.text + "".join(card_text(card) for card in reply.cards)


async def test_relinking_says_what_the_channel_was_linked_to(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    reply = await bot.say("link tag Green Buildings", conversation=GREEN, who=teams.MARTA)
    assert "already the TAG channel of Green Buildings" in reply.text
    reply = await bot.say("link city Aarhus", conversation=GREEN, who=teams.LENA)
    assert "Only Aarhus's city representatives" in reply.text  # Lena has no Aarhus role
    reply = await bot.say("link tag Tourism Data", conversation=GREEN, who=teams.MARTA)
    assert "Only the mentor and experts of Tourism Data" in reply.text
    reply = await bot.say("link tag Tourism Data", conversation=GREEN, who=teams.ADA)
    assert "now the TAG channel of Tourism Data" in reply.text
    assert "it was linked to the TAG Green Buildings" in reply.text


# --- found by an attacker's review of the checks above ---------------------------------------


async def test_an_admin_shows_nothing_of_another_conversation_in_a_shared_one(
    rostered_bot: BotUnderTest,
) -> None:
    """What the bot answers in a channel everyone there reads: an admin's role opens 1:1 only."""
    bot = rostered_bot
    await run_minutes(bot)
    series = await set_up(bot)
    braga = teams.BRAGA_GENERAL
    reply = await bot.say("minutes show 1", conversation=braga, who=teams.ADA)
    assert "Minutes #1 belongs to another conversation" in reply.text
    assert not reply.cards
    reply = await bot.execute(
        "minutes.export", {"minutes_id": 1, "format": "md"}, conversation=braga, who=teams.ADA
    )
    assert "belongs to another conversation" in answer(reply)
    reply = await bot.say(f"remind delete {series}", conversation=braga, who=teams.ADA)
    assert f"Series #{series} belongs to another conversation" in reply.text
    assert (await series_row(bot, series)).id == series  # still there
    reply = await bot.say("minutes show 1", conversation=teams.personal(teams.ADA), who=teams.ADA)
    assert "Minutes #1" in card_text(reply.cards[0])


async def test_a_poll_creator_reads_results_in_11_but_does_not_post_them_elsewhere(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say(
        "poll Lunch? | Pizza | Salad", conversation=teams.BRAGA_GENERAL, who=teams.BEATRIZ
    )
    assert reply.cards, reply.text
    reply = await bot.say("poll results 1", conversation=GREEN, who=teams.BEATRIZ)
    assert "Poll #1 belongs to another conversation" in reply.text
    reply = await bot.say(
        "poll results 1", conversation=teams.personal(teams.BEATRIZ), who=teams.BEATRIZ
    )
    assert "belongs to another conversation" not in reply.text


async def test_my_actions_in_a_tag_channel_show_no_citys_actions(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)  # Bob owns "Draft the port pilot" in Aarhus
    reply = await bot.say("actions mine", conversation=GREEN, who=teams.BOB)
    assert "port pilot" not in card_text(reply.cards[0])
    reply = await bot.say("actions mine", conversation=teams.personal(teams.BOB), who=teams.BOB)
    assert "port pilot" in card_text(reply.cards[0])


async def test_minutes_are_not_taken_in_a_tag_channel(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    reply = await bot.say("minutes", conversation=GREEN, who=teams.ALICE)
    assert "city's own channel" in reply.text
    assert not reply.cards


async def test_only_a_team_channel_can_be_linked(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    reply = await bot.say(
        "link city Aarhus", conversation=teams.personal(teams.ALICE), who=teams.ALICE
    )
    assert "Only a team channel" in reply.text


async def test_relinking_stops_the_series_about_what_the_channel_was(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    series = await set_up(bot)
    reply = await bot.say("link tag Green Buildings", who=teams.ADA)
    assert "it was linked to the city Aarhus" in reply.text
    assert "1 reminder series about Aarhus are stopped" in reply.text
    assert (await series_row(bot, series)).disabled_reason is not None
    reply = await bot.say(f"remind resume {series}", who=teams.ADA)
    assert "stays stopped" in reply.text
    assert (await series_row(bot, series)).disabled_reason is not None
