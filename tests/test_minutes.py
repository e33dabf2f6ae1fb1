"""Ecosystem-call minutes through /api/messages: the dialog, the recap, exports, permissions."""

from __future__ import annotations

import asyncio
import base64
import io
from datetime import timedelta
from typing import Any

import docx
import pytest
from sqlalchemy import func, select

from app import create_app
from config import Settings
from storage.models import ActionEvent, ActionItem, Minutes, Stakeholder
from tests.harness import roster, teams
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text
from tests.harness.connector import FakeConnector
from tests.harness.minutes import LISBON, items, later, run_minutes, setup_value, ticked, today

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
    reply = await bot.submit({"verb": "dialog", "step": "tour"})
    await bot.say("none")
    await bot.say("none")
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


@pytest.mark.parametrize("step", ["setup", "recap", "agreements", "actions", "closing"])
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
            if reply.cards and "Recap" in card_text(reply.cards[0]):
                await bot.submit({"verb": "dialog", "step": "recap"})
            await bot.submit({"verb": "dialog", "step": "tour"})
            if step in ("actions", "closing"):
                await bot.say("none")
            if step == "closing":
                await bot.say("none")
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
    await first.submit(setup_value())
    await first.submit({"verb": "dialog", "step": "tour"})
    await first.client.close()
    second = BotUnderTest(await aiohttp_client(create_app(settings)), connector)
    reply = await second.say("none")  # the agreements question was pending
    assert "Actions" in reply.text
    await second.say("none")
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
    await bot.submit({"verb": "dialog", "step": "tour"})
    reply = await bot.say("none")
    assert "Actions" in reply.text
    reply = await bot.say(
        f"Do the thing | Energy Agency | {(today() - timedelta(days=2)).isoformat()}"
    )
    assert "in the past" in reply.text
    reply = await bot.say(f"Do the thing | Mystery Org | {later(5)}")
    assert "don't know the owner “Mystery Org”" in reply.text
    reply = await bot.say("just some words")
    assert "what | owner | due date" in reply.text
    reply = await bot.say("none")
    assert reply.cards
    reply = await bot.submit(
        {"verb": "dialog", "step": "closing", "next_steps": "", "next_call": "2001-01-01"}
    )
    assert "in the past" in reply.text
    reply = await bot.submit({"verb": "dialog", "step": "closing", "next_steps": ""})
    assert "record nothing" in reply.text  # empty minutes are not saved
    assert await count(bot, Minutes) == 0
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
    (file,) = reply.calls[-1].attachments
    assert file["name"].endswith(".md")
    markdown = base64.b64decode(file["contentUrl"].split(",", 1)[1]).decode()
    assert "## Agreements" in markdown
    assert "shares the consumption data monthly" in markdown
    assert "| Share the EV charging data | Energy Agency |" in markdown
    assert markdown.index("## Agreements") < markdown.index("## Tour de table")
    reply = await bot.execute("minutes.export", {"minutes_id": 1, "format": "docx"})
    assert reply.body["type"] == "application/vnd.microsoft.activity.message"
    (file,) = reply.calls[-1].attachments
    assert file["name"].endswith(".docx")
    document = docx.Document(io.BytesIO(base64.b64decode(file["contentUrl"].split(",", 1)[1])))
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
