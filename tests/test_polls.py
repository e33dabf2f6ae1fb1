"""Quick polls through /api/messages, the way Teams sends messages and card clicks."""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from app import create_app
from config import Settings
from storage.db import Database
from storage.models import Channel, Poll
from tests.harness import clock, teams
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text
from tests.harness.connector import FakeConnector
from tests.harness.files import delivered
from tests.harness.polls import ONE_LINER, ballots, create, settle, tally_in, vote


async def poll_row(bot: BotUnderTest, poll_id: int) -> Poll:
    async with bot.services.database.unit_of_work() as session:
        poll = await session.get(Poll, poll_id)
        assert poll is not None
        return poll


# --- creating ---------------------------------------------------------------------------


async def test_one_liner_posts_a_poll_card(bot: BotUnderTest) -> None:
    reply = await bot.say(f"poll {ONE_LINER} --multi --closes in 2 days")
    (card,) = reply.cards
    assert card["version"] == "1.5"
    shown = card_text(card)
    assert "Which topic first?" in shown
    choice_set = next(e for e in card["body"] if e.get("type") == "Input.ChoiceSet")
    assert [c["title"] for c in choice_set["choices"]] == [
        "Retrofitting",
        "Charging points",
        "Heat pumps",
    ]
    assert choice_set["isMultiSelect"] is True
    assert "Closes {{DATE(" in shown
    assert "0 voters" in shown
    actions = {a["title"]: a for a in card["actions"]}
    assert actions["Vote"]["type"] == "Action.Execute"
    assert actions["Vote"]["fallback"]["type"] == "Action.Submit"
    assert actions["Vote"]["verb"] == "poll.vote"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Which? | A | a", "appears twice"),
        ("Which? | A | | B", "empty"),
        ("Which? | " + " | ".join(f"o{i}" for i in range(11)), "at most 10"),
        ("Which? | A | B --closes yesterday", "Closing time"),
    ],
)
async def test_bad_polls_get_a_clear_reply_and_nothing_is_posted(
    bot: BotUnderTest, text: str, message: str
) -> None:
    reply = await bot.say(f"poll {text}")
    assert message in reply.text
    assert reply.cards == []
    async with bot.services.database.unit_of_work() as session:
        assert (await session.scalars(select(Poll))).all() == []


