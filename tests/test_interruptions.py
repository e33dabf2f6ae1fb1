"""The conversation layer: commands that interrupt a waiting question, a helpful answer to
unknown input and wrong names, the help card as people read it, "chat" in a chat."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.cards import COMMAND_VERB, CommandHelp
from bot.handler import Waiting, interrupts, left_behind
from bot.router import Command, Router
from storage.models import Minutes, Person, Poll
from tests.harness import agenda, teams
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text
from tests.harness.minutes import setup_value

CHAT = teams.personal(teams.ALICE)


async def timezone_of(bot: BotUnderTest, who: teams.User) -> str | None:
    async with bot.services.database.unit_of_work() as session:
        person = await session.scalar(select(Person).where(Person.teams_user_id == who.id))
        return person.timezone if person else None


async def count(bot: BotUnderTest, model: Any) -> int:
    async with bot.services.database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [action["data"] for action in card.get("actions", [])]


# --- 1. a command interrupts a waiting question -----------------------------------------------


async def test_the_time_zone_command_with_a_zone_at_the_time_zone_question_sets_it(
    bot: BotUnderTest,
) -> None:
    await bot.say("timezone", conversation=CHAT)
    reply = await bot.say("timezone Lisbon", conversation=CHAT)
    assert "don't know that time zone" not in reply.text
    assert "Europe/Lisbon" in reply.text
    assert await timezone_of(bot, teams.ALICE) == "Europe/Lisbon"
    # The question was left: the next text is a command again.
    reply = await bot.say("Europe/Rome", conversation=CHAT)
    assert "don't know the command" in card_text(reply.cards[0])
    assert await timezone_of(bot, teams.ALICE) == "Europe/Lisbon"


async def test_help_at_the_time_zone_question_shows_help_and_the_question_keeps_waiting(
    bot: BotUnderTest,
) -> None:
    await bot.say("timezone", conversation=CHAT)
    reply = await bot.say("help", conversation=CHAT)
    assert "don't know that time zone" not in reply.text
    assert "ICC bot — what I can do" in card_text(reply.cards[0])
    assert "`timezone` questions are still waiting" in reply.text
    reply = await bot.say("Lisbon", conversation=CHAT)
    assert "Europe/Lisbon" in reply.text
    assert await timezone_of(bot, teams.ALICE) == "Europe/Lisbon"


async def test_help_at_the_polls_question_is_not_the_question(bot: BotUnderTest) -> None:
    await bot.say("poll", conversation=CHAT)
    reply = await bot.say("help", conversation=CHAT)
    assert "ICC bot — what I can do" in card_text(reply.cards[0])
    assert "`poll` questions are still waiting" in reply.text
    assert await count(bot, Poll) == 0


async def test_a_poll_question_that_starts_with_a_command_word_is_the_question(
    bot: BotUnderTest,
) -> None:
    await bot.say("poll", conversation=CHAT)
    reply = await bot.say("Actions for next week?", conversation=CHAT)
    assert "left" not in reply.text
    await bot.say("Monday | Tuesday", conversation=CHAT)
    await bot.submit(
        {"verb": "dialog", "mode": "single", "anonymous": "false", "closes": ""},
        conversation=CHAT,
    )
    async with bot.services.database.unit_of_work() as session:
        assert (await session.scalars(select(Poll.question))).all() == ["Actions for next week?"]


async def test_a_bare_command_word_at_the_polls_question_leaves_the_poll(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await bot.say("poll", conversation=CHAT)
    reply = await bot.say("actions", conversation=CHAT)
    assert reply.texts[0] == (
        "I left the `poll` questions unfinished — nothing was saved; `poll` starts them again."
    )
    assert len(reply.calls) >= 2  # and the actions answer follows
    reply = await bot.say("Lunch on Friday?", conversation=CHAT)
    assert "don't know the command" in card_text(reply.cards[0])


async def test_a_command_in_the_middle_of_the_minutes_leaves_them_and_runs(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say("minutes")
    assert "Minutes for Aarhus" in card_text(reply.cards[0])
    reply = await bot.say("actions")
    assert reply.texts[0] == (
        "I left the `minutes` questions unfinished — nothing was saved; "
        "`minutes` starts them again."
    )
    assert len(reply.calls) >= 2
    # The old setup card answers nothing now; `minutes` starts afresh.
    reply = await bot.submit(setup_value())
    assert "no longer waiting" in reply.text
    reply = await bot.say("minutes")
    assert "Minutes for Aarhus" in card_text(reply.cards[0])
    assert "left" not in reply.text
    assert await count(bot, Minutes) == 0


async def test_the_same_command_again_starts_the_minutes_afresh(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await bot.say("minutes")
    reply = await bot.say("minutes")
    assert reply.texts[0] == "I left the `minutes` questions unfinished — nothing was saved."
    assert "Minutes for Aarhus" in card_text(reply.cards[0])
    reply = await bot.say("cancel")
    assert "Cancelled" in reply.text
    reply = await bot.say("cancel")
    assert "nothing to cancel" in reply.text  # one dialog was open, not two


async def test_help_in_the_middle_of_the_minutes_points_to_the_card(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await bot.say("minutes")
    reply = await bot.say("help")
    assert "ICC bot — what I can do" in card_text(reply.cards[0])
    assert reply.texts[-1] == "The `minutes` questions are still waiting for the card above."
    reply = await bot.submit(setup_value())
    assert "Tour de table" in card_text(reply.cards[-1])


async def test_a_command_button_in_the_middle_of_the_minutes_says_what_it_left(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await bot.say("minutes")
    reply = await bot.submit({"verb": COMMAND_VERB, "text": "poll"})
    assert reply.texts[0].startswith("I left the `minutes` questions unfinished")
    reply = await bot.say("cancel")
    assert "Cancelled" in reply.text  # the poll's questions are what waits now


async def test_an_execute_command_button_in_the_middle_of_the_minutes_leaves_them_first(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await bot.say("minutes")
    reply = await bot.execute(COMMAND_VERB, {"text": "minutes"})
    assert reply.texts[0] == "I left the `minutes` questions unfinished — nothing was saved."
    assert "Minutes for Aarhus" in card_text(reply.cards[0])
    await bot.say("cancel")
    reply = await bot.say("cancel")
    assert "nothing to cancel" in reply.text  # the new minutes replaced the old, not stacked


async def test_the_help_button_in_the_middle_of_the_minutes_keeps_them(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await bot.say("minutes")
    reply = await bot.submit({"verb": COMMAND_VERB, "text": "help"})
    assert "still waiting for the card above" in reply.text
    reply = await bot.submit(setup_value())
    assert "Tour de table" in card_text(reply.cards[-1])


async def test_text_that_names_no_command_still_answers_the_waiting_question(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await bot.say("minutes")
    reply = await bot.say("hello there")
    assert "left" not in reply.text
    reply = await bot.submit(setup_value())
    assert "Tour de table" in card_text(reply.cards[-1])


def test_the_rule_for_typed_answers_takes_free_text_and_lets_bare_commands_through() -> None:
    router = Router()

    async def nothing(_turn: Any, _args: str) -> None:
        return None

    poll = Command("poll", nothing, CommandHelp("poll", "Poll.", starts="poll"))
    actions = Command("actions", nothing, CommandHelp("actions", "Actions.", starts="actions"))
    router.add_command(poll)
    router.add_command(actions)
    typed = Waiting((poll,), typed=True)
    card = Waiting((poll,), typed=False)
    assert interrupts(router, "Actions for next week?", typed) is None
    assert interrupts(router, "actions", typed) is actions
    assert interrupts(router, "poll Lunch?", typed) is poll  # its own command, parts given
    assert interrupts(router, "Actions for next week?", card) is actions
    assert interrupts(router, "Lunch?", card) is None


def test_leaving_says_how_to_start_again_unless_the_command_does() -> None:
    async def nothing(_turn: Any, _args: str) -> None:
        return None

    remind = Command("remind", nothing, CommandHelp("remind", "R.", starts="remind setup"))
    waiting = Waiting((remind,), typed=False)
    assert left_behind(waiting, "remind list").endswith("; `remind setup` starts them again.")
    assert left_behind(waiting, "Remind  setup") == (
        "I left the `remind setup` questions unfinished — nothing was saved."
    )


# --- 2. unknown input --------------------------------------------------------------------------


async def test_unknown_input_gets_one_line_with_the_closest_command_and_a_help_button(
    bot: BotUnderTest,
) -> None:
    reply = await bot.say("pol Lunch?")
    (card,) = reply.cards
    assert card_text(card).startswith("I don't know the command “pol”. Did you mean `poll`?")
    assert "what I can do" not in card_text(card)
    assert buttons(card) == [
        {"verb": COMMAND_VERB, "text": "help"},
        {"verb": COMMAND_VERB, "text": "poll"},
    ]
    reply = await bot.submit(buttons(card)[0])
    assert "what I can do" in card_text(reply.cards[0])


async def test_the_closest_commands_button_runs_it_bare(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    reply = await bot.say("minuets")
    (card,) = reply.cards
    assert buttons(card) == [
        {"verb": COMMAND_VERB, "text": "help"},
        {"verb": COMMAND_VERB, "text": "minutes"},
    ]
    reply = await bot.submit({"verb": COMMAND_VERB, "text": "minutes"})
    assert "Minutes for Aarhus" in card_text(reply.cards[0])


async def test_a_bare_mention_still_gets_the_greeting_and_the_help_card(bot: BotUnderTest) -> None:
    reply = await bot.say("")
    assert "Hi!" in reply.text
    assert "what I can do" in card_text(reply.cards[0])


# --- 3. a wrong name gets the closest known names ----------------------------------------------


async def test_a_mistyped_city_gets_the_closest_city(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    reply = await bot.say("link city Arhus")
    assert reply.text == "I don't know a city called “Arhus” in the roster. Did you mean Aarhus?"


async def test_a_mistyped_tag_in_link_gets_the_closest_tag(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    reply = await bot.say("link tag Green Bildings", conversation=teams.GREEN_TAG, who=teams.MARTA)
    assert "Did you mean Green Buildings?" in reply.text


async def test_a_mistyped_tag_in_agenda_and_summary_gets_the_closest_tag(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    for command in ("agenda", "summary"):
        reply = await bot.say(f"{command} Tourism Dta", conversation=CHAT, who=teams.ALICE)
        assert "I don't know a TAG called “Tourism Dta”. Did you mean Tourism Data?" in reply.text


async def test_a_name_like_nothing_known_gets_no_suggestion(rostered_bot: BotUnderTest) -> None:
    reply = await rostered_bot.say("agenda Zzyzx", conversation=CHAT)
    assert "I don't know a TAG called “Zzyzx”" in reply.text
    assert "Did you mean" not in reply.text


# --- 4. the help card shows usage as written ---------------------------------------------------


async def test_the_help_card_shows_usage_lines_without_escapes(bot: BotUnderTest) -> None:
    reply = await bot.say("help")
    shown = card_text(reply.cards[0])
    assert "poll <question>" in shown
    assert "&lt;" not in shown
    assert "\\<" not in shown


# --- 5. "this chat" in a chat ------------------------------------------------------------------


async def test_the_welcome_in_a_personal_chat_speaks_of_this_chat(bot: BotUnderTest) -> None:
    reply = await bot.post(teams.bot_added(CHAT, service_url=bot.connector.url))
    assert "this chat's" in reply.text
    assert "channel" not in reply.text


async def test_the_welcome_in_a_group_chat_speaks_of_this_chat(bot: BotUnderTest) -> None:
    group = teams.Conversation("19:group-chat@thread.v2", "groupChat")
    reply = await bot.post(teams.bot_added(group, service_url=bot.connector.url))
    assert "this chat's" in reply.text


async def test_the_welcome_in_a_channel_still_speaks_of_this_channel(bot: BotUnderTest) -> None:
    reply = await bot.post(teams.bot_added(teams.AARHUS_GENERAL, service_url=bot.connector.url))
    assert "this channel's" in reply.text


async def test_the_help_card_in_a_personal_chat_ties_a_team_channel_not_this_one(
    bot: BotUnderTest,
) -> None:
    reply = await bot.say("help", conversation=CHAT)
    shown = card_text(reply.cards[0])
    assert "Tie a team channel to a city or a TAG" in shown
    assert "Tie this channel" not in shown


async def test_the_card_of_an_agenda_left_by_a_command_does_not_answer_the_new_agenda(
    rostered_bot: BotUnderTest,
) -> None:
    """Both agendas ask the same first question; the card of the one left behind carries its
    own instance and is no answer to the new one, which still waits for its own card."""
    bot, tag = rostered_bot, agenda.TAG
    old = (await bot.say("agenda", conversation=tag, who=teams.MARTA)).cards[0]
    left = await bot.say("help", conversation=tag, who=teams.MARTA)
    assert "still waiting" in left.texts[-1]
    await bot.say("actions", conversation=tag, who=teams.MARTA)
    new = (await bot.say("agenda", conversation=tag, who=teams.MARTA)).cards[0]
    assert "" != _instance_of(old) != _instance_of(new) != ""
    stale = {**agenda.when(), "instance": _instance_of(old)}
    reply = await bot.submit(stale, conversation=tag, who=teams.MARTA)
    assert "That card is from an earlier run of `agenda`" in reply.text
    assert not reply.cards
    reply = await bot.submit(
        {**agenda.when(), "instance": _instance_of(new)}, conversation=tag, who=teams.MARTA
    )
    assert "Build the agenda" in card_text(reply.cards[0]), reply.text


def _instance_of(card: Any) -> str:
    """The dialog instance a card's buttons carry (dialogs/once.py stamps it)."""
    if isinstance(card, dict):
        data = card.get("data")
        if isinstance(data, dict) and isinstance(data.get("instance"), str):
            return str(data["instance"])
        children: list[Any] = list(card.values())
    elif isinstance(card, list):
        children = card
    else:
        children = []
    for child in children:
        found = _instance_of(child) if isinstance(child, dict | list) else ""
        if found:
            return found
    return ""
