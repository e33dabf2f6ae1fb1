"""`actions export`: the tracker of a city or TAG as an Excel workbook, through /api/messages,
and who may take it away (DOMAIN.md C5: mentors and outsiders get no city's tracker)."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

from bot.files import File
from domain.exports import XLSX
from storage.models import ActionItem, City
from tests.harness import teams
from tests.harness.agenda import post_summary
from tests.harness.bot import BotUnderTest
from tests.harness.files import delivered_files
from tests.harness.minutes import later, run_braga_minutes, run_minutes, today


def tracker_rows(file: File) -> list[dict[str, object]]:
    """The "Actions" sheet of a delivered workbook, one dict per row by header."""
    book = openpyxl.load_workbook(io.BytesIO(file.content))
    sheet = book["Actions"]
    assert isinstance(sheet, Worksheet)
    header, *rows = ([cell.value for cell in row] for row in sheet.iter_rows())
    return [dict(zip(map(str, header), row, strict=True)) for row in rows]


def about(file: File) -> dict[object, object]:
    sheet = openpyxl.load_workbook(io.BytesIO(file.content))["About"]
    assert isinstance(sheet, Worksheet)
    return {row[0].value: row[1].value for row in sheet.iter_rows()}


async def test_a_city_channel_exports_that_citys_tracker_open_and_closed(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(
        bot,
        rows=(
            ("Share the EV charging data", "Energy Agency", later(14)),
            ("Draft the port pilot", "Bob Rep", later(30)),
            ('=HYPERLINK("http://evil.example","open me")', "Energy Agency", later(7)),
        ),
    )
    await run_braga_minutes(bot)
    async with bot.services.database.unit_of_work() as session:
        pilot = await session.scalar(
            select(ActionItem).where(ActionItem.text == "Draft the port pilot")
        )
    assert pilot is not None
    await bot.execute("actions.set", {"action_id": pilot.id, "status": "done", "view": "open"})

    reply = await bot.say("actions export")
    (file,) = await delivered_files(bot, reply)
    assert file.content_type == XLSX
    assert file.name == f"actions-aarhus-{today().isoformat()}.xlsx"
    assert "The action tracker of Aarhus as Excel: 3 items, open and closed" in reply.text
    rows = tracker_rows(file)
    by_text = {row["Action"]: row for row in rows}
    assert set(by_text) == {
        "Share the EV charging data",
        "Draft the port pilot",
        '=HYPERLINK("http://evil.example","open me")',
    }  # Braga's action stays Braga's
    pilot_row = by_text["Draft the port pilot"]
    assert pilot_row["Action #"] == pilot.id
    assert (pilot_row["Owner"], pilot_row["Status"], pilot_row["Overdue?"]) == (
        "Bob Rep",
        "done",
        "no",
    )
    assert pilot_row["City or TAG"] == "Aarhus"
    assert pilot_row["Source meeting"] == f"Complete ecosystem meeting {today().isoformat()}"
    due = pilot_row["Due"]
    assert isinstance(due, datetime)
    assert due.date().isoformat() == later(30)
    assert isinstance(pilot_row["Updated (Europe/Copenhagen)"], datetime)
    facts = about(file)
    assert facts["Action tracker of"] == "Aarhus"
    assert (facts["Items"], facts["Open"]) == (3, 2)

    book = openpyxl.load_workbook(io.BytesIO(file.content))
    sheet = book["Actions"]
    assert isinstance(sheet, Worksheet)
    hostile = next(row for row in sheet.iter_rows(min_row=2) if str(row[1].value).startswith("="))
    assert hostile[1].data_type == "s"  # text, never a formula


async def test_a_mentor_or_an_outsider_in_a_city_channel_gets_no_file(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    for who in (teams.MARTA, teams.OSCAR, teams.BEATRIZ):
        reply = await bot.say("actions export", who=who)
        assert await delivered_files(bot, reply) == []
        assert "Only Aarhus's city representatives, lead expert and admins" in reply.text
    reply = await bot.say("actions export", who=teams.ADA)
    assert len(await delivered_files(bot, reply)) == 1


async def test_a_tag_channel_exports_the_tags_commitments_to_its_members(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    await post_summary(
        bot, f"Aarhus | Retrofit two schools | {later(20)}\nBraga | Map the rooftops"
    )
    reply = await bot.say("actions export", conversation=teams.GREEN_TAG, who=teams.MARTA)
    (file,) = await delivered_files(bot, reply)
    assert file.name.startswith("actions-tag-green-buildings-")
    assert "The commitments of TAG Green Buildings as Excel: 2 items" in reply.text
    rows = tracker_rows(file)
    assert [(row["Action"], row["Owner"], row["City or TAG"]) for row in rows] == [
        ("Retrofit two schools", "Aarhus", "Aarhus"),
        ("Map the rooftops", "Braga", "Braga"),
    ]  # no city's own actions from its ecosystem calls
    assert {row["Source meeting"] for row in rows} == {"TAG session 1 (Green Buildings)"}
    assert rows[1]["Due"] is None
    assert about(file)["Action tracker of"] == "TAG Green Buildings"
    # A rep of one of its cities may take it too; another TAG's mentor and outsiders may not.
    reply = await bot.say("actions export", conversation=teams.GREEN_TAG, who=teams.BEATRIZ)
    assert len(await delivered_files(bot, reply)) == 1
    for who in (teams.PAULO, teams.OSCAR):
        reply = await bot.say("actions export", conversation=teams.GREEN_TAG, who=who)
        assert await delivered_files(bot, reply) == []
        assert "Only Green Buildings's mentor and experts" in reply.text


async def test_in_a_1_1_chat_the_one_city_is_exported_and_several_need_a_name(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    await run_braga_minutes(bot)
    reply = await bot.say("actions export", conversation=teams.personal(teams.ALICE))
    (file,) = await delivered_files(bot, reply)
    assert {row["Action"] for row in tracker_rows(file)} == {
        "Share the EV charging data",
        "Draft the port pilot",
    }
    reply = await bot.say(
        "actions export Braga", conversation=teams.personal(teams.ALICE), who=teams.ALICE
    )
    assert await delivered_files(bot, reply) == []
    assert "You can't export Braga's action tracker" in reply.text

    admin = teams.personal(teams.ADA)
    reply = await bot.say("actions export", conversation=admin, who=teams.ADA)
    assert await delivered_files(bot, reply) == []
    assert "several cities or TAGs (Aarhus, Braga, Curitiba, Kalamata, Valencia)" in reply.text
    reply = await bot.say("actions export braga", conversation=admin, who=teams.ADA)
    (file,) = await delivered_files(bot, reply)
    assert [row["Action"] for row in tracker_rows(file)] == ["Braga task"]
    reply = await bot.say("actions export Bragaa", conversation=admin, who=teams.ADA)
    assert "I don't know a city or TAG called" in reply.text
    assert "Braga" in reply.text

    reply = await bot.say(
        "actions export", conversation=teams.personal(teams.MARTA), who=teams.MARTA
    )
    (file,) = await delivered_files(
        bot, reply
    )  # a mentor's one TAG: its commitments, no city's actions
    assert about(file)["Action tracker of"] == "TAG Green Buildings"
    assert tracker_rows(file) == []
    reply = await bot.say(
        "actions export Aarhus", conversation=teams.personal(teams.MARTA), who=teams.MARTA
    )
    assert await delivered_files(bot, reply) == []
    reply = await bot.say(
        "actions export", conversation=teams.personal(teams.OSCAR), who=teams.OSCAR
    )
    assert await delivered_files(bot, reply) == []
    assert "roster" in reply.text


async def test_a_channel_exports_its_own_city_only(rostered_bot: BotUnderTest) -> None:
    reply = await rostered_bot.say("actions export Braga")
    assert await delivered_files(rostered_bot, reply) == []
    assert "Here I export Aarhus's tracker only" in reply.text
    reply = await rostered_bot.say("actions export aarhus")
    assert len(await delivered_files(rostered_bot, reply)) == 1


async def test_the_export_button_under_the_list_sends_the_same_workbook_to_those_allowed(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    await run_braga_minutes(bot)
    card = (await bot.say("actions")).cards[0]
    (button,) = [a for a in card["actions"] if a["title"] == "Export to Excel"]
    reply = await bot.execute(button["verb"], button["data"])
    assert reply.body["value"] == "The action tracker is sent as an Excel workbook."
    (file,) = await delivered_files(bot, reply)
    assert {row["Action"] for row in tracker_rows(file)} == {
        "Share the EV charging data",
        "Draft the port pilot",
    }
    reply = await bot.execute(button["verb"], button["data"], who=teams.MARTA)
    assert "Only Aarhus's city representatives" in reply.body["value"]
    assert await delivered_files(bot, reply) == []


async def test_an_unlinked_channel_gets_no_tracker_even_for_an_admin(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await run_minutes(bot)
    elsewhere = teams.channel("General", team="Programme Lounge")
    for who in (teams.ALICE, teams.ADA):
        reply = await bot.say("actions export Aarhus", conversation=elsewhere, who=who)
        assert await delivered_files(bot, reply) == []
        assert "I can't tell whose tracker to export here" in reply.text


async def test_the_buttons_submit_fallback_sends_the_workbook_too(
    rostered_bot: BotUnderTest,
) -> None:
    """Older hosts send Action.Execute's fallback, an Action.Submit message with the same data."""
    bot = rostered_bot
    await run_minutes(bot)
    reply = await bot.submit({"verb": "actions.export", "action_id": "not a number"})
    (file,) = await delivered_files(bot, reply)  # fields the button never sends are ignored
    assert len(tracker_rows(file)) == 2


async def test_a_city_with_a_name_as_long_as_the_roster_allows_still_gets_its_workbook(
    rostered_bot: BotUnderTest,
) -> None:
    """The file name holds the city's slug: it is shortened to what the kept file's name
    column holds (200), its extension kept, instead of failing the turn on PostgreSQL."""
    bot = rostered_bot
    long_name = "Aarhus " + "Kommune " * 24  # 199 characters, a City name's limit is 200
    async with bot.services.database.unit_of_work() as session:
        city = await session.scalar(select(City).where(City.name == "Aarhus"))
        assert city is not None
        city.name = long_name.strip()
    reply = await bot.say("actions export")
    assert reply.status in (200, 201)
    (file,) = await delivered_files(bot, reply)
    assert file.name.startswith("actions-aarhus-kommune-")
    assert file.name.endswith(".xlsx")
    assert len(file.name) <= 200