async def test_the_same_create_delivered_twice_posts_one_poll(bot: BotUnderTest) -> None:
    activity = teams.message(
        f"poll {ONE_LINER}", service_url=bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    first = await bot.post(activity)
    second = await bot.post(activity)
    assert len(first.cards) == 1
    assert second.cards == []
    async with bot.services.database.unit_of_work() as session:
        assert len((await session.scalars(select(Poll))).all()) == 1


async def test_the_dialog_creates_a_poll_step_by_step(bot: BotUnderTest) -> None:
    chat = teams.personal(teams.ALICE)
    reply = await bot.say("poll", conversation=chat)
    assert "question" in reply.text
    reply = await bot.say("", conversation=chat)  # an empty answer is refused
    assert "needs a question" in reply.text
    reply = await bot.say("Best date for the next call?", conversation=chat)
    assert "options" in reply.text
    reply = await bot.say("Monday\nmonday", conversation=chat)
    assert "appears twice" in reply.text
    reply = await bot.say("Monday\nTuesday\nWednesday", conversation=chat)
    (settings_card,) = reply.cards
    assert any(e.get("id") == "anonymous" for e in settings_card["body"])
    reply = await bot.submit(
        {"verb": "dialog", "mode": "multi", "anonymous": "true", "closes": "blursday"},
        conversation=chat,
    )
    assert "closing time" in reply.text
    reply = await bot.submit(
        {"verb": "dialog", "mode": "multi", "anonymous": "true", "closes": "in 3 days"},
        conversation=chat,
    )
    assert len(reply.cards) == 1
    assert "It closes" in reply.text
    async with bot.services.database.unit_of_work() as session:
        (poll,) = (await session.scalars(select(Poll))).all()
    assert poll.question == "Best date for the next call?"
    assert poll.options == ["Monday", "Tuesday", "Wednesday"]
    assert poll.multi
    assert poll.anonymous
    assert poll.closes_at is not None


async def test_typing_instead_of_clicking_the_settings_card_asks_again(bot: BotUnderTest) -> None:
    chat = teams.personal(teams.ALICE)
    await bot.say("poll", conversation=chat)
    await bot.say("Q?", conversation=chat)
    await bot.say("A | B", conversation=chat)
    reply = await bot.say("anonymous please", conversation=chat)
    assert "fill in the card above" in reply.text
    reply = await bot.say("cancel", conversation=chat)
    assert "Cancelled" in reply.text
    async with bot.services.database.unit_of_work() as session:
        assert (await session.scalars(select(Poll))).all() == []


# --- voting ---------------------------------------------------------------------------------


async def test_a_vote_is_counted_acknowledged_privately_and_the_card_updated_in_place(
    bot: BotUnderTest,
) -> None:
    poll_id, activity_id = await create(bot)
    bot.connector.clear()
    reply = await vote(bot, poll_id, "1")
    assert reply.status == 200
    assert reply.body["statusCode"] == 200
    assert reply.body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Your vote is counted" in card_text(reply.body["value"])
    assert bot.connector.sent() == []  # no new message in the channel for a vote
    await settle(bot)
    (update_call,) = bot.connector.updates()
    assert update_call.activity_id == activity_id
    assert tally_in(update_call.card) == ["0 · 0%", "1 · 100%", "0 · 0%"]
    assert "Your vote" not in card_text(update_call.card)  # the shared card shows no one's ballot
    assert "1 voter" in card_text(update_call.card)


async def test_voting_again_replaces_the_first_ballot(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot)
    await vote(bot, poll_id, "0")
    await vote(bot, poll_id, "2")
    (ballot,) = await ballots(bot, poll_id)
    assert ballot.choices == [2]
    await settle(bot)
    assert tally_in(bot.connector.updates()[-1].card) == ["0 · 0%", "0 · 0%", "1 · 100%"]


async def test_multi_choice_counts_each_chosen_option(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot, ONE_LINER + " --multi")
    await vote(bot, poll_id, "0,2", who=teams.ALICE)
    await vote(bot, poll_id, "2", who=teams.BOB)
    await settle(bot)
    assert tally_in(bot.connector.updates()[-1].card) == ["1 · 50%", "0 · 0%", "2 · 100%"]


async def test_single_choice_refuses_two_choices(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot)
    reply = await vote(bot, poll_id, "0,1")
    assert reply.body["type"] == "application/vnd.microsoft.activity.message"
    assert "one choice only" in reply.body["value"]
    assert await ballots(bot, poll_id) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"poll_id": 999, "choice": "0"}, "no longer exists"),
        ({"choice": "0"}, "does not say which poll"),
        ({"poll_id": "abc", "choice": "0"}, "does not say which poll"),
        ({"poll_id": "{id}", "choice": "7"}, "does not have"),
        ({"poll_id": "{id}"}, "Pick an option"),
        ({"poll_id": "{id}", "choice": {"nested": 1}}, "Pick an option"),
    ],
)
async def test_bad_votes_change_nothing_and_say_why(
    bot: BotUnderTest, data: dict[str, Any], message: str
) -> None:
    poll_id, _ = await create(bot)
    data = {k: (str(poll_id) if v == "{id}" else v) for k, v in data.items()}
    reply = await bot.execute("poll.vote", data)
    assert reply.status == 200
    assert message in reply.body["value"]
    assert await ballots(bot, poll_id) == []
    assert (await poll_row(bot, poll_id)).card_version == 1


async def test_a_vote_from_another_conversation_is_refused(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot)
    reply = await vote(bot, poll_id, "0", conversation=teams.GREEN_TAG)
    assert "another conversation" in reply.body["value"]
    assert await ballots(bot, poll_id) == []


async def test_the_same_vote_delivered_twice_counts_once(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot)
    activity = teams.execute(
        "poll.vote",
        {"poll_id": poll_id, "choice": "1"},
        service_url=bot.connector.url,
        conversation=teams.AARHUS_GENERAL,
    )
    await bot.post(activity)
    await bot.post(activity)
    assert len(await ballots(bot, poll_id)) == 1
    assert (await poll_row(bot, poll_id)).card_version == 2


async def test_action_submit_fallback_votes_too_without_channel_noise(bot: BotUnderTest) -> None:
    poll_id, activity_id = await create(bot)
    bot.connector.clear()
    reply = await bot.submit(
        {"verb": "poll.vote", "poll_id": poll_id, "choice": "0"}, reply_to_id=activity_id
    )
    assert reply.status in (200, 201)
    assert reply.texts == []  # no reply in the channel for a vote
    await settle(bot)
    assert tally_in(bot.connector.updates()[-1].card)[0] == "1 · 100%"


