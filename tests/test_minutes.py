"""Ecosystem-call minutes through /api/messages: the dialog, the recap, exports, permissions."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from typing import Any

import docx
import pytest
from sqlalchemy import func, select

from app import create_app
from config import Settings
from storage import actions as action_store
from storage.models import ActionEvent, ActionItem, Minutes, Stakeholder
from tests.harness import roster, teams
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text
from tests.harness.connector import FakeConnector
from tests.harness.files import delivered
from tests.harness.minutes import (
    LISBON,
    action_rows,
    as_shown,
    items,
    later,
    meeting_value,
    run_minutes,
    settle,
    setup_value,
    ticked,
    today,
)

AARHUS = teams.AARHUS_GENERAL


async def count(bot: BotUnderTest, model: Any) -> int:
    async with bot.services.database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_complete_ecosystem_meeting_from_start_to_posted_card(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await run_minutes(
        bot, tour={"t0_progress": "Data platform live", "t1_pain": "Permits take months"}
    )
    assert "Minutes #1 saved" in reply.text
    card = reply.cards[0]
    shown = card_text(card)
    # Agreements and actions come first, before the details.
    assert shown.index("Agreements") < shown.index("Actions") < shown.index("Next steps")
    assert "shares the consumption data monthly" in shown
    assert "Share the EV charging data" in shown
    assert "Energy Agency" in shown
    assert [a["title"] for a in card["actions"]] == [
        "Details",
        "Export (Markdown)",
        "Export (Word)",
        "Edit",
    ]
    async with bot.services.database.unit_of_work() as session:
        (minutes,) = (await session.scalars(select(Minutes))).all()
        register = sorted((await session.scalars(select(Stakeholder.name))).all())
    assert minutes.meeting_type == "complete_ecosystem"
    assert minutes.stakeholders == ["Energy Agency", "Port Authority"]
    assert minutes.reps == ["Alice Rep"]
    assert minutes.tour[0]["progress"] == "Data platform live"
    assert register == ["Energy Agency", "Port Authority"]  # the register grew as names were typed
    saved = await items(bot)
    assert [(i.kind, i.owner_name) for i in saved] == [
        ("agreement", "Energy Agency"), ("agreement", None), ("action", "Energy Agency"), ("action", "Bob Rep"),
    ]  # fmt: skip
    assert (
        saved[3].owner_person_id is not None
    )  # a roster person owns it, so `actions mine` finds it


async def test_a_city_reps_alignment_meeting_with_no_stakeholders_skips_the_tour(
    rostered_bot: BotUnderTest,
) -> None:
    setup = setup_value(
        meeting_type="city_reps_alignment", new_stakeholders="", reps=["Alice Rep", "Bob Rep"]
    )
    reply = await run_minutes(
        rostered_bot,
        setup=setup,
        agreements="none",
        actions=f"Update the ecosystem map | city | {later(7)}",
    )
    assert "Minutes #1 saved" in reply.text
    assert "City reps alignment meeting" in card_text(reply.cards[0])
    (action,) = await items(rostered_bot)
    assert action.owner_type == "city"


async def test_the_next_minutes_recap_exactly_the_open_items_of_that_city_and_group(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    # Another city's minutes, and another group of Aarhus, must not appear in the recap.
    await run_minutes(
        bot,
        conversation=teams.BRAGA_GENERAL,
        who=teams.BEATRIZ,
        setup=setup_value(zone=LISBON, reps=["Beatriz Rep"]),
        actions=f"Braga task | city | {later(3)}",
    )
    await run_minutes(bot, setup=setup_value(group="Mobility", new_stakeholders="Bus Company"), agreements="none",
                      actions=f"Mobility task | Bus Company | {later(3)}")  # fmt: skip
    aarhus_energy = [
        i for i in await items(bot) if i.stakeholder_group == "Energy" and i.city_id == 1
    ]
    reply = await bot.say("minutes")
    reply = await bot.submit(
        ticked(reply.cards[0], setup_value(stakeholders=["Energy Agency"], new_stakeholders=""))
    )
    (recap,) = reply.cards
    shown = card_text(recap)
    for item in aarhus_energy:
        assert item.text in shown
    assert "Braga task" not in shown
    assert "Mobility task" not in shown
    ids = [i.id for i in aarhus_energy]
    statuses = {
        f"r{ids[0]}": "done",
        f"r{ids[1]}": "dropped",
        f"r{ids[2]}": "in_progress",
        f"r{ids[3]}": "done",
    }
    reply = await bot.submit({"verb": "dialog", "step": "recap", **statuses})
    await bot.submit({"verb": "dialog", "step": "meeting"})
    reply = await bot.submit({"verb": "dialog", "step": "closing", "next_steps": ""})
    assert "saved" in reply.text
    by_id = {i.id: i for i in await items(bot)}
    assert [by_id[i].status for i in ids] == ["done", "dropped", "in_progress", "done"]
    async with bot.services.database.unit_of_work() as session:
        events = (await session.scalars(select(ActionEvent))).all()
    assert {(e.action_id, e.status) for e in events} == {
        (ids[0], "done"),
        (ids[1], "dropped"),
        (ids[2], "in_progress"),
        (ids[3], "done"),
    }
    # Status changes carry over: the third minutes recap only what is still open.
    reply = await bot.say("minutes")
    reply = await bot.submit(
        ticked(reply.cards[0], setup_value(stakeholders=["Energy Agency"], new_stakeholders=""))
    )
    shown = card_text(reply.cards[0])
    assert by_id[ids[2]].text in shown
    assert by_id[ids[0]].text not in shown
    assert by_id[ids[1]].text not in shown


@pytest.mark.parametrize("step", ["setup", "recap", "meeting", "closing"])
async def test_cancel_at_any_step_saves_nothing(rostered_bot: BotUnderTest, step: str) -> None:
    bot = rostered_bot
    if step == "recap":
        await run_minutes(bot)
    before = (
        await count(bot, Minutes),
        await count(bot, ActionItem),
        await count(bot, Stakeholder),
    )
    await bot.say("minutes")
    if step != "setup":
        reply = await bot.submit(setup_value(new_stakeholders="New Org"))
        if step == "recap":
            assert "Recap" in card_text(reply.cards[0])
        else:
            assert "Tour de table" in card_text(reply.cards[-1])
            if step == "closing":
                reply = await bot.submit(
                    meeting_value(
                        reply.cards[-1],
                        agreements="New Org: joins the platform",
                        **action_rows(("Send the invite", "New Org", later(5))),
                    )
                )
                assert "Next steps" in card_text(reply.cards[0])
    reply = await bot.say("cancel")
    assert "Cancelled" in reply.text
    assert (
        await count(bot, Minutes),
        await count(bot, ActionItem),
        await count(bot, Stakeholder),
    ) == before


async def test_a_dialog_interrupted_by_a_restart_resumes_where_it_was(
    aiohttp_client: Any, settings: Settings, connector: FakeConnector
) -> None:
    first = BotUnderTest(await aiohttp_client(create_app(settings)), connector)
    await roster.load(first.services.database)
    await first.say("link city Aarhus")
    await first.say("minutes")
    reply = await first.submit(setup_value())
    meeting = reply.cards[-1]
    await first.client.close()
    second = BotUnderTest(await aiohttp_client(create_app(settings)), connector)
    # The meeting card was waiting for its answer.
    reply = await second.submit(
        meeting_value(meeting, agreements="Port Authority: hosts the visit")
    )
    assert "Next steps" in card_text(reply.cards[0])
    reply = await second.submit(
        {"verb": "dialog", "step": "closing", "next_steps": "Plan the visit"}
    )
    assert "Minutes #1 saved" in reply.text


async def test_bad_input_gets_a_specific_reply_and_a_chance_to_fix_it(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await bot.say("minutes")
    reply = await bot.submit(setup_value(date=later(3)))
    assert "in the future" in reply.text
    reply = await bot.submit(setup_value(new_stakeholders="", reps=""))
    assert "tick who attended" in reply.text
    reply = await bot.submit(setup_value())
    card = reply.cards[-1]
    past = (today() - timedelta(days=2)).isoformat()

    def rows(*row: tuple[str, str, str]) -> dict[str, Any]:
        return meeting_value(card, **action_rows(*row))

    def typed(**fields: str) -> dict[str, Any]:
        return {"verb": "dialog", "step": "meeting", **fields}

    problems = [
        # (what the card submits, what the reply must say)
        (rows(("Do the thing", "Energy Agency", past)), "action 1: the due date"),
        (rows(("Do the thing", "", later(5))), "action 1: choose its owner"),
        (rows(("", "Energy Agency", later(5))), "action 1: say what is to be done"),
        (rows(("Do the thing", "Energy Agency", "")), "action 1: give its due date"),
        (rows(("Do the thing", "Energy Agency", "someday")), "read “someday” as a date"),
        # A value the card never offered (a forged submit).
        (typed(x0_what="Do it", x0_owner="s99", x0_due=later(5)), "owner from the list"),
        (typed(more_actions=f"Do the thing | Mystery Org | {later(5)}"), "owner “Mystery Org”"),
        (typed(more_actions="just some words"), "what | owner | due date"),
        (typed(more_actions=f"Do it | Energy Agency | {past}"), "is in the past"),
        (typed(agreements="x" * 600), "under 501 characters"),
        (typed(t0_agreed="x" * 600), "under 501 characters"),
    ]
    for value, said in problems:
        reply = await bot.submit(value)
        assert said in reply.text, (value, reply.text)
        assert reply.text.startswith("Please fix the card:"), reply.text
        assert not reply.cards  # the card stays where it is, to be fixed
    reply = await bot.submit({"verb": "dialog", "step": "meeting"})
    assert "Next steps" in card_text(reply.cards[0])
    reply = await bot.submit(
        {"verb": "dialog", "step": "closing", "next_steps": "", "next_call": "2001-01-01"}
    )
    assert "in the past" in reply.text
    reply = await bot.submit({"verb": "dialog", "step": "closing", "next_steps": ""})
    assert "record nothing" in reply.text  # empty minutes are not saved
    assert (await count(bot, Minutes), await count(bot, ActionItem)) == (0, 0)
    reply = await bot.submit({"verb": "dialog", "step": "closing", "next_steps": "Call the port"})
    assert "saved" in reply.text


async def test_only_the_citys_reps_and_lead_expert_write_its_minutes(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say("minutes", who=teams.OSCAR)
    assert "Only Aarhus's city representatives" in reply.text
    reply = await bot.say("minutes", who=teams.MARTA)
    assert "Only Aarhus's city representatives" in reply.text
    reply = await bot.say("minutes", who=teams.OSCAR, conversation=teams.personal(teams.OSCAR))
    assert "roster" in reply.text
    assert await count(bot, Minutes) == 0


async def test_minutes_started_in_a_personal_chat_are_posted_to_the_city_channel(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    chat = teams.personal(teams.ALICE)
    reply = await run_minutes(bot, conversation=chat)
    assert "posted to General" in reply.text
    channel_posts = [c for c in bot.connector.sent() if c.conversation_id == AARHUS.id and c.cards]
    assert channel_posts, "the minutes card did not reach the city channel"
    assert "Minutes #1" in card_text(channel_posts[-1].card)


async def test_exports_as_markdown_and_word(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    await run_minutes(bot, tour={"t0_progress": "Data platform live"})
    reply = await bot.say("minutes export 1")
    file = await delivered(bot, bot.connector.calls)
    assert file.name.endswith(".md")
    assert file.content_type == "text/markdown"
    assert "I've sent “minutes-1-" in reply.text  # asked in the channel: sent to the 1:1 chat
    markdown = file.text
    assert "## Agreements" in markdown
    assert "shares the consumption data monthly" in markdown
    assert "| Share the EV charging data | Energy Agency |" in markdown
    assert markdown.index("## Agreements") < markdown.index("## Tour de table")
    reply = await bot.execute("minutes.export", {"minutes_id": 1, "format": "docx"})
    assert reply.body["type"] == "application/vnd.microsoft.activity.message"
    file = await delivered(bot, reply.calls)
    assert file.name.endswith(".docx")
    document = docx.Document(io.BytesIO(file.content))
    headings = [
        p.text
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert headings[:2] == ["Agreements", "Actions"]
    assert "Tour de table" in headings
    (table,) = document.tables
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["Action", "Owner", "Due"]
    assert rows[1][:2] == ["Share the EV charging data", "Energy Agency"]


async def test_list_show_and_reading_permissions(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    reply = await bot.say("minutes list")
    assert "#1" in card_text(reply.cards[0])
    reply = await bot.say("minutes show 1", who=teams.OSCAR)  # in the city channel: members read
    assert "Minutes #1" in card_text(reply.cards[0])
    reply = await bot.say("minutes show 1", conversation=teams.BRAGA_GENERAL, who=teams.BEATRIZ)
    assert "Minutes #1 belongs to another conversation" in reply.text
    reply = await bot.say("minutes export 1 pdf")
    assert "`md`" in reply.text
    reply = await bot.say("minutes show x")
    assert "Which minutes?" in reply.text


async def test_markup_in_typed_text_is_shown_literally(rostered_bot: BotUnderTest) -> None:
    reply = await run_minutes(
        rostered_bot, agreements="Energy Agency: see [this](http://evil.example) **now**"
    )
    shown = card_text(reply.cards[0])
    assert r"\[this\]\(http://evil\.example\)" in shown
    assert r"\*\*now\*\*" in shown


async def test_two_reps_adding_the_same_new_stakeholder_at_once_both_save(
    rostered_bot: BotUnderTest,
) -> None:
    """Found by the dialog benchmark on PostgreSQL: two minutes saved at once, both naming a
    stakeholder new to the register, made the second save fail on the register's unique key."""
    from storage import minutes as minutes_store

    database = rostered_bot.services.database
    async with database.sessions() as first, first.begin():
        mine = await minutes_store.ensure_stakeholders(first, 1, ["Energy  Agency", "Port"])
        # The second save starts while the first has added "Energy Agency" but not committed:
        # on PostgreSQL its insert waits for the first transaction, on SQLite its BEGIN does.
        theirs_task = asyncio.create_task(_ensure_in_own_transaction(database, ["energy agency"]))
        await asyncio.sleep(0.3)
        assert not theirs_task.done()
    theirs = await asyncio.wait_for(theirs_task, 10)
    assert theirs == {"energy agency": mine["Energy Agency"].id}
    async with database.unit_of_work() as session:
        names = (await session.scalars(select(Stakeholder.name).order_by(Stakeholder.name))).all()
    assert names == ["Energy Agency", "Port"]


