"""Calendar invites through /api/messages: a TAG session from its agenda (`agenda invite <id>`
and the posted card's Add to calendar button) and a meeting series (`remind invite <id>` and
the button on `remind list`), each checked like reading the object it is about. The files are
read by tests/harness/calendar.py, the one place that knows how a file reaches a person."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from storage.models import Agenda
from tests.harness import teams
from tests.harness.agenda import BRUSSELS, TAG, build_agenda
from tests.harness.bot import BotUnderTest, Reply
from tests.harness.calendar import received_invite
from tests.harness.cards import card_text
from tests.harness.files import delivered_files, links_in
from tests.harness.remind import COPENHAGEN, first_meeting, set_up

AARHUS = teams.AARHUS_GENERAL


async def posted_agenda(bot: BotUnderTest) -> Agenda:
    await build_agenda(bot)
    async with bot.services.database.unit_of_work() as session:
        agenda = (await session.scalars(select(Agenda).order_by(Agenda.id.desc()))).first()
        assert agenda is not None
        return agenda


def calendar_buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and "Add to calendar" in node.get("title", ""):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def agenda_cards(bot: BotUnderTest) -> list[dict[str, Any]]:
    return [
        card
        for call in bot.connector.calls
        if call.kind in ("send", "reply")
        for card in call.cards
        if "TAG working session" in card_text(card)
    ]


def refused_with(reply: Reply, words: str) -> None:
    assert words in reply.text, reply.text
    assert not links_in(reply.calls)  # no file went anywhere


async def test_agenda_invite_sends_the_session_as_a_calendar_file(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    agenda = await posted_agenda(bot)
    # Anyone in the TAG channel reads the agenda, so anyone there may take it along.
    reply = await bot.say(f"agenda invite {agenda.id}", conversation=TAG, who=teams.ALICE)
    name, event = await received_invite(bot, reply)
    assert name == "tag-session-1-green-buildings.ics"
    assert "Session 1 of Green Buildings for your calendar" in reply.text
    assert str(event["uid"]) == f"agenda-{agenda.id}@icc-bot"
    assert str(event["summary"]) == "TAG Green Buildings — working session 1"
    assert event["dtstart"].params["TZID"] == "Europe/Brussels"
    start = event.decoded("dtstart")
    assert start == agenda.starts_at.astimezone(BRUSSELS)
    assert (start.hour, start.minute) == (10, 0)
    assert event.decoded("dtend") - start == timedelta(minutes=60)
    assert "Reflection on progress since the last session" in str(event["description"])


async def test_the_posted_agendas_add_to_calendar_button_sends_the_same_file(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    agenda = await posted_agenda(bot)
    (button,) = calendar_buttons(agenda_cards(bot)[-1])
    reply = await bot.execute(button["verb"], button["data"], conversation=TAG, who=teams.BOB)
    assert reply.body["type"] == "application/vnd.microsoft.activity.message"
    assert "calendar invite is posted below" in reply.body["value"]
    _, event = await received_invite(bot, reply)
    assert str(event["uid"]) == f"agenda-{agenda.id}@icc-bot"
    # A member with a role in the TAG gets it in their own chat too.
    reply = await bot.execute(
        button["verb"], button["data"], conversation=teams.personal(teams.LENA), who=teams.LENA
    )
    await received_invite(bot, reply)


async def test_an_agenda_invite_is_refused_where_the_agenda_is_not_read(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    agenda = await posted_agenda(bot)
    # A city channel, another TAG's channel, the chat of someone without a role in the TAG.
    for conversation, who in (
        (AARHUS, teams.ALICE),
        (teams.TOURISM_TAG, teams.PAULO),
        (teams.personal(teams.PAULO), teams.PAULO),
        (teams.personal(teams.BEATRIZ), teams.BEATRIZ),
    ):
        reply = await bot.say(f"agenda invite {agenda.id}", conversation=conversation, who=who)
        refused_with(reply, f"Agenda #{agenda.id} belongs to another conversation")
        reply = await bot.execute(
            "agenda.invite", {"agenda_id": agenda.id}, conversation=conversation, who=who
        )
        assert await delivered_files(bot, reply) == []
        assert "another conversation" in str(reply.body), reply.body
    refused_with(await bot.say("agenda invite 999", conversation=TAG), "I don't know agenda #999.")
    refused_with(await bot.say("agenda invite x1", conversation=TAG), "Which agenda?")
    refused_with(await bot.say("agenda invite", conversation=TAG), "Which agenda?")
    reply = await bot.execute("agenda.invite", {"agenda_id": "1; DROP"}, conversation=TAG)
    assert await delivered_files(bot, reply) == []
    assert "which agenda" in str(reply.body), reply.body


async def test_remind_invite_sends_the_series_as_one_repeating_event(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    series_id = await set_up(bot)
    reply = await bot.say(f"remind invite {series_id}")
    name, event = await received_invite(bot, reply)
    assert name == f"series-{series_id}-aarhus.ics"
    assert f"Series #{series_id} for your calendar" in reply.text
    assert str(event["uid"]) == f"series-{series_id}@icc-bot"
    assert str(event["summary"]) == "Ecosystem call — Aarhus"
    rule = event["rrule"].to_ical()
    assert isinstance(rule, bytes)
    assert rule.startswith(b"FREQ=WEEKLY;INTERVAL=2;BYDAY=")
    assert event["dtstart"].params["TZID"] == "Europe/Copenhagen"
    assert event.decoded("dtstart") == datetime.combine(first_meeting(), time(10), COPENHAGEN)
    text = str(event["description"])
    assert "1st, 3rd, 5th … meeting: Complete ecosystem meeting" in text
    assert "2nd, 4th, 6th … meeting: City reps alignment meeting" in text


async def test_the_add_to_calendar_button_of_remind_list_sends_that_series(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    first = await set_up(bot)
    second = await set_up(bot, time="16:30", kind="custom", text="Budget check; bring, figures")
    reply = await bot.say("remind list", who=teams.BOB)
    buttons = calendar_buttons(reply.cards[0])
    assert [b["data"]["series_id"] for b in buttons] == [first, second]
    reply = await bot.execute(buttons[1]["verb"], buttons[1]["data"], who=teams.BOB)
    assert "calendar invite is posted below" in reply.body["value"]
    _, event = await received_invite(bot, reply)
    assert str(event["summary"]) == "Budget check; bring, figures — Aarhus"
    assert event.decoded("dtstart").strftime("%H:%M") == "16:30"
    assert "alternate" not in str(event["description"])


async def test_a_series_invite_is_refused_outside_its_channel_and_while_paused(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    series_id = await set_up(bot)
    for conversation, who in (
        (teams.BRAGA_GENERAL, teams.BEATRIZ),
        (teams.personal(teams.ALICE), teams.ALICE),  # even its own rep: a series is its channel's
        (TAG, teams.MARTA),
    ):
        reply = await bot.say(f"remind invite {series_id}", conversation=conversation, who=who)
        refused_with(reply, f"Series #{series_id} belongs to another conversation")
        reply = await bot.execute(
            "remind.invite", {"series_id": series_id}, conversation=conversation, who=who
        )
        assert await delivered_files(bot, reply) == []
        assert "another conversation" in str(reply.body), reply.body
    refused_with(await bot.say("remind invite 999"), "I don't know series #999.")
    refused_with(await bot.say("remind invite three"), "Which series?")
    refused_with(await bot.say("remind invite"), "Usage: `remind setup")
    # A paused series: said so, no file, and `remind list` offers no button for it.
    await bot.say(f"remind pause {series_id}")
    refused_with(
        await bot.say(f"remind invite {series_id}"),
        f"Series #{series_id} is paused, so there is no invite for it",
    )
    assert calendar_buttons((await bot.say("remind list")).cards[0]) == []
    reply = await bot.execute("remind.invite", {"series_id": series_id})
    assert await delivered_files(bot, reply) == []
    await bot.say(f"remind resume {series_id}")
    await received_invite(bot, await bot.say(f"remind invite {series_id}"))