async def test_action_submit_fallback_in_a_personal_chat_confirms_in_the_chat(
    bot: BotUnderTest,
) -> None:
    chat = teams.personal(teams.ALICE)
    poll_id, _ = await create(bot, conversation=chat)
    reply = await bot.submit(
        {"verb": "poll.vote", "poll_id": poll_id, "choice": "0"}, conversation=chat
    )
    assert "counted" in reply.text


async def test_a_refused_submit_vote_says_why(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot)
    reply = await bot.submit({"verb": "poll.vote", "poll_id": poll_id, "choice": "9"})
    assert "does not have" in reply.text


# --- anonymity and results ------------------------------------------------------------------


async def test_anonymous_polls_store_no_readable_identity_and_log_none(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    poll_id, _ = await create(bot, ONE_LINER + " --anonymous", who=teams.MARTA)
    with caplog.at_level(logging.DEBUG):
        await vote(bot, poll_id, "0", who=teams.ALICE)
        await vote(bot, poll_id, "0", who=teams.ALICE)  # still one ballot
        await vote(bot, poll_id, "1", who=teams.BOB)
    rows = await ballots(bot, poll_id)
    assert len(rows) == 2
    for row in rows:
        assert row.voter_name is None
        assert teams.ALICE.id not in row.voter_key
        assert teams.BOB.id not in row.voter_key
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Alice" not in logged
    assert teams.ALICE.id not in logged
    await settle(bot)
    card = bot.connector.updates()[-1].card
    assert "Alice" not in card_text(card)
    assert "Show voters" not in card_text(card)
    reply = await bot.execute("poll.voters", {"poll_id": poll_id})
    assert "anonymous" in reply.body["value"]
    reply = await bot.say(f"poll results {poll_id}")
    assert "anonymous" in reply.text
    assert "Alice" not in reply.text
    assert "Bob" not in reply.text


async def test_named_polls_show_voters_per_option(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot)
    await vote(bot, poll_id, "0", who=teams.ALICE)
    await vote(bot, poll_id, "0", who=teams.BOB)
    await vote(bot, poll_id, "2", who=teams.MARTA)
    reply = await bot.execute("poll.voters", {"poll_id": poll_id})
    shown = card_text(reply.body["value"])
    assert "Alice Rep, Bob Rep" in shown
    assert "Marta Mentor" in shown
    reply = await bot.say(f"poll results {poll_id}")
    assert "Alice Rep, Bob Rep" in card_text(reply.cards[0])


async def test_results_of_an_unknown_poll_or_one_from_elsewhere(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot)
    reply = await bot.say("poll results 999")
    assert "don't know poll #999" in reply.text
    reply = await bot.say(f"poll results {poll_id}", conversation=teams.GREEN_TAG, who=teams.MARTA)
    assert f"Poll #{poll_id} belongs to another conversation" in reply.text
    reply = await bot.say("poll results")
    assert "Which poll?" in reply.text


# --- closing ------------------------------------------------------------------------------


async def test_the_creator_closes_from_the_card_and_the_card_freezes(bot: BotUnderTest) -> None:
    poll_id, card_id = await create(bot)
    await vote(bot, poll_id, "1", who=teams.BOB)
    await settle(bot)
    bot.connector.clear()
    reply = await bot.execute("poll.close", {"poll_id": poll_id}, who=teams.ALICE)
    assert "Closed — final results" in card_text(reply.body["value"])
    await settle(bot)
    # the result once, as a reply in the poll card's thread; closing again posts nothing more
    await bot.execute("poll.close", {"poll_id": poll_id}, who=teams.ALICE)
    await bot.say(f"poll close {poll_id}")
    await settle(bot)
    (result,) = [c for c in bot.connector.sent() if "is closed" in c.text]
    assert result.kind == "reply"
    assert result.activity_id == card_id
    assert result.conversation_id == teams.AARHUS_GENERAL.id
    assert "Charging points: 1 vote (100%)" in result.text
    assert "1 voter" in result.text
    final = bot.connector.updates()[-1].card
    assert "Closed — final results" in card_text(final)
    assert not any(e.get("type") == "Input.ChoiceSet" for e in final["body"])
    assert "Vote" not in [a["title"] for a in final.get("actions", [])]
    assert tally_in(final) == ["0 · 0%", "1 · 100%", "0 · 0%"]
    reply = await vote(bot, poll_id, "0", who=teams.MARTA)
    assert "closed" in reply.body["value"]
    assert len(await ballots(bot, poll_id)) == 1


async def test_others_get_a_polite_refusal_when_closing(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot)
    reply = await bot.execute("poll.close", {"poll_id": poll_id}, who=teams.BOB)
    assert "only Alice Rep" in reply.body["value"]
    reply = await bot.say(f"poll close {poll_id}", who=teams.BOB)
    assert "only Alice Rep" in reply.text
    assert (await poll_row(bot, poll_id)).closed_at is None


async def test_poll_close_command_by_the_creator(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot)
    reply = await bot.say(f"poll close #{poll_id}")
    assert f"Poll #{poll_id} is closed" in reply.text
    assert (await poll_row(bot, poll_id)).closed_at is not None
    reply = await bot.say(f"poll close {poll_id}")
    assert "already closed" in reply.text


async def test_a_poll_past_its_deadline_refuses_votes_even_before_the_job_ran(
    bot: BotUnderTest,
) -> None:
    poll_id, _ = await create(bot, ONE_LINER + " --closes in 2 hours")
    bot.services.clock = lambda: clock.now() + timedelta(hours=3)
    reply = await vote(bot, poll_id, "0")
    assert "closed" in reply.body["value"]


async def test_the_poll_closes_by_itself_after_a_restart_past_its_deadline(
    aiohttp_client: Any, settings: Settings, connector: FakeConnector
) -> None:
    first = BotUnderTest(await aiohttp_client(create_app(settings)), connector)
    poll_id, activity_id = await create(first, ONE_LINER + " --closes in 2 hours")
    await vote(first, poll_id, "2")
    await settle(first)
    await first.client.close()
    # The bot was down when the deadline passed.
    database = Database(settings.database_url)
    try:
        async with database.unit_of_work() as session:
            past = clock.now() - timedelta(minutes=5)
            await session.execute(update(Poll).where(Poll.id == poll_id).values(closes_at=past))
    finally:
        await database.dispose()
    connector.clear()

    second = BotUnderTest(
        await aiohttp_client(create_app(settings.with_overrides(run_scheduler=True))), connector
    )
    await connector.wait_for(lambda c: any("Closed" in card_text(u.card) for u in c.updates()))
    row = await poll_row(second, poll_id)
    assert row.closed_at is not None
    final = connector.updates()[-1]
    assert final.activity_id == activity_id
    assert tally_in(final.card) == ["0 · 0%", "0 · 0%", "1 · 100%"]
    await connector.wait_for(lambda c: bool(c.sent()))
    await second.services.require_outbox().wait_empty()
    (result,) = connector.sent()  # the result once, under the poll, after the restart
    assert result.kind == "reply"
    assert result.activity_id == activity_id
    assert "Heat pumps: 1 vote (100%)" in result.text


async def test_a_poll_closes_at_its_deadline_while_running(
    aiohttp_client: Any, settings: Settings, connector: FakeConnector
) -> None:
    bot = BotUnderTest(
        await aiohttp_client(create_app(settings.with_overrides(run_scheduler=True))), connector
    )
    poll_id, _ = await create(bot, ONE_LINER + " --closes in 1 hour")
    async with bot.services.database.unit_of_work() as session:
        await session.execute(
            update(Poll)
            .where(Poll.id == poll_id)
            .values(closes_at=clock.now() + timedelta(seconds=1))
        )
    bot.services.nudge_scheduler()
    await connector.wait_for(
        lambda c: any("Closed" in card_text(u.card) for u in c.updates()), within=10
    )
    assert (await poll_row(bot, poll_id)).closed_at is not None
    await connector.wait_for(lambda c: any("is closed" in t for t in c.texts()), within=10)
    (result,) = [c for c in connector.sent() if "is closed" in c.text]
    assert result.kind == "reply"
    assert "0 voters" in result.text


# --- export --------------------------------------------------------------------------------


async def test_export_replies_with_a_csv_file(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot, "Date? | =cmd() | Tuesday")
    await vote(bot, poll_id, "0", who=teams.ALICE)
    await vote(bot, poll_id, "1", who=teams.BOB)
    await vote(bot, poll_id, "1", who=teams.MARTA)
    await settle(bot)
    reply = await bot.say(f"poll export {poll_id}")
    file = await delivered(bot, reply.calls)
    assert file.content_type == "text/csv"
    assert file.name == f"poll-{poll_id}.csv"
    raw = file.content
    assert raw.startswith(codecs.BOM_UTF8)  # Excel reads accented names right only with it
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [f"Poll #{poll_id}", "Date?"]
    assert rows[1][0] == "Results so far"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d [A-Za-z_/]+", rows[1][1]), rows[1]
    assert rows[1][2] == "3 voters"
    assert rows[2] == []
    assert rows[3] == ["option", "votes", "percent", "voters"]
    assert rows[4] == ["'=cmd()", "1", "33", "Alice Rep"]  # no spreadsheet formula
    assert rows[5] == ["Tuesday", "2", "67", "Bob Rep; Marta Mentor"]


async def test_export_of_an_anonymous_poll_has_no_voters_column(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot, ONE_LINER + " --anonymous")
    await vote(bot, poll_id, "0")
    await settle(bot)
    reply = await bot.say(f"poll export {poll_id}")
    content = (await delivered(bot, reply.calls)).text
    assert content.splitlines()[3] == "option,votes,percent"
    assert "1 voter" in content.splitlines()[1]  # one, not "1 voters"
    assert f"Results of poll #{poll_id} as CSV (1 voter)." in reply.text
    assert "Alice" not in content


# --- concurrency ---------------------------------------------------------------------------


async def test_200_voters_at_once_end_with_an_exact_tally_on_the_card(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot)
    voters = [teams.user(f"Voter {n}") for n in range(200)]
    replies = await asyncio.gather(
        *(vote(bot, poll_id, str(n % 3), who=v) for n, v in enumerate(voters))
    )
    assert all(r.status == 200 and r.body["type"].endswith("card.adaptive") for r in replies)
    assert len(await ballots(bot, poll_id)) == 200
    await settle(bot)
    expected = [f"{c} · {round(100 * c / 200)}%" for c in (67, 67, 66)]
    final = bot.connector.updates()[-1].card
    assert tally_in(final) == expected
    assert "200 voters" in card_text(final)
    assert len(bot.connector.updates()) < 200  # coalesced, not one update per vote


# --- a poll that leaves parts out, drafted on a card, posted from the 1:1 chat ----------------


def _inputs(card: dict[str, Any]) -> dict[str, str]:
    """The values a card's inputs show (what Teams submits when nobody changes them)."""
    return {
        element["id"]: str(element.get("value", ""))
        for element in teams._elements(card)
        if str(element.get("type", "")).startswith("Input.") and "id" in element
    }


async def polls(bot: BotUnderTest) -> list[Poll]:
    async with bot.services.database.unit_of_work() as session:
        return list((await session.scalars(select(Poll).order_by(Poll.id))).all())


async def test_a_poll_line_with_only_its_question_asks_for_the_options_on_a_card_in_a_channel(
    bot: BotUnderTest,
) -> None:
    """In a channel a typed answer reaches the bot only with an @mention: the draft card asks
    for what the line left out, with what it gave filled in; a click needs no mention."""
    reply = await bot.say("poll Lunch on Friday? --anonymous")
    (draft,) = reply.cards
    shown = _inputs(draft)
    assert shown["question"] == "Lunch on Friday?"
    assert shown["options"] == ""
    assert shown["anonymous"] == "true"
    assert "post_to" not in shown  # it goes where it was asked for
    reply = await bot.submit({**shown, "verb": "dialog", "options": "Pizza"})
    assert "at least 2" in reply.text  # one option is not a poll: the card stays
    assert await polls(bot) == []
    reply = await bot.submit({**shown, "verb": "dialog", "options": "Pizza\nSushi\nSalad"})
    assert any("Lunch on Friday?" in card_text(card) for card in reply.cards)
    (poll,) = await polls(bot)
    assert (poll.question, poll.options, poll.anonymous) == (
        "Lunch on Friday?",
        ["Pizza", "Sushi", "Salad"],
        True,
    )
    assert poll.conversation_id == teams.AARHUS_GENERAL.id


async def test_a_bare_poll_in_a_channel_asks_everything_on_one_card(bot: BotUnderTest) -> None:
    reply = await bot.say("poll")
    (draft,) = reply.cards
    assert {"question", "options", "mode", "anonymous", "closes"} <= set(_inputs(draft))
    reply = await bot.submit(
        {**_inputs(draft), "verb": "dialog", "question": "", "options": "A\nB"}
    )
    assert "needs a question" in reply.text
    reply = await bot.submit(
        {**_inputs(draft), "verb": "dialog", "question": "Which day?", "options": "Mon\nTue"}
    )
    assert [p.question for p in await polls(bot)] == ["Which day?"]


async def test_a_poll_line_with_one_option_keeps_it_and_asks_for_more_in_the_chat(
    bot: BotUnderTest,
) -> None:
    chat = teams.personal(teams.ALICE)
    reply = await bot.say("poll Lunch? | Pizza", conversation=chat)
    assert "Options for “Lunch?” so far: “Pizza”" in reply.text
    reply = await bot.say("Sushi", conversation=chat)
    (settings,) = reply.cards
    await bot.submit({**_inputs(settings), "verb": "dialog"}, conversation=chat)
    (poll,) = await polls(bot)
    assert (poll.question, poll.options) == ("Lunch?", ["Pizza", "Sushi"])


async def test_a_poll_drafted_in_the_chat_is_posted_to_a_channel_of_the_persons_city(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    chat = teams.personal(teams.ALICE)
    await bot.say("poll Lunch? | Pizza | Sushi", conversation=chat)  # a one-liner posts here
    await bot.say("poll", conversation=chat)
    await bot.say("Which day for the stakeholders?", conversation=chat)
    reply = await bot.say("Monday\nTuesday", conversation=chat)
    (settings,) = reply.cards
    offered = next(e for e in teams._elements(settings) if e.get("id") == "post_to")
    titles = [choice["title"] for choice in offered["choices"]]
    assert titles == ["This chat", "Aarhus · General"]  # not Braga's, not a TAG she is not in
    bot.connector.clear()
    value = {**_inputs(settings), "verb": "dialog"}
    value["post_to"] = teams.pick(settings, "post_to", "Aarhus · General")
    reply = await bot.submit(value, conversation=chat)
    assert "is posted in Aarhus · General" in reply.text
    (posted,) = [c for c in bot.connector.sent() if c.conversation_id == teams.AARHUS_GENERAL.id]
    assert "Which day for the stakeholders?" in card_text(posted.body["attachments"][0]["content"])
    poll = (await polls(bot))[-1]
    assert poll.conversation_id == teams.AARHUS_GENERAL.id
    assert poll.activity_id == posted.returned_id
    # The card is the channel's: a vote there updates it in place.
    await vote(bot, poll.id, "1", who=teams.BOB, conversation=teams.AARHUS_GENERAL)
    await settle(bot)
    assert any(u.conversation_id == teams.AARHUS_GENERAL.id for u in bot.connector.updates())


async def test_a_poll_cannot_be_posted_to_a_channel_the_person_does_not_belong_to(
    rostered_bot: BotUnderTest,
) -> None:
    """A forged submit naming Braga's channel (Alice is a rep of Aarhus): refused, nothing
    posted or stored."""
    bot = rostered_bot
    chat = teams.personal(teams.ALICE)
    await bot.say("poll", conversation=chat)
    await bot.say("Which day?", conversation=chat)
    reply = await bot.say("Monday\nTuesday", conversation=chat)
    (settings,) = reply.cards
    async with bot.services.database.unit_of_work() as session:
        braga = await session.scalar(
            select(Channel.id).where(Channel.conversation_id == teams.BRAGA_GENERAL.id)
        )
    bot.connector.clear()
    for forged in (str(braga), "999", "-1", "x"):
        reply = await bot.submit(
            {**_inputs(settings), "verb": "dialog", "post_to": forged}, conversation=chat
        )
        assert "one of the channels the card offers" in reply.text
    assert await polls(bot) == []
    assert all(c.conversation_id == chat.id for c in bot.connector.sent())


async def test_the_closing_time_typed_on_the_card_is_read_as_the_writers_locale_writes_it(
    bot: BotUnderTest,
) -> None:
    day = clock.now() + timedelta(days=40)
    for locale, written in (
        ("en-GB", f"{day.day}/{day.month}"),
        ("en-US", f"{day.month}/{day.day}"),
    ):
        reply = await bot.say("poll", locale=locale)
        (draft,) = reply.cards
        await bot.submit(
            {**_inputs(draft), "verb": "dialog", "question": f"Q {locale}?", "options": "A\nB",
             "closes": f"{written} 17:00"},
            locale=locale,
        )  # fmt: skip
    closing = [p.closes_at for p in await polls(bot)]
    assert len(closing) == 2
    assert closing[0] == closing[1]
    assert closing[0] is not None
    assert closing[0].date() == day.date()
