"""TAG agendas and summaries through /api/messages: the session cycle of a TAG."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from dialogs.agenda.service import card_sync as agenda_card_sync
from dialogs.summary.service import card_sync as summary_card_sync
from domain.agenda import SESSION_INTERVAL_WEEKS
from storage.models import ActionItem, Agenda, AgendaProposal, TagSummary
from tests.harness import clock, teams
from tests.harness.agenda import (
    BRUSSELS,
    TAG,
    build_agenda,
    commitments_answer,
    post_summary,
    unchanged,
    when,
)
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text
from tests.harness.remind import series_row, set_up


def in_days(days: int) -> str:
    return clock.in_days(days, BRUSSELS)


async def agenda_row(bot: BotUnderTest) -> Agenda:
    async with bot.services.database.unit_of_work() as session:
        return (await session.scalars(select(Agenda).order_by(Agenda.id.desc()))).first()  # type: ignore[return-value]


async def test_the_mentor_builds_and_posts_the_first_agenda(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    reply = await bot.say("agenda", conversation=TAG, who=teams.MARTA)
    shown = card_text(reply.cards[0])
    assert "Session 1 of 10" in shown
    assert "first session" in shown
    assert "Early session: coaching" in shown  # guiding questions by stage
    reply = await bot.submit(when(), conversation=TAG, who=teams.MARTA)
    editing = card_text(reply.cards[0])
    assert "Recap of last session's commitments" in editing
    assert "No open commitments from earlier sessions." in editing
    assert "60 of 60 min" in editing
    # Add a 15-minute guest talk at position 3 and see the total go over, flagged.
    reply = await bot.submit(
        {
            **unchanged(6),
            "new_title": "Guest talk: Valencia's retrofit fund",
            "new_minutes": 15,
            "new_order": 3,
            "do": "update",
        },
        conversation=TAG,
        who=teams.MARTA,
    )
    updated = card_text(reply.cards[0])
    assert "75 of 60 min: 15 min over" in updated
    # Reorder (move the last item first), remove one, post.
    form = {**unchanged(7), "order6": 1, "remove3": "true", "do": "post"}
    reply = await bot.submit(form, conversation=TAG, who=teams.MARTA)
    card = reply.cards[0]
    shown = card_text(card)
    assert "TAG working session 1 of 10" in shown
    assert shown.index("Shared commitments and next meeting") < shown.index(
        "Agenda and objective setting"
    )
    assert "Guest talk" in shown
    assert "Confirm attendance" in shown  # the preparation checklist
    assert "{{DATE(" in shown  # each reader sees their own time zone
    titles = [a["title"] for a in card["actions"]]
    assert titles == [
        "I'll attend",
        "Can't attend",
        "Propose an item",
        "Guiding questions",
        "Edit agenda",
    ]
    agenda = await agenda_row(bot)
    assert agenda.session_number == 1
    assert agenda.timezone == "Europe/Brussels"
    assert agenda.items[0]["title"] == "Shared commitments and next meeting"
    assert agenda.starts_at.astimezone(BRUSSELS).hour == 10


async def test_bad_times_and_minutes_are_refused_with_a_reason(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    await bot.say("agenda", conversation=TAG, who=teams.MARTA)
    reply = await bot.submit(when(day="2020-01-01"), conversation=TAG, who=teams.MARTA)
    assert "already passed" in reply.text
    reply = await bot.submit(when(timezone="Mars/Base"), conversation=TAG, who=teams.MARTA)
    assert "time zone" in reply.text
    await bot.submit(when(), conversation=TAG, who=teams.MARTA)
    reply = await bot.submit(
        {**unchanged(6), "minutes2": "0", "do": "update"}, conversation=TAG, who=teams.MARTA
    )
    assert "between 1 and 180" in reply.text


async def test_only_the_mentor_and_experts_build_the_agenda(rostered_bot: BotUnderTest) -> None:
    reply = await rostered_bot.say("agenda", conversation=TAG, who=teams.ALICE)
    assert "Only the mentor and the experts of Green Buildings" in reply.text
    reply = await rostered_bot.say(
        "agenda", conversation=TAG, who=teams.LENA
    )  # the lead expert may
    assert reply.cards


async def test_summary_is_refused_to_a_city_rep_and_accepted_from_the_mentor(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say("summary", conversation=TAG, who=teams.ALICE)
    assert "Only the mentor and the experts of Green Buildings" in reply.text
    reply = await post_summary(
        bot,
        f"Aarhus | Publish the retrofit map | {in_days(20)}\nBraga | Share the heat-pump tender",
    )
    assert "Summary #1 posted" in reply.text
    shown = card_text(reply.cards[0])
    assert "Pool the tenders" in shown
    assert "Publish the retrofit map" in shown
    async with bot.services.database.unit_of_work() as session:
        commitments = (
            await session.scalars(select(ActionItem).where(ActionItem.kind == "commitment"))
        ).all()
    assert {(c.owner_name, c.owner_type, c.tag_id is not None) for c in commitments} == {
        ("Aarhus", "city", True),
        ("Braga", "city", True),
    }
    # They land in the action tracker of the TAG channel.
    reply = await bot.say("actions", conversation=TAG, who=teams.MARTA)
    assert "Publish the retrofit map" in card_text(reply.cards[0])


async def test_commitments_must_name_a_city_of_the_tag(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    reply = await post_summary(bot, "Lisbon | Something")
    assert "not a city of this TAG" in reply.text
    reply = await bot.submit(
        commitments_answer(f"Aarhus | Something | {in_days(-3)}"), conversation=TAG, who=teams.MARTA
    )
    assert "in the past" in reply.text
    reply = await bot.submit(commitments_answer("none"), conversation=TAG, who=teams.MARTA)
    assert "posted" in reply.text


async def test_the_next_agenda_recaps_the_open_commitments_of_that_tag_only(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await build_agenda(bot)
    await post_summary(
        bot,
        f"Aarhus | Publish the retrofit map | {in_days(20)}\nBraga | Share the heat-pump tender",
    )
    await post_summary(
        bot, "Kalamata | Tourism-only commitment", who=teams.PAULO, conversation=teams.TOURISM_TAG
    )
    async with bot.services.database.unit_of_work() as session:
        braga = await session.scalar(
            select(ActionItem).where(ActionItem.text == "Share the heat-pump tender")
        )
    assert braga is not None
    await bot.execute(
        "actions.set", {"action_id": braga.id, "status": "done", "view": "open"}, who=teams.BEATRIZ
    )
    reply = await bot.say("agenda", conversation=TAG, who=teams.MARTA)
    assert "Session 2 of 10" in card_text(reply.cards[0])
    reply = await bot.submit(when(session=2), conversation=TAG, who=teams.MARTA)
    editing = card_text(reply.cards[0])
    assert "Publish the retrofit map" in editing
    assert "Aarhus" in editing
    assert "heat-pump tender" not in editing  # done: no longer open
    assert "Tourism-only commitment" not in editing  # another TAG's


async def test_attendance_counts_update_in_place_and_a_duplicate_counts_once(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await build_agenda(bot)
    agenda = await agenda_row(bot)
    activity = teams.execute(
        "agenda.rsvp",
        {"agenda_id": agenda.id, "attending": True},
        service_url=bot.connector.url,
        conversation=TAG,
        who=teams.ALICE,
    )
    first = await bot.post(activity)
    second = await bot.post(activity)
    assert "Attending: 1" in card_text(first.body["value"])
    assert "Attending: 1" in card_text(second.body["value"])
    reply = await bot.execute(
        "agenda.rsvp", {"agenda_id": agenda.id, "attending": False}, conversation=TAG, who=teams.BOB
    )
    assert "Can't attend: 1" in card_text(reply.body["value"])
    from dialogs.agenda.service import card_sync

    await card_sync(bot.services).coalescer.wait_idle()
    await bot.services.require_outbox().wait_empty()
    final = bot.connector.updates()[-1]
    assert final.activity_id == agenda.activity_id
    assert "Attending: 1** · Can't attend: 1" in card_text(final.card)


async def test_members_propose_items_and_the_owner_accepts_or_declines(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await build_agenda(bot)
    agenda = await agenda_row(bot)
    reply = await bot.execute(
        "agenda.propose",
        {"agenda_id": agenda.id, "title": "Heat maps", "minutes": 10},
        conversation=TAG,
        who=teams.ALICE,
    )
    assert "Proposed items" in card_text(reply.body["value"])
    await bot.execute(
        "agenda.propose",
        {"agenda_id": agenda.id, "title": "Off-topic", "minutes": 5},
        conversation=TAG,
        who=teams.BOB,
    )
    reply = await bot.execute(
        "agenda.propose",
        {"agenda_id": agenda.id, "title": "", "minutes": 5},
        conversation=TAG,
        who=teams.BOB,
    )
    assert "needs a title" in reply.body["value"]
    heat, off = 1, 2
    reply = await bot.execute(
        "agenda.decide",
        {"agenda_id": agenda.id, "proposal_id": heat, "accept": True},
        conversation=TAG,
        who=teams.ALICE,
    )
    assert "only Marta Mentor" in reply.body["value"]
    reply = await bot.execute(
        "agenda.decide",
        {"agenda_id": agenda.id, "proposal_id": heat, "accept": True},
        conversation=TAG,
        who=teams.MARTA,
    )
    shown = card_text(reply.body["value"])
    assert "6. Heat maps" in shown  # before the closing item (issue 19)
    reply = await bot.execute(
        "agenda.decide",
        {"agenda_id": agenda.id, "proposal_id": off, "accept": False},
        conversation=TAG,
        who=teams.MARTA,
    )
    assert "Off-topic" not in card_text(reply.body["value"])
    reply = await bot.execute(
        "agenda.decide",
        {"agenda_id": agenda.id, "proposal_id": off, "accept": True},
        conversation=TAG,
        who=teams.MARTA,
    )
    assert "already declined" in reply.body["value"]
    agenda = await agenda_row(bot)
    assert [i["title"] for i in agenda.items][-2:] == [
        "Heat maps",
        "Shared commitments and next meeting",
    ]


async def test_accepting_a_proposal_on_a_full_agenda_is_refused_and_changes_nothing(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await build_agenda(bot)
    agenda = await agenda_row(bot)
    async with bot.services.database.unit_of_work() as session:
        row = await session.get(Agenda, agenda.id)
        assert row is not None
        first = row.items[0]
        row.items = [{**first, "title": f"Item {n}"} for n in range(1, 16)]
    await bot.execute(
        "agenda.propose",
        {"agenda_id": agenda.id, "title": "Heat maps", "minutes": 10},
        conversation=TAG,
        who=teams.ALICE,
    )
    reply = await bot.execute(
        "agenda.decide",
        {"agenda_id": agenda.id, "proposal_id": 1, "accept": True},
        conversation=TAG,
        who=teams.MARTA,
    )
    assert reply.body["value"] == "An agenda holds at most 15 items."
    async with bot.services.database.unit_of_work() as session:
        proposal = (await session.scalars(select(AgendaProposal))).one()
        row = await session.get(Agenda, agenda.id)
    assert proposal.status == "pending"
    assert row is not None
    assert [item["title"] for item in row.items] == [f"Item {n}" for n in range(1, 16)]


async def test_editing_a_summary_updates_its_card_in_place(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    await post_summary(bot, "none")
    async with bot.services.database.unit_of_work() as session:
        summary = (await session.scalars(select(TagSummary))).one()
    bot.connector.clear()
    reply = await bot.say(f"summary edit {summary.id}", conversation=TAG, who=teams.MARTA)
    assert "Retrofit financing" in card_text(reply.cards[0])  # prefilled
    form = {
        "verb": "dialog",
        "step": "summary",
        "session": 1,
        "key_points": "Retrofit financing and heat maps",
        "takeaway0": "Pool the tenders",
    }
    reply = await bot.submit(form, conversation=TAG, who=teams.MARTA)
    assert "updated" in reply.text
    await summary_card_sync(bot.services).coalescer.wait_idle()
    await bot.services.require_outbox().wait_empty()
    (update,) = bot.connector.updates()
    assert update.activity_id == summary.activity_id
    assert "heat maps" in card_text(update.card)
    assert "edited" in card_text(update.card)


async def test_an_edited_summary_reaches_its_card_after_teams_refused_the_update(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await post_summary(bot, "none")
    async with bot.services.database.unit_of_work() as session:
        summary = (await session.scalars(select(TagSummary))).one()
    reply = await bot.say(f"summary edit {summary.id}", conversation=TAG, who=teams.MARTA)
    assert reply.cards, reply.text
    bot.connector.clear()
    bot.connector.down = True  # Teams refuses every send and update
    form = {
        "verb": "dialog",
        "step": "summary",
        "session": 1,
        "key_points": "Retrofit financing and heat maps",
        "takeaway0": "Pool the tenders",
    }
    await bot.submit(form, conversation=TAG, who=teams.MARTA)
    await summary_card_sync(bot.services).coalescer.wait_idle()
    refused = [c for c in bot.connector.calls if c.kind == "update"]
    assert refused
    assert all(c.status >= 500 for c in refused)
    assert bot.connector.updates() == []
    bot.connector.down = False
    bot.services.require_outbox().wake()
    await bot.connector.wait_for(lambda c: c.updates(), within=40)
    await bot.services.require_outbox().wait_empty()
    final = bot.connector.updates()[-1]
    assert final.activity_id == summary.activity_id
    assert "heat maps" in card_text(final.card)
    assert "edited" in card_text(final.card)
    async with bot.services.database.unit_of_work() as session:
        row = await session.get(TagSummary, summary.id)
        assert row is not None
        assert row.synced_version == row.card_version == 2  # nothing left to catch up


async def test_a_summary_edit_whose_card_update_was_never_sent_is_caught_up(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await post_summary(bot, "none")
    # The edit was committed, then the process died before the card update was queued.
    async with bot.services.database.unit_of_work() as session:
        summary = (await session.scalars(select(TagSummary))).one()
        summary.key_points = "Retrofit financing and heat maps"
        summary.updated_at = summary.created_at + timedelta(minutes=5)
        summary.card_version = 2
    bot.connector.clear()
    assert await summary_card_sync(bot.services).catch_up() == 1
    await summary_card_sync(bot.services).coalescer.wait_idle()
    await bot.services.require_outbox().wait_empty()
    (update,) = bot.connector.updates()
    assert update.activity_id == summary.activity_id
    assert "heat maps" in card_text(update.card)


# --- issue 19: dates as people write them; channels ask on cards; "edited" only after an edit ---


async def test_commitment_due_dates_are_read_the_way_the_writers_locale_writes_them(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    # Day first, as Germans write them; days 3 and 12 of a month are not months 3 and 12.
    soon, later = (clock.today(BRUSSELS) + timedelta(days=n) for n in (10, 40))
    reply = await post_summary(
        bot,
        f"Aarhus | Publish the retrofit map | {soon.day}/{soon.month}\n"
        f"Braga | Share the heat-pump tender | {later.day}.{later.month}.",
        locale="de-DE",
    )
    assert "posted" in reply.text, reply.text
    shown = card_text(reply.cards[0]) if reply.cards else ""
    async with bot.services.database.unit_of_work() as session:
        dues = {
            c.text: c.due_date
            for c in (
                await session.scalars(select(ActionItem).where(ActionItem.kind == "commitment"))
            ).all()
        }
    assert dues == {"Publish the retrofit map": soon, "Share the heat-pump tender": later}
    assert "edited" not in shown


async def test_an_unreadable_due_date_is_refused_on_the_card_and_nothing_is_saved(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await post_summary(bot, "Aarhus | Publish the retrofit map | 31/2")
    assert "due date" in reply.text
    assert "not a date" in reply.text
    async with bot.services.database.unit_of_work() as session:
        assert (await session.scalars(select(TagSummary))).all() == []


async def test_in_a_channel_the_summary_asks_for_the_commitments_on_a_card(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await bot.say("summary", conversation=TAG, who=teams.MARTA)
    form = {
        "verb": "dialog", "step": "summary", "session": 1,
        "key_points": "Retrofit financing", "takeaway0": "Pool the tenders",
    }  # fmt: skip
    reply = await bot.submit(form, conversation=TAG, who=teams.MARTA)
    (card,) = reply.cards
    assert "Commitments until the next session" in card_text(card)
    assert [a["title"] for a in card["actions"]] == ["Save", "No commitments"]
    # A click reaches the bot without an @mention: the answer needs none.
    reply = await bot.submit(commitments_answer("none"), conversation=TAG, who=teams.MARTA)
    assert "posted" in reply.text


async def test_a_new_summary_is_not_labelled_edited(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    reply = await post_summary(bot, "none")
    shown = card_text(reply.cards[0])
    assert "TAG summary #1" in shown
    assert "edited" not in shown


def when_values(card: dict[str, Any]) -> dict[str, Any]:
    return {
        e["id"]: e.get("value")
        for e in card["body"]
        if isinstance(e, dict) and e.get("type", "").startswith("Input.")
    }


async def test_the_next_session_defaults_to_one_tag_interval_after_the_last(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await build_agenda(bot)  # session 1: next week, 10:00 Brussels
    first = await agenda_row(bot)
    reply = await bot.say("agenda", conversation=TAG, who=teams.MARTA)
    shown = when_values(reply.cards[0])
    assert shown["session"] == 2
    expected = first.starts_at.astimezone(BRUSSELS) + timedelta(weeks=SESSION_INTERVAL_WEEKS)
    assert shown["day"] == expected.date().isoformat()  # not session 1's date
    assert shown["time"] == "10:00"


async def test_running_agenda_again_for_a_posted_session_corrects_its_card_in_place(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await build_agenda(bot, edits={"remove3": "true"})  # posted without item 4
    posted = await agenda_row(bot)
    await bot.execute(
        "agenda.rsvp",
        {"agenda_id": posted.id, "attending": True},
        conversation=TAG,
        who=teams.ALICE,
    )
    reply = await bot.say("agenda", conversation=TAG, who=teams.MARTA)
    shown = when_values(reply.cards[0])  # session 2's defaults
    bot.connector.clear()
    # The person asks for session 1 instead and leaves the rest as shown.
    reply = await bot.submit(
        when(session=1, day=shown["day"], time=shown["time"]), conversation=TAG, who=teams.MARTA
    )
    editing = card_text(reply.cards[0])
    assert "already posted" in editing
    assert "New phase-specific topics" not in editing  # what was posted, not the template
    assert "Update the posted agenda" in editing
    form = {**unchanged(5), "title0": "Welcome and objectives", "do": "post"}
    reply = await bot.submit(form, conversation=TAG, who=teams.MARTA)
    assert "session 1 is updated" in reply.text
    await agenda_card_sync(bot.services).coalescer.wait_idle()
    await bot.services.require_outbox().wait_empty()
    assert not [c for c in bot.connector.calls if c.kind == "send"]  # no second card
    final = bot.connector.updates()[-1]
    assert final.activity_id == posted.activity_id
    now_shown = card_text(final.card)
    assert "1. Welcome and objectives" in now_shown
    assert "updated" in now_shown
    assert "Attending: 1" in now_shown  # the answers are kept
    async with bot.services.database.unit_of_work() as session:
        (row,) = (await session.scalars(select(Agenda))).all()
    # The date the when card proposed was the next session's: left as shown, session 1 keeps its own.
    assert row.starts_at == posted.starts_at


async def test_the_edit_button_on_a_posted_agenda_opens_it_as_posted(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await build_agenda(bot, edits={"title0": "Welcome"})
    posted = await agenda_row(bot)
    (edit,) = [a for a in (await latest_agenda_card(bot))["actions"] if a["title"] == "Edit agenda"]
    reply = await bot.submit(edit["data"], conversation=TAG, who=teams.MARTA)
    shown = card_text(reply.cards[0])
    assert "Session 1 of 10" in shown
    assert "correcting the posted agenda" in shown
    day = when_values(reply.cards[0])["day"]
    assert day == posted.starts_at.astimezone(BRUSSELS).date().isoformat()
    reply = await bot.submit(when(day=day), conversation=TAG, who=teams.MARTA)
    assert "Welcome" in card_text(reply.cards[0])
    # A city rep cannot.
    reply = await bot.submit(edit["data"], conversation=TAG, who=teams.ALICE)
    assert "Only the mentor and the experts" in reply.text


async def test_an_accepted_proposal_goes_before_the_closing_item_and_an_overrun_is_flagged(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await build_agenda(bot)
    agenda = await agenda_row(bot)
    await bot.execute(
        "agenda.propose",
        {"agenda_id": agenda.id, "title": "Heat maps", "minutes": 10},
        conversation=TAG,
        who=teams.ALICE,
    )
    reply = await bot.execute(
        "agenda.decide",
        {"agenda_id": agenda.id, "proposal_id": 1, "accept": True},
        conversation=TAG,
        who=teams.MARTA,
    )
    shown = card_text(reply.body["value"])
    assert shown.index("Heat maps") < shown.index("Shared commitments and next meeting")
    assert "⚠ 70 of 60 min: 10 min over the session" in shown  # said, not hidden


async def latest_agenda_card(bot: BotUnderTest) -> dict[str, Any]:
    cards = [
        card
        for call in bot.connector.calls
        if call.kind in ("send", "reply")
        for card in call.cards
        if "TAG working session" in card_text(card)
    ]
    return cards[-1]


async def test_an_agenda_date_typed_as_the_locale_writes_it_is_read(
    rostered_bot: BotUnderTest,
) -> None:
    """A client that draws the date input as a text box submits what was typed."""
    bot = rostered_bot
    day = clock.today(BRUSSELS) + timedelta(days=12)
    await bot.say("agenda", conversation=TAG, who=teams.MARTA)
    reply = await bot.submit(
        when(day=f"{day.day}.{day.month}."), conversation=TAG, who=teams.MARTA, locale="de-DE"
    )
    assert "Build the agenda" in card_text(reply.cards[0]), reply.text
    await bot.submit({**unchanged(6), "do": "post"}, conversation=TAG, who=teams.MARTA)
    agenda = await agenda_row(bot)
    assert agenda.starts_at.astimezone(BRUSSELS).date() == day
    # Unreadable, it is refused with a reason and nothing is saved.
    await bot.say("agenda", conversation=TAG, who=teams.MARTA)
    reply = await bot.submit(when(day="31/2"), conversation=TAG, who=teams.MARTA)
    assert "Please fix the card" in reply.text
    assert "-02-31 is not a date" in reply.text
    async with bot.services.database.unit_of_work() as session:
        assert len((await session.scalars(select(Agenda))).all()) == 1


async def test_a_session_posted_meanwhile_by_someone_else_is_not_posted_twice(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    await bot.say("agenda", conversation=teams.personal(teams.MARTA), who=teams.MARTA)
    reply = await bot.submit(when(), conversation=teams.personal(teams.MARTA), who=teams.MARTA)
    assert "Build the agenda" in card_text(reply.cards[0])
    await build_agenda(bot, who=teams.LENA)  # the lead expert posts session 1 meanwhile
    reply = await bot.submit(
        {**unchanged(6), "do": "post"}, conversation=teams.personal(teams.MARTA), who=teams.MARTA
    )
    assert "was posted meanwhile by" in reply.text
    assert "agenda edit 1" in reply.text
    async with bot.services.database.unit_of_work() as session:
        assert len((await session.scalars(select(Agenda))).all()) == 1


async def test_a_summary_saved_unchanged_is_not_labelled_edited(rostered_bot: BotUnderTest) -> None:
    bot = rostered_bot
    await post_summary(bot, "none")
    bot.connector.clear()
    reply = await bot.say("summary edit 1", conversation=TAG, who=teams.MARTA)
    assert reply.cards, reply.text
    form = {
        "verb": "dialog", "step": "summary", "session": 1,
        "key_points": "Retrofit financing", "takeaway0": "Pool the tenders",
        "takeaway1": "Share energy data",
    }  # fmt: skip
    reply = await bot.submit(form, conversation=TAG, who=teams.MARTA)
    assert "unchanged" in reply.text
    await summary_card_sync(bot.services).coalescer.wait_idle()
    await bot.services.require_outbox().wait_empty()
    assert bot.connector.updates() == []
    async with bot.services.database.unit_of_work() as session:
        row = await session.get(TagSummary, 1)
        assert row is not None
        assert row.updated_at == row.created_at


async def test_the_next_session_follows_the_tags_working_session_reminder_series(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    series_id = await set_up(
        bot, conversation=TAG, who=teams.MARTA, kind="tag_session", interval="4",
        timezone="Europe/Brussels",
    )  # fmt: skip
    assert (await series_row(bot, series_id)).tag_id is not None
    await build_agenda(bot)
    first = await agenda_row(bot)
    reply = await bot.say("agenda", conversation=TAG, who=teams.MARTA)
    expected = first.starts_at.astimezone(BRUSSELS) + timedelta(weeks=4)
    assert when_values(reply.cards[0])["day"] == expected.date().isoformat()
