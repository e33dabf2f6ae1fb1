"""Once means once: finishing a dialog twice (a re-delivery, a second click on the same last
card, two deliveries racing) saves and posts once, and the second click hears what was saved."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import ActionItem, Agenda, Minutes, Poll, ReminderSeries, TagSummary
from tests.harness import teams
from tests.harness.bot import BotUnderTest, Reply
from tests.harness.cards import card_text
from tests.harness.minutes import today

AARHUS = teams.AARHUS_GENERAL
GREEN = teams.GREEN_TAG

# A final click delivered twice: Teams re-sending the same activity, or the person clicking the
# same button again (a new activity with the same card data).
TWICE = ["the same activity delivered twice", "two clicks on the same card"]


def _elements(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _elements(value)
    elif isinstance(node, list):
        for value in node:
            found += _elements(value)
    return found


def clicked(card: dict[str, Any], title: str, **inputs: Any) -> dict[str, Any]:
    """What Teams submits when `title` is clicked: the button's data and every input's value
    (as shown on the card, unless the person changed it in `inputs`)."""
    elements = _elements(card)
    buttons = [e for e in elements if e.get("type") == "Action.Submit" and e.get("title") == title]
    assert buttons, f"the card has no button {title!r}"
    shown = {
        e["id"]: str(e.get("value", ""))
        for e in elements
        if str(e.get("type", "")).startswith("Input.") and "id" in e
    }
    return {**shown, **inputs, **buttons[0]["data"]}


async def count(bot: BotUnderTest, model: Any) -> int:
    async with bot.services.database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def deliver_twice(
    bot: BotUnderTest,
    how: str,
    value: dict[str, Any],
    conversation: teams.Conversation,
    who: teams.User,
) -> tuple[Reply, Reply]:
    if how == "two clicks on the same card":
        first = await bot.submit(value, conversation=conversation, who=who)
        return first, await bot.submit(value, conversation=conversation, who=who)
    activity = teams.submit(
        value, service_url=bot.connector.url, conversation=conversation, who=who
    )
    return await bot.post(activity), await bot.post(activity)


def posted(replies: tuple[Reply, ...], marker: str) -> int:
    """How many of the cards the replies sent show `marker` (the saved object's card)."""
    return sum(marker in card_text(card) for reply in replies for card in reply.cards)


# --- minutes ---------------------------------------------------------------------------------


async def minutes_closing_card(bot: BotUnderTest) -> dict[str, Any]:
    """Walks the minutes dialog to its last card (one rep present, nothing else to recap)."""
    reply = await bot.say("minutes")
    card = reply.cards[0]
    reply = await bot.submit(
        clicked(
            card,
            "Next",
            date=today().isoformat(),
            group="Energy",
            reps=teams.pick(card, "reps", "Alice Rep"),
        )
    )
    assert "Agreements" in card_text(reply.cards[-1]), reply.text
    reply = await bot.submit(clicked(reply.cards[-1], "Next"))
    assert reply.cards, reply.text
    assert "Next steps" in card_text(reply.cards[0])
    return reply.cards[0]


@pytest.mark.parametrize("how", TWICE)
async def test_saving_the_minutes_twice_saves_and_posts_them_once(
    rostered_bot: BotUnderTest, how: str
) -> None:
    bot = rostered_bot
    card = await minutes_closing_card(bot)
    click = clicked(card, "Save minutes", next_steps="Invite the utilities")
    first, second = await deliver_twice(bot, how, click, AARHUS, teams.ALICE)
    assert "Minutes #1 saved" in first.text
    assert second.text == "Already saved as minutes #1."
    assert second.cards == []
    assert posted((first, second), "Invite the utilities") == 1
    assert await count(bot, Minutes) == 1


async def test_an_earlier_card_of_saved_minutes_says_they_are_saved(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    card = await minutes_closing_card(bot)
    await bot.submit(clicked(card, "Save minutes", next_steps="Invite the utilities"))
    reply = await bot.submit(clicked(card, "Save minutes", next_steps="Something else"))
    assert reply.text == "Already saved as minutes #1."
    async with bot.services.database.unit_of_work() as session:
        saved = (await session.scalars(select(Minutes))).all()
    assert [m.next_steps for m in saved] == ["Invite the utilities"]


async def test_two_racing_deliveries_of_the_last_click_save_the_minutes_once(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    card = await minutes_closing_card(bot)
    click = clicked(card, "Save minutes", next_steps="Invite the utilities")
    before = len(bot.connector.calls)
    replies = await asyncio.gather(*(bot.submit(click) for _ in range(2)))
    calls = bot.connector.calls[before:]  # each reply would see the other's calls too
    assert all(reply.status < 300 for reply in replies)
    assert await count(bot, Minutes) == 1
    assert sum("Invite the utilities" in card_text(card) for c in calls for card in c.cards) == 1
    texts = [c.text for c in calls if c.kind in ("send", "reply")]
    assert "Already saved as minutes #1." in texts
    assert not any("went wrong" in text for text in texts), texts


# --- reminder series ---------------------------------------------------------------------------


@pytest.mark.parametrize("how", TWICE)
async def test_saving_a_reminder_series_twice_sets_up_one_series(
    rostered_bot: BotUnderTest, how: str
) -> None:
    bot = rostered_bot
    reply = await bot.say("remind setup")
    click = clicked(reply.cards[0], "Save series")
    first, second = await deliver_twice(bot, how, click, AARHUS, teams.ALICE)
    assert "Series #1 saved" in first.text
    assert second.text == "Already saved as reminder series #1."
    assert await count(bot, ReminderSeries) == 1
    reply = await bot.say("remind list")
    assert card_text(reply.cards[0]).count("#1") == 1
    assert "#2" not in card_text(reply.cards[0])


# --- polls -------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", TWICE)
async def test_creating_a_poll_twice_from_the_dialog_posts_one_poll(
    bot: BotUnderTest, how: str
) -> None:
    chat = teams.personal(teams.ALICE)
    await bot.say("poll", conversation=chat)
    await bot.say("Best date for the next call?", conversation=chat)
    reply = await bot.say("Monday | Tuesday", conversation=chat)
    click = clicked(reply.cards[0], "Create poll", closes="in 2 days")
    first, second = await deliver_twice(bot, how, click, chat, teams.ALICE)
    assert "It closes" in first.text
    assert second.text == "Already saved as poll #1."
    assert posted((first, second), "Best date for the next call?") == 1
    assert await count(bot, Poll) == 1


async def test_the_one_line_poll_delivered_twice_posts_one_poll_and_says_so(
    bot: BotUnderTest,
) -> None:
    activity = teams.message(
        "poll Lunch? | Pizza | Sushi", service_url=bot.connector.url, conversation=AARHUS
    )
    first, second = await bot.post(activity), await bot.post(activity)
    assert second.text == "Already saved as poll #1."
    assert posted((first, second), "Lunch?") == 1
    assert await count(bot, Poll) == 1


async def test_the_one_line_poll_delivered_twice_at_once_posts_one_poll(
    bot: BotUnderTest,
) -> None:
    await bot.say("help")  # the channel is known before the race
    activity = teams.message(
        "poll Lunch? | Pizza | Sushi", service_url=bot.connector.url, conversation=AARHUS
    )
    before = len(bot.connector.calls)
    replies = await asyncio.gather(bot.post(activity), bot.post(activity))
    calls = bot.connector.calls[before:]
    assert all(reply.status < 300 for reply in replies)
    assert sum("Lunch?" in card_text(card) for c in calls for card in c.cards) == 1
    assert await count(bot, Poll) == 1


# --- TAG agendas and summaries -----------------------------------------------------------------


@pytest.mark.parametrize("how", TWICE)
async def test_posting_an_agenda_twice_posts_it_once(rostered_bot: BotUnderTest, how: str) -> None:
    bot = rostered_bot
    reply = await bot.say("agenda", conversation=GREEN, who=teams.MARTA)
    reply = await bot.submit(clicked(reply.cards[0], "Next"), conversation=GREEN, who=teams.MARTA)
    # The card Update sends back is the one posted from: it carries the dialog's id too.
    reply = await bot.submit(clicked(reply.cards[0], "Update"), conversation=GREEN, who=teams.MARTA)
    assert "Updated" in card_text(reply.cards[0])
    click = clicked(reply.cards[0], "Post agenda")
    first, second = await deliver_twice(bot, how, click, GREEN, teams.MARTA)
    assert len(first.cards) == 1
    assert second.text == "Already saved as agenda #1."
    assert second.cards == []
    assert await count(bot, Agenda) == 1


async def summary_commitments_question(
    bot: BotUnderTest,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Walks the summary dialog to its last question; returns the click on the form it
    showed, and the commitments card (asked on a card since issue 19)."""
    reply = await bot.say("summary", conversation=GREEN, who=teams.MARTA)
    form = reply.cards[0]
    click = clicked(form, "Next", key_points="Retrofit financing", takeaway0="Pool the tenders")
    reply = await bot.submit(click, conversation=GREEN, who=teams.MARTA)
    (commitments,) = reply.cards
    assert "Commitments" in card_text(commitments), reply.text
    return click, commitments


@pytest.mark.parametrize("how", ["two clicks on the same card", "one click delivered twice"])
async def test_the_summarys_last_answer_delivered_twice_posts_it_once(
    rostered_bot: BotUnderTest, how: str
) -> None:
    bot = rostered_bot
    _, card = await summary_commitments_question(bot)
    save = clicked(card, "Save", commitments="Aarhus | Publish the retrofit map")
    first, second = await deliver_twice(bot, how, save, GREEN, teams.MARTA)
    assert "Summary #1 posted" in first.text
    assert second.text == "Already saved as summary #1."
    assert posted((first, second), "Publish the retrofit map") == 1
    assert await count(bot, TagSummary) == 1
    assert await count(bot, ActionItem) == 1


async def test_the_summary_form_clicked_again_after_posting_says_it_is_saved(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    click, card = await summary_commitments_question(bot)
    await bot.submit(clicked(card, "No commitments"), conversation=GREEN, who=teams.MARTA)
    reply = await bot.submit(click, conversation=GREEN, who=teams.MARTA)
    assert reply.text == "Already saved as summary #1."
    assert await count(bot, TagSummary) == 1