async def _ensure_in_own_transaction(database: Any, names: list[str]) -> dict[str, int]:
    from storage import minutes as minutes_store

    async with database.unit_of_work() as session:
        found = await minutes_store.ensure_stakeholders(session, 1, names)
        return {name: stakeholder.id for name, stakeholder in found.items()}


# --- all on cards: three for the first minutes of a city --------------------------------------


async def test_the_first_minutes_of_a_city_in_a_channel_take_three_cards_and_no_typed_answer(
    rostered_bot: BotUnderTest,
) -> None:
    """In a channel a typed answer reaches the bot only with an @mention: every question is a
    card. Before, the first minutes took six turns, two of them typed answers to @mention."""
    bot = rostered_bot
    turns = []

    async def say(text: str) -> Any:
        turns.append(text)
        return await bot.say(text)

    async def click(value: dict[str, Any]) -> Any:
        turns.append(value["step"])
        return await bot.submit(value)

    reply = await say("minutes")
    (setup,) = reply.cards
    assert card_text(setup).startswith("Minutes for Aarhus")
    reply = await click(ticked(setup, setup_value()))
    meeting = reply.cards[-1]
    shown = card_text(meeting)
    assert "Tour de table" in shown
    assert "Agreements" in shown
    assert "Actions" in shown
    reply = await click(
        meeting_value(
            meeting,
            t0_progress="Data platform live",
            t0_agreed="shares the consumption data monthly",
            agreements="Everyone meets again in two weeks",
            **action_rows(
                ("Share the EV charging data", "Energy Agency", later(14)),
                ("Draft the port pilot", "Bob Rep", later(30)),
                ("Update the ecosystem map", "Aarhus", later(7)),
            ),
            more_actions=f"Book the room | Alice Rep | {later(3)}",
        )
    )
    (closing,) = reply.cards
    assert "Next steps" in card_text(closing)
    reply = await click({"verb": "dialog", "step": "closing", "next_steps": "Invite them"})
    assert "Minutes #1 saved" in reply.text
    assert turns == ["minutes", "setup", "meeting", "closing"]  # the command and three cards
    saved = await items(bot)
    assert [(i.kind, i.text, i.owner_type, i.owner_name) for i in saved] == [
        ("agreement", "shares the consumption data monthly", "stakeholder", "Energy Agency"),
        ("agreement", "Everyone meets again in two weeks", None, None),
        ("action", "Share the EV charging data", "stakeholder", "Energy Agency"),
        ("action", "Draft the port pilot", "person", "Bob Rep"),
        ("action", "Update the ecosystem map", "city", "Aarhus"),
        ("action", "Book the room", "person", "Alice Rep"),
    ]


