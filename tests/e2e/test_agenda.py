"""A TAG working session's agenda in the Teams emulator: the mentor builds it in the 1:1 chat
(when card, then the edit card with Update and Post agenda), the bot posts it in the TAG's
channel, and "I'll attend" there updates the count on the card in place; opened again from
its Edit agenda button, corrected and re-posted, the same card shows the change.

The emulator lets you be one person (Alex Wilber, the TAG's mentor in tests/e2e/roster.yaml):
other people's attendance, item proposals by others and the owner deciding on them, and people
without a TAG role being refused are covered by the protocol suite (tests/test_tag_sessions.py:
`test_attendance_counts_update_in_place_and_a_duplicate_counts_once`,
`test_members_propose_items_and_the_owner_accepts_or_declines`,
`test_only_the_mentor_and_experts_build_the_agenda`).

Issue 20: the clicker is answered with their own view ("You said you will attend", and the
button to change it), then the bot updates the shared card, which the emulator shows as is:
it does no Universal Actions refresh (no automatic invoke, no Refresh menu), so after the click
it shows the card everyone sees, with both answer buttons. Each reader's own view (attending,
declined, a stranger), the refresh's `userIds` and that an automatic refresh sends nothing are
covered through /api/messages (tests/test_personal_views.py).

The emulator draws cards at the standard width: it does not support the cards'
`msteams.width: Full` (it says so under each card), which Teams mobile ignores as well. The
edit card must be usable at that width, so its rendering is checked there.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, expect

from tests.e2e.teams_ui import TeamsClient

GUEST_TALK = "Guest talk: Valencia's retrofit fund"
DROPPED = "New phase-specific topics (lead expert)"
SHORTENED = "Shared obstacles and opportunities, cooperation and peer coaching"


def row_of(edit: Locator, title: str) -> int:
    """Which row of the edit card shows the item `title` (its title field's value)."""
    titles: list[str] = edit.get_by_role("textbox").evaluate_all(
        "fields => fields.map(f => f.value)"
    )
    assert title in titles, f"{title!r} is not on the edit card: {titles}"
    return titles.index(title)


def test_the_mentor_builds_the_agenda_and_it_is_posted_in_the_tag_channel(
    teams: TeamsClient,
) -> None:
    announcements = teams.channel("Announcements")
    announcements.new_post("link tag Green Buildings").expect_text(
        "This channel is now the TAG channel of Green Buildings"
    )

    chat = teams.personal_chat()
    chat.send("agenda")
    when = chat.card("Agenda for Green Buildings")
    expect(when).to_contain_text("Session 1 of 10")
    expect(when.get_by_label("Time zone of that time")).to_have_value("Europe/Brussels")
    teams.check_rendering(when, "agenda when card")
    when.get_by_role("button", name="Next").click()

    edit = chat.card("Build the agenda")
    expect(edit).to_contain_text("60 of 60 min")
    teams.check_rendering(edit, "agenda edit card")
    teams.card_screenshot("agenda-edit-card", edit)
    edit.get_by_placeholder("Title").fill(GUEST_TALK)
    edit.get_by_placeholder("min").fill("15")
    edit.get_by_placeholder("#").fill("3")
    edit.get_by_role("button", name="Update").click()

    edit = chat.card("Updated: 75 of 60 min.")
    expect(edit).to_contain_text("⚠ 75 of 60 min: 15 min over the session")
    assert row_of(edit, GUEST_TALK) == 2
    # Back within the hour: drop one item, shorten another.
    edit.get_by_role("checkbox", name="Remove").nth(row_of(edit, DROPPED)).check()
    minutes = edit.get_by_role("spinbutton").nth(2 * row_of(edit, SHORTENED) + 1)
    expect(minutes).to_have_value("20")
    minutes.fill("10")
    edit.get_by_role("button", name="Update").click()

    edit = chat.card("Updated: 60 of 60 min.")
    with teams.turn():
        edit.get_by_role("button", name="Post agenda").click()
    chat.expect_text("The agenda of session 1 is posted in")
    chat.expect_no_apology()

    announcements = teams.channel("Announcements")
    posted = announcements.bot_post("TAG working session 1 of 10")
    agenda = posted.card("TAG working session")
    expect(agenda).to_contain_text("Green Buildings")
    expect(agenda).to_contain_text(re.compile(r"10:00 AM · 60 min"))
    # The items in their order (the card numbers them as Markdown lists: "1.", "2.", …).
    expect(agenda).to_contain_text(
        re.compile(
            r"Agenda and objective setting by the facilitator\s*5 min.*"
            r"Recap of last session's commitments \(lead expert\)\s*5 min.*"
            rf"{re.escape(GUEST_TALK)}\s*15 min\s*"
            r"Reflection on progress since the last session \(cities and mentor\)\s*20 min\s*"
            rf"{re.escape(SHORTENED)}\s*10 min\s*"
            r"Shared commitments and next meeting\s*5 min\s*60 of 60 min",
            re.DOTALL,
        )
    )
    expect(agenda).not_to_contain_text(DROPPED)
    expect(agenda).to_contain_text("Attending: 0 · Can't attend: 0")

    with teams.card_update():
        agenda.get_by_role("button", name="I'll attend").click()
    expect(agenda).to_contain_text(re.compile(r"Attending: 1 · Can't attend: 0\s*Alex Wilber"))
    teams.check_rendering(agenda, "posted agenda card")

    teams.card_screenshot("agenda-card", agenda)
    teams.screenshot("agenda", show=agenda)
    posted.expect_no_apology()
    teams.assert_cards_render_well()


def test_an_agenda_edited_after_posting_updates_the_same_card(teams: TeamsClient) -> None:
    """Issue 19: the posted agenda is opened again from its card's Edit agenda button (in the
    channel: a click needs no @mention), one item is changed, and re-posting updates the card
    that is already there ("updated", the attendance kept), never a second one."""
    announcements = teams.channel("Announcements")
    announcements.new_post("link tag Green Buildings").expect_text("TAG channel of Green Buildings")

    chat = teams.personal_chat()
    chat.send("agenda")
    when = chat.card("Agenda for Green Buildings")
    found = re.search(r"Session (\d+) of 10", when.inner_text())
    assert found, when.inner_text()
    session = found.group(1)
    with teams.turn():
        when.get_by_role("button", name="Next").click()
    with teams.turn():
        chat.card("Build the agenda").get_by_role("button", name="Post agenda").click()
    chat.expect_text(f"The agenda of session {session} is posted in")

    announcements = teams.channel("Announcements")
    title = f"TAG working session {session} of 10"
    posted = announcements.bot_post(title)
    agenda = posted.card("TAG working session")
    with teams.card_update():
        agenda.get_by_role("button", name="I'll attend").click()
    expect(agenda).to_contain_text("Attending: 1")

    with teams.turn():
        agenda.get_by_role("button", name="Edit agenda").click()
    when = posted.card("Agenda for Green Buildings")
    expect(when).to_contain_text("correcting the posted agenda")
    with teams.turn():
        when.get_by_role("button", name="Next").click()
    edit = posted.card("already posted")
    first = edit.get_by_role("textbox").first
    expect(first).to_have_value("Agenda and objective setting by the facilitator")
    first.fill("Welcome, agenda and objectives")
    with teams.card_update():
        edit.get_by_role("button", name="Update the posted agenda").click()
    posted.expect_text(f"The agenda of session {session} is updated")

    agenda = announcements.bot_post(title).card("TAG working session")
    expect(agenda).to_contain_text(f"{title} · Ambition")
    expect(agenda).to_contain_text("updated")
    expect(agenda).to_contain_text("Welcome, agenda and objectives")
    expect(agenda).to_contain_text("Attending: 1")
    # One card for the session: the bot posted no second one.
    by_bot = teams.page.get_by_role("group").filter(has_text=title)
    expect(by_bot.filter(has_text="Welcome, agenda and objectives")).to_have_count(1)
    posted.expect_no_apology()
    teams.assert_cards_render_well()
