"""Command routing through /api/messages, as Teams sends messages."""

from __future__ import annotations

from tests.harness import teams
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text


async def test_help_in_a_channel_answers_with_the_command_card(bot: BotUnderTest) -> None:
    reply = await bot.say("help")
    assert reply.status in (200, 201)
    assert len(reply.cards) == 1
    card = reply.cards[0]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"
    shown = card_text(card)
    assert "help" in shown
    assert "timezone" in shown


async def test_help_in_personal_chat_needs_no_mention(bot: BotUnderTest) -> None:
    reply = await bot.say("help", conversation=teams.personal(teams.ALICE))
    assert len(reply.cards) == 1


async def test_the_channel_reply_goes_into_the_posts_thread(bot: BotUnderTest) -> None:
    reply = await bot.say("help")
    (call,) = reply.calls
    assert call.kind == "reply"
    assert call.conversation_id == teams.AARHUS_GENERAL.id


async def test_mention_with_extra_spaces_and_capitals_is_still_help(bot: BotUnderTest) -> None:
    reply = await bot.say("   HELP   ")
    assert len(reply.cards) == 1


async def test_unknown_command_names_the_closest_and_offers_help(bot: BotUnderTest) -> None:
    reply = await bot.say("hepl me")
    (card,) = reply.cards
    assert card_text(card).startswith("I don't know the command “hepl”. Did you mean `help`?")
    assert "what I can do" not in card_text(card)
    assert [action["title"] for action in card["actions"]] == ["Help"]


async def test_unknown_command_without_a_near_match_still_offers_help(bot: BotUnderTest) -> None:
    reply = await bot.say("xyzzy")
    (card,) = reply.cards
    assert "xyzzy" in card_text(card)
    assert "Did you mean" not in card_text(card)
    assert [action["title"] for action in card["actions"]] == ["Help"]


async def test_a_bare_mention_gets_a_greeting_and_help(bot: BotUnderTest) -> None:
    reply = await bot.say("")
    assert reply.cards


async def test_a_very_long_unknown_word_is_shortened_in_the_reply(bot: BotUnderTest) -> None:
    reply = await bot.say("x" * 5000)
    assert len(card_text(reply.cards[0])) < 400


async def test_card_button_command_runs_the_command(bot: BotUnderTest) -> None:
    reply = await bot.submit({"verb": "command", "text": "help"})
    assert len(reply.cards) == 1


async def test_card_submit_with_unknown_verb_says_so(bot: BotUnderTest) -> None:
    reply = await bot.submit({"verb": "no.such.verb", "x": 1})
    assert "not something I can act on" in reply.text


async def test_invoke_with_unknown_verb_answers_with_a_message_response(bot: BotUnderTest) -> None:
    reply = await bot.execute("no.such.verb", {})
    assert reply.status == 200
    assert reply.body["statusCode"] == 200
    assert reply.body["type"] == "application/vnd.microsoft.activity.message"
    assert "not something I can act on" in reply.body["value"]
    assert reply.calls == []


async def test_malformed_invoke_value_gets_a_message_not_an_error(bot: BotUnderTest) -> None:
    activity = teams.execute(
        "x", {}, service_url=bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    activity["value"] = "not an object"
    reply = await bot.post(activity)
    assert reply.status == 200
    assert reply.body["type"] == "application/vnd.microsoft.activity.message"