async def test_the_action_owners_offered_are_who_attended_the_citys_people_and_the_city(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)  # the register now knows Energy Agency and Port Authority
    await bot.say("minutes")
    reply = await bot.submit(setup_value(new_stakeholders="Bus Company", group="Mobility"))
    meeting = reply.cards[-1]
    (owner,) = [
        e for e in _inputs(meeting) if e.get("id") == "x0_owner" and e["type"] == "Input.ChoiceSet"
    ]
    titles = [choice["title"] for choice in owner["choices"]]
    assert titles[0] == "Bus Company"
    assert titles[-1] == "Aarhus"
    assert {"Alice Rep", "Bob Rep"} <= set(titles)
    assert "Energy Agency" not in titles  # in the register, but not at this meeting
    dates = [e for e in _inputs(meeting) if e["type"] == "Input.Date"]
    assert [d["id"] for d in dates] == ["x0_due", "x1_due", "x2_due"]


def _inputs(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    pending: list[Any] = [card["body"]]
    while pending:
        node = pending.pop(0)
        if isinstance(node, list):
            pending[:0] = node
        elif isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input."):
                found.append(node)
            pending[:0] = [node.get(k) for k in ("items", "columns") if k in node]
    return found


# --- the recap keeps every status ------------------------------------------------------------


async def test_a_blocked_action_stays_blocked_when_the_next_minutes_take_the_recap_defaults(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    share = next(i for i in await items(bot) if i.text == "Share the EV charging data")
    async with bot.services.database.unit_of_work() as session:
        item = await action_store.get(session, share.id)
        assert item is not None
        await action_store.set_status(session, item, "blocked", "Alice Rep")
    await bot.say("minutes")
    reply = await bot.submit(setup_value(new_stakeholders="Energy Agency"))
    (recap,) = reply.cards
    (status,) = [e for e in _inputs(recap) if e["id"] == f"r{share.id}"]
    assert [c["title"] for c in status["choices"]] == [
        "open", "ongoing", "done", "blocked", "dropped",
    ]  # fmt: skip
    assert status["value"] == "blocked"
    reply = await bot.submit(as_shown(recap))  # Next, every item as it stands
    reply = await bot.submit({"verb": "dialog", "step": "meeting"})
    reply = await bot.submit({"verb": "dialog", "step": "closing", "next_steps": "Call them"})
    assert "Minutes #2 saved" in reply.text
    by_text = {i.text: i.status for i in await items(bot)}
    assert by_text["Share the EV charging data"] == "blocked"
    assert by_text["Draft the port pilot"] == "open"
    assert "Share the EV charging data: **blocked**" in card_text(reply.cards[0])


async def test_a_recap_status_the_card_does_not_offer_is_refused(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    await bot.say("minutes")
    reply = await bot.submit(setup_value())
    (first, *_) = await items(bot)
    reply = await bot.submit({"verb": "dialog", "step": "recap", f"r{first.id}": "finished"})
    assert "Mark each item" in reply.text
    assert "blocked" in reply.text
    assert (await items(bot))[0].status == "open"


# --- editing saved minutes -------------------------------------------------------------------


async def test_the_author_edits_saved_minutes_and_the_posted_card_is_updated_in_place(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await run_minutes(bot, tour={"t0_progress": "Data platform live"})
    posted = next(call for call in reply.calls if call.cards)
    (edit,) = [a for a in posted.cards[0]["actions"] if a["title"] == "Edit"]
    share = next(i for i in await items(bot) if i.text == "Share the EV charging data")
    async with bot.services.database.unit_of_work() as session:
        item = await action_store.get(session, share.id)
        assert item is not None
        await action_store.set_status(session, item, "done", "Alice Rep")

    reply = await bot.submit(edit["data"])  # the Edit button: Action.Submit, no @mention
    (setup,) = reply.cards
    shown = card_text(setup)
    assert shown.startswith("Minutes for Aarhus")
    assert "Editing minutes #1" in shown
    assert as_shown(setup)["group"] == "Energy"
    reply = await bot.submit(as_shown(setup))  # nothing changed on the first card
    meeting = reply.cards[-1]
    assert "Recap" not in card_text(reply.cards[0])  # the recap was taken with the minutes
    filled = as_shown(meeting)
    assert filled["t0_progress"] == "Data platform live"
    assert filled["t0_agreed"] == "shares the consumption data monthly"
    assert filled["agreements"] == "Everyone meets again in two weeks"
    assert (filled["x0_what"], filled["x0_due"]) == ("Share the EV charging data", later(14))
    assert filled["x1_owner"] == teams.pick(meeting, "x1_owner", "Bob Rep")
    reply = await bot.submit(
        as_shown(
            meeting,
            agreements="",
            x1_what="Draft the port pilot with the utilities",
            x1_due=later(40),
            x2_what="Map the chargers",
            x2_owner="Port Authority",
            x2_due=later(20),
        )
    )
    (closing,) = reply.cards
    assert as_shown(closing)["next_steps"] == "Invite the utilities"
    reply = await bot.submit(as_shown(closing, next_steps="Invite the utilities and the port"))
    assert "Minutes #1 updated" in reply.text
    await settle(bot)

    assert await count(bot, Minutes) == 1
    saved = [(i.kind, i.text, i.owner_name, i.status) for i in await items(bot)]
    assert saved == [
        ("agreement", "shares the consumption data monthly", "Energy Agency", "open"),
        ("action", "Share the EV charging data", "Energy Agency", "done"),  # status kept
        ("action", "Draft the port pilot with the utilities", "Bob Rep", "open"),
        ("action", "Map the chargers", "Port Authority", "open"),
    ]
    (update,) = [u for u in bot.connector.updates() if u.activity_id == posted.returned_id]
    card = card_text(update.cards[0])
    assert "Minutes #1 · Complete ecosystem meeting · edited" in card
    assert "Draft the port pilot with the utilities" in card
    assert "Everyone meets again" not in card
    assert "Invite the utilities and the port" in card
    reply = await bot.say("minutes show 1")
    assert "· edited" in card_text(reply.cards[0])


async def test_a_new_minutes_card_is_not_marked_edited(rostered_bot: BotUnderTest) -> None:
    reply = await run_minutes(rostered_bot)
    assert "edited" not in card_text(reply.cards[0])


async def test_the_citys_other_rep_and_an_admin_may_edit_minutes_a_mentor_and_others_may_not(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    for who in (teams.BOB, teams.ADA):
        reply = await bot.say("minutes edit 1", who=who)
        assert "Editing minutes #1" in card_text(reply.cards[0]), reply.text
        await bot.say("cancel", who=who)
    reply = await bot.say("minutes edit 1", who=teams.ADA, conversation=teams.personal(teams.ADA))
    assert "Editing minutes #1" in card_text(reply.cards[0])
    (edit,) = [
        a for a in (await bot.say("minutes show 1")).cards[0]["actions"] if a["title"] == "Edit"
    ]
    for who in (teams.MARTA, teams.OSCAR):
        for reply in (
            await bot.say("minutes edit 1", who=who),
            await bot.submit(edit["data"], who=who),
        ):
            assert reply.text == (
                "Only the author of minutes #1 and the city's representatives and lead expert "
                "can edit them."
            )
            assert not reply.cards
    reply = await bot.say("minutes edit 1", conversation=teams.BRAGA_GENERAL, who=teams.BEATRIZ)
    assert "belongs to another conversation" in reply.text
    reply = await bot.say("minutes edit 9")
    assert "I don't know minutes #9" in reply.text
    reply = await bot.say("minutes edit")
    assert "Which minutes? Give their number, e.g. `minutes edit 12`" in reply.text
    async with bot.services.database.unit_of_work() as session:
        (minutes,) = (await session.scalars(select(Minutes))).all()
    assert minutes.edited_at is None
    assert minutes.card_version == 1


async def test_an_edit_with_a_mistake_is_refused_on_the_card_and_changes_nothing(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    before = [(i.text, i.due_date) for i in await items(bot)]
    reply = await bot.say("minutes edit 1")
    reply = await bot.submit(as_shown(reply.cards[0]))
    meeting = reply.cards[-1]
    past = (today() - timedelta(days=1)).isoformat()
    reply = await bot.submit(as_shown(meeting, x0_due=past))
    assert "action 1: the due date" in reply.text
    assert "is in the past" in reply.text
    await bot.say("cancel")
    assert [(i.text, i.due_date) for i in await items(bot)] == before
    async with bot.services.database.unit_of_work() as session:
        (minutes,) = (await session.scalars(select(Minutes))).all()
    assert minutes.edited_at is None


# --- the Markdown export ---------------------------------------------------------------------


async def test_the_markdown_export_keeps_ordinary_punctuation_without_backslashes(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(
        bot,
        setup=setup_value(new_stakeholders="Dr. Smith-Jones (Port)"),
        agreements="Dr. Smith-Jones (Port): 50% of 3*4 by Friday\n#1 priority: **really**",
        rows=(("- check the [link](http://evil.example)", "Dr. Smith-Jones (Port)", later(9)),),
        closing={"verb": "dialog", "step": "closing", "next_steps": "- not a list\n# not a title"},
    )
    await bot.say("minutes export 1")
    markdown = (await delivered(bot, bot.connector.calls)).text
    assert "- **Dr. Smith-Jones (Port)**: 50% of 3*4 by Friday" in markdown
    assert "- #1 priority: \\*\\*really\\*\\*" in markdown
    assert "| - check the [link\\](http://evil.example) | Dr. Smith-Jones (Port) |" in markdown
    assert "\\- not a list\n\\# not a title" in markdown


async def test_a_second_click_on_an_earlier_card_does_not_answer_the_next_one(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say("minutes")
    setup = ticked(reply.cards[0], setup_value())
    reply = await bot.submit(setup)
    meeting = reply.cards[-1]
    reply = await bot.submit(setup)  # Next on the setup card again
    assert "That card is already answered" in reply.text
    assert not reply.cards
    reply = await bot.submit(meeting_value(meeting, agreements="Port Authority: hosts us"))
    assert "Next steps" in card_text(reply.cards[0])


async def test_minutes_posted_before_cards_were_kept_in_step_are_edited_and_shown_here(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    async with bot.services.database.unit_of_work() as session:
        (minutes,) = (await session.scalars(select(Minutes))).all()
        minutes.service_url = None  # as migration 0010 leaves minutes posted before it
    reply = await bot.say("minutes edit 1")
    reply = await bot.submit(as_shown(reply.cards[0]))
    reply = await bot.submit(as_shown(reply.cards[-1], agreements="Port Authority: hosts us"))
    reply = await bot.submit(as_shown(reply.cards[0]))
    assert "Minutes #1 updated. Their posted card cannot be changed; here they are:" in reply.text
    assert "hosts us" in card_text(reply.cards[0])
    await settle(bot)
    assert not bot.connector.updates()


async def test_a_card_of_a_cancelled_run_does_not_answer_the_new_one(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say("minutes")
    reply = await bot.submit(ticked(reply.cards[0], setup_value()))
    old_meeting = reply.cards[-1]
    await bot.say("cancel")
    reply = await bot.say("minutes")
    reply = await bot.submit(ticked(reply.cards[0], setup_value()))
    new_meeting = reply.cards[-1]
    reply = await bot.submit(as_shown(old_meeting, agreements="Port Authority: old card"))
    assert "That card is from an earlier run of `minutes`" in reply.text
    assert not reply.cards
    reply = await bot.submit(as_shown(new_meeting, agreements="Port Authority: new card"))
    assert "Next steps" in card_text(reply.cards[0])


@pytest.mark.parametrize(
    ("locale", "written"),
    [
        ("en-GB", "{d.day}/{d.month}"),
        ("de-DE", "{d.day}.{d.month}."),
        ("en-US", "{d.month}/{d.day}"),
    ],
)
async def test_dates_typed_on_the_minutes_cards_are_read_as_the_writers_locale_writes_them(
    rostered_bot: BotUnderTest, locale: str, written: str
) -> None:
    """A client that draws the date picker as a text box submits what was typed: the due date
    of an action, in its row and in the lines for more, and the next call's date."""
    bot = rostered_bot
    due = today() + timedelta(days=20)
    typed = written.format(d=due)
    reply = await bot.say("minutes", locale=locale)
    reply = await bot.submit(ticked(reply.cards[0], setup_value()), locale=locale)
    meeting = reply.cards[-1]
    reply = await bot.submit(
        meeting_value(
            meeting,
            **action_rows(("Share the EV charging data", "Energy Agency", typed)),
            more_actions=f"Book the room | Alice Rep | {typed}",
        ),
        locale=locale,
    )
    assert "Next steps" in card_text(reply.cards[0]), reply.text
    reply = await bot.submit(
        {"verb": "dialog", "step": "closing", "next_steps": "Invite them", "next_call": typed},
        locale=locale,
    )
    assert "Minutes #1 saved" in reply.text
    assert [(i.text, i.due_date) for i in await items(bot) if i.kind == "action"] == [
        ("Share the EV charging data", due),
        ("Book the room", due),
    ]
    async with bot.services.database.unit_of_work() as session:
        (saved,) = (await session.scalars(select(Minutes))).all()
    assert saved.next_call == due
