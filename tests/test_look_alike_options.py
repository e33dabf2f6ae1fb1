"""Poll options that read the same are one option: case, spacing, full-width letters,
zero-width characters and Cyrillic or Greek look-alikes do not make a second answer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Poll
from tests.harness import teams
from tests.harness.bot import BotUnderTest

LOOK_ALIKES = [
    ("Java", "J\u0430v\u0430"),  # Cyrillic a (U+0430) twice
    ("Heat pumps", "Ｈｅａｔ ｐｕｍｐｓ"),  # full-width letters
    ("Solar", "So\u200blar"),  # a zero-width space
    ("Solar", "\u2060Solar\ufeff"),  # a word joiner and a byte-order mark
    ("Open data", "OPEN   data"),  # case and spacing
    ("TOP", "\u03a4\u039f\u03a1"),  # Greek capitals tau, omicron, rho
    ("Bike lanes", "\u0412\u0456k\u0435 lanes"),  # Cyrillic Ve, i and ie; Latin k
]


@pytest.mark.parametrize(("first", "second"), LOOK_ALIKES)
async def test_a_look_alike_option_in_the_one_liner_is_refused_naming_both(
    bot: BotUnderTest, first: str, second: str
) -> None:
    reply = await bot.say(f"poll Which first? | {first} | Other | {second}")
    assert not reply.cards
    assert "appears twice" in reply.text
    assert "something went wrong" not in reply.text
    shown_second = second.replace("\u200b", "").replace("\u2060", "").replace("\ufeff", "")
    shown_second = " ".join(shown_second.split())
    if shown_second != first:  # both named, as typed
        assert f"as “{first}” and as “{shown_second}”" in reply.text
    async with bot.services.database.unit_of_work() as session:
        assert (await session.scalars(select(Poll))).first() is None


async def test_a_look_alike_option_typed_in_the_dialog_is_asked_again(bot: BotUnderTest) -> None:
    chat = teams.personal(teams.ALICE)
    await bot.say("poll", conversation=chat)
    await bot.say("Which first?", conversation=chat)
    reply = await bot.say("Java\nPython\nJ\u0430v\u0430", conversation=chat)
    assert "as “Java” and as “J\u0430v\u0430”" in reply.text
    reply = await bot.say("Java\nPython", conversation=chat)
    assert reply.cards  # on to the settings


async def test_options_are_stored_as_typed_less_the_zero_width_characters(
    bot: BotUnderTest,
) -> None:
    reply = await bot.say("poll Which\u200b first? | Ｊａｖａ | Py\u200bthon | 👩\u200d💻 coding")
    assert reply.cards, reply.text
    async with bot.services.database.unit_of_work() as session:
        poll = (await session.scalars(select(Poll))).one()
    assert poll.question == "Which first?"
    assert poll.options == ["Ｊａｖａ", "Python", "👩\u200d💻 coding"]  # the joiner makes one emoji
