"""`timezone` asks on a card (issue 19): the programme cities' zones to pick, a field for any
other; a click reaches the bot in a channel without an @mention, and nothing waits for a typed
answer there that the prompt does not ask to @mention."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Person
from tests.harness import teams
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text

ANSWER = {"verb": "dialog", "step": "timezone"}


async def timezone_of(bot: BotUnderTest, who: teams.User) -> str | None:
    async with bot.services.database.unit_of_work() as session:
        person = await session.scalar(select(Person).where(Person.teams_user_id == who.id))
        return person.timezone if person else None


async def test_in_a_channel_the_zone_is_picked_on_the_card_of_the_programmes_cities(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say("timezone")
    assert "@mention me" in reply.text
    (card,) = reply.cards
    shown = card_text(card)
    assert "Europe/Copenhagen (Aarhus)" in shown
    assert "Europe/Lisbon (Braga)" in shown
    zone = teams.pick(card, "zone", "Europe/Lisbon (Braga)")
    reply = await bot.submit({**ANSWER, "zone": zone, "other": ""})
    assert "Europe/Lisbon" in reply.text
    assert await timezone_of(bot, teams.ALICE) == "Europe/Lisbon"


async def test_the_cards_field_takes_any_zone_or_city_and_wins_over_the_list(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await bot.say("timezone")
    reply = await bot.submit({**ANSWER, "zone": "Europe/Lisbon", "other": "rome"})
    assert "Europe/Rome" in reply.text
    assert await timezone_of(bot, teams.ALICE) == "Europe/Rome"


async def test_an_empty_or_unknown_answer_on_the_card_is_refused_and_changes_nothing(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await bot.say("timezone")
    reply = await bot.submit({**ANSWER, "zone": "", "other": ""})
    assert "Pick a time zone on the card" in reply.text
    reply = await bot.submit({**ANSWER, "zone": "Europe/Lisbon", "other": "Atlantis/Deep"})
    assert "I don't know the time zone “Atlantis/Deep”" in reply.text
    assert await timezone_of(bot, teams.ALICE) is None
    reply = await bot.submit({**ANSWER, "zone": "Europe/Copenhagen"})  # still asking
    assert "Europe/Copenhagen" in reply.text
    assert await timezone_of(bot, teams.ALICE) == "Europe/Copenhagen"


async def test_in_a_personal_chat_the_prompt_offers_typing_the_name(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    chat = teams.personal(teams.ALICE)
    reply = await bot.say("timezone", conversation=chat)
    assert "type its name" in reply.text
    assert "@mention" not in reply.text
    assert reply.cards
    reply = await bot.say("lisbon", conversation=chat)
    assert await timezone_of(bot, teams.ALICE) == "Europe/Lisbon"
