"""Who is speaking: roster people recognised by their Teams ids, never by a display name.

The emulator shows the e-mail resolution for its one user (tests/e2e/roster.yaml knows Alex by
e-mail only); impostors, failures of the lookup and crowds of newcomers are shown here."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select, update

from domain.roster import parse_yaml
from storage.models import ActionItem, Person
from storage.roster import import_roster
from tests.harness import teams
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text
from tests.harness.connector import FakeConnector
from tests.harness.minutes import items, later, run_minutes, setup_value, ticked

# Someone in Teams who calls themselves what a rep of Aarhus is called (in another case).
IMPOSTOR = teams.User(
    id="29:someone-else", name="BOB REP", aad_object_id="0badc0de-0000-4000-8000-000000000001"
)


async def test_a_display_name_like_a_reps_never_gets_the_reps_actions(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say(
        "timezone Europe/Rome", conversation=teams.personal(IMPOSTOR), who=IMPOSTOR
    )
    assert "Europe/Rome" in reply.text
    await run_minutes(bot, actions=f"Draft the port pilot | Bob Rep | {later(30)}")
    async with bot.services.database.unit_of_work() as session:
        pilot = await session.scalar(
            select(ActionItem).where(ActionItem.text == "Draft the port pilot")
        )
    assert pilot is not None

    reply = await bot.say("actions mine", conversation=teams.personal(IMPOSTOR), who=IMPOSTOR)
    shown = reply.text + "".join(card_text(card) for card in reply.cards)
    assert "Draft the port pilot" not in shown
    reply = await bot.execute(
        "actions.set",
        {"action_id": pilot.id, "status": "dropped", "view": "mine"},
        conversation=teams.personal(IMPOSTOR),
        who=IMPOSTOR,
    )
    assert "belongs to another conversation" in reply.body["value"]

    # The real Bob still finds it his.
    reply = await bot.say("actions mine", who=teams.BOB)
    assert "Draft the port pilot" in card_text(reply.cards[0])


async def test_an_owner_name_two_of_the_citys_people_share_links_neither(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    second_bob = "people:\n  - {name: Bob Rep, email: bob.two@aarhus.example, roles: [{role: lead_expert, city: Aarhus}]}\n"
    async with bot.services.database.unit_of_work() as session:
        await import_roster(session, parse_yaml(second_bob))
    await run_minutes(bot, actions=f"Draft the port pilot | Bob Rep | {later(30)}")
    (action,) = [item for item in await items(bot) if item.kind == "action"]
    assert (action.owner_name, action.owner_person_id) == ("Bob Rep", None)
    reply = await bot.say("actions mine", who=teams.BOB)
    assert "Draft the port pilot" not in card_text(reply.cards[0])


async def test_a_rep_of_another_city_is_not_an_owner_of_this_citys_actions(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say("minutes")
    reply = await bot.submit(ticked(reply.cards[0], setup_value(new_stakeholders="")))
    owners = card_text(reply.cards[-1])
    assert "Bob Rep" in owners
    assert "Beatriz Rep" not in owners
    reply = await bot.submit(
        {
            "verb": "dialog",
            "step": "meeting",
            "more_actions": f"Draft the port pilot | Beatriz Rep | {later(30)}",
        }
    )
    assert "I don't know the owner “Beatriz Rep”" in reply.text
    assert "Bob Rep" in reply.text  # the hint names the city's own people


# --- roster people known by e-mail only ------------------------------------------------------

# The test roster knows Kostas, a rep of Kalamata, by e-mail only (no Teams ids).
KOSTAS = teams.user("Kostas Rep")
KOSTAS_EMAIL = "Kostas.Rep@Kalamata.example"  # Teams may spell it in any case


def kostas_in_teams(connector: FakeConnector) -> None:
    connector.add_member(
        KOSTAS.id,
        KOSTAS.name,
        aad_object_id=KOSTAS.aad_object_id,
        email=KOSTAS_EMAIL,
        tenant_id=teams.TENANT,
    )


async def roster_person(bot: BotUnderTest, email: str) -> Person:
    async with bot.services.database.unit_of_work() as session:
        person = await session.scalar(select(Person).where(Person.email == email))
        assert person is not None
        return person


async def test_someone_the_roster_knows_by_email_is_recognised_the_first_time_they_speak(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    kostas_in_teams(bot.connector)
    reply = await bot.say("minutes", conversation=teams.personal(KOSTAS), who=KOSTAS)
    assert reply.cards, reply.text
    assert "Minutes for Kalamata" in card_text(reply.cards[0])  # his role, from the roster
    (lookup,) = bot.connector.member_lookups
    assert (lookup.conversation_id, lookup.member_id) == (teams.personal(KOSTAS).id, KOSTAS.id)
    kostas = await roster_person(bot, KOSTAS_EMAIL.lower())
    assert (kostas.teams_user_id, kostas.aad_object_id) == (KOSTAS.id, KOSTAS.aad_object_id)

    # From now on his ids find him: Teams is not asked again, even in another conversation.
    await bot.say("cancel", conversation=teams.personal(KOSTAS), who=KOSTAS)
    reply = await bot.say("actions mine", conversation=teams.personal(KOSTAS), who=KOSTAS)
    assert "Your open actions" in card_text(reply.cards[0])
    assert len(bot.connector.member_lookups) == 1


async def test_someone_teams_does_not_know_is_asked_about_once_in_the_hour(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    for _ in range(3):
        reply = await bot.say("actions mine", who=teams.OSCAR)
        assert "roster" in reply.text  # no role, and the turn still answers
    assert [lookup.status for lookup in bot.connector.member_lookups] == [404]
    later_on = bot.services.require_members()
    now = later_on.clock()
    later_on.clock = lambda: now + 3601
    await bot.say("actions mine", who=teams.OSCAR)
    assert [lookup.status for lookup in bot.connector.member_lookups] == [404, 404]


async def test_a_member_teams_knows_but_the_roster_does_not_gets_no_role(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    bot.connector.add_member(
        teams.OSCAR.id, teams.OSCAR.name, email="oscar@elsewhere.example", tenant_id=teams.TENANT
    )
    reply = await bot.say("minutes", conversation=teams.personal(teams.OSCAR), who=teams.OSCAR)
    assert "roster" in reply.text
    reply = await bot.say("minutes", conversation=teams.personal(teams.OSCAR), who=teams.OSCAR)
    assert "roster" in reply.text
    assert len(bot.connector.member_lookups) == 1


async def test_when_teams_cannot_answer_the_turn_goes_on_without_a_role_and_says_so_once_in_the_log(
    rostered_bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    bot = rostered_bot
    kostas_in_teams(bot.connector)
    bot.connector.fail(503, method="GET")
    with caplog.at_level(logging.WARNING, logger="bot.members"):
        reply = await bot.say("minutes", conversation=teams.personal(KOSTAS), who=KOSTAS)
        assert "roster" in reply.text
        # Within the minute after a failure Teams is left alone: still no role, no new log line.
        reply = await bot.say("minutes", conversation=teams.personal(KOSTAS), who=KOSTAS)
        assert "roster" in reply.text
    assert [lookup.status for lookup in bot.connector.member_lookups] == [503]
    assert len([r for r in caplog.records if r.name == "bot.members"]) == 1

    # Meanwhile he set his time zone, which made a row of his own; once Teams answers, his
    # roster entry takes over his ids and keeps the zone.
    await bot.say("timezone Europe/Athens", conversation=teams.personal(KOSTAS), who=KOSTAS)
    directory = bot.services.require_members()
    now = directory.clock()
    directory.clock = lambda: now + 61
    reply = await bot.say("minutes", conversation=teams.personal(KOSTAS), who=KOSTAS)
    assert "Minutes for Kalamata" in card_text(reply.cards[0])
    kostas = await roster_person(bot, KOSTAS_EMAIL.lower())
    assert (kostas.teams_user_id, kostas.timezone) == (KOSTAS.id, "Europe/Athens")


async def test_a_person_speaking_twice_at_once_is_looked_up_once_and_recognised_in_both_turns(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    kostas_in_teams(bot.connector)
    bot.connector.hang(0.3, method="GET")  # a slow answer: the second turn arrives meanwhile
    first, second = await asyncio.gather(
        bot.say("actions mine", conversation=teams.personal(KOSTAS), who=KOSTAS),
        bot.say("actions mine", conversation=teams.personal(KOSTAS), who=KOSTAS),
    )
    for reply in (first, second):
        assert reply.cards, reply.text
        assert "Your open actions" in card_text(reply.cards[0])
    assert len(bot.connector.member_lookups) == 1


async def test_nobody_is_looked_up_when_the_roster_knows_everyone_by_their_ids(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    async with bot.services.database.unit_of_work() as session:
        await session.execute(
            update(Person)
            .where(Person.email == KOSTAS_EMAIL.lower())
            .values(aad_object_id=KOSTAS.aad_object_id)
        )
    reply = await bot.say("actions mine", who=teams.OSCAR)
    assert "roster" in reply.text
    assert bot.connector.member_lookups == []


async def test_a_vote_asks_teams_for_nobody(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    reply = await bot.say("poll Lunch? | Yes | No")
    card_call = next(call for call in reply.calls if call.cards)
    poll_id = int(card_text(card_call.card).split("Poll #", 1)[1].split(" ", 1)[0])
    reply = await bot.execute("poll.vote", {"poll_id": poll_id, "choice": "0"}, who=teams.OSCAR)
    assert reply.status == 200, reply.body
    assert bot.connector.member_lookups == []


async def test_a_crowd_of_newcomers_never_has_more_than_a_few_lookups_in_flight(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    crowd = [teams.user(f"Newcomer {n}") for n in range(12)]
    bot.connector.hang(0.5, times=len(crowd), method="GET")
    replies = await asyncio.gather(*(bot.say("actions mine", who=who) for who in crowd))
    assert all("roster" in reply.text for reply in replies)  # every turn answered
    # At most eight at once; whoever came while eight were asked about went on without asking.
    assert bot.connector.most_member_lookups_at_once() <= 8
