"""The minutes of two ecosystem calls, taken in the city's channel of the Teams emulator all on
cards (no typed answers, so no @mention after the first): the channel linked to the city, the
setup card, the meeting card (tour de table, what was agreed with each stakeholder, an action
row with its owner picked and a due date), the closing card, the posted minutes card; then the
next call, whose recap card shows what the first one left open, each item at its current
status; then the second minutes edited from their Edit button, the posted card updated in place
and marked edited.

What the emulator cannot represent, covered by the protocol suite (tests/test_minutes.py):
- a second person: the emulator lets you be Alex Wilber only (a city rep of Aarhus in
  tests/e2e/roster.yaml), so people without the role being refused is tested there
  (`test_only_the_citys_reps_and_lead_expert_write_its_minutes`,
  `test_the_citys_other_rep_and_an_admin_may_edit_minutes_a_mentor_and_others_may_not`).
Minutes taken in the 1:1 chat and posted to the city channel are, too
(`test_minutes_started_in_a_personal_chat_are_posted_to_the_city_channel`); a bot post in a
channel from the 1:1 chat is what tests/e2e/test_agenda.py shows with the agenda.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, expect

from tests.e2e.teams_ui import TeamsClient

CITY_ZONE = ZoneInfo("Europe/Copenhagen")


def city_today() -> date:
    return datetime.now(UTC).astimezone(CITY_ZONE).date()


def picker(day: date) -> str:
    """A date as a person types it into the card's date field."""
    return f"{day:%B} {day.day}, {day.year}"


def pick(teams: TeamsClient, box: Locator, option: str) -> None:
    """Chooses `option` in a drop-down (a compact choice set)."""
    box.click()
    teams.page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)


def test_two_calls_minutes_on_cards_the_recap_and_an_edit_of_the_posted_card(
    teams: TeamsClient,
) -> None:
    today = city_today()
    share_due, next_call = today + timedelta(days=14), today + timedelta(days=14)
    general = teams.channel("General")
    general.new_post("link city Aarhus").expect_text("Aarhus's")

    thread = general.new_post("minutes")
    setup = thread.card("Minutes for Aarhus")
    expect(setup.get_by_label("Complete ecosystem meeting")).to_be_checked()
    expect(setup.get_by_role("combobox").first).to_have_value(picker(today))
    teams.check_rendering(setup, "minutes setup card")
    setup.get_by_label("Stakeholder group").fill("Energy")
    setup.get_by_label("Stakeholders who attended").fill("Energy Agency, Port Authority")
    setup.get_by_text("Alex Wilber", exact=True).click()  # a city rep who was there
    setup.get_by_role("button", name="Next").click()

    # A first call with this group: nothing to recap, straight to the meeting card.
    thread.expect_text("No agreements or actions are open from earlier calls with “Energy”.")
    meeting = thread.card("Tour de table")
    expect(meeting).to_contain_text("Agreements")
    expect(meeting).to_contain_text("Actions")
    teams.check_rendering(meeting, "meeting card (tour de table, agreements, actions)")
    meeting.get_by_placeholder("Status and progress").first.fill("Data platform live")
    meeting.get_by_placeholder("Pain points").nth(1).fill("Permits take months")
    meeting.get_by_label("Agreed with Energy Agency").fill("shares the consumption data monthly")
    meeting.get_by_label("Action 1").fill("Share the EV charging data")
    pick(teams, meeting.get_by_label("Owner").first, "Alex Wilber")
    meeting.get_by_label("Due").first.fill(picker(share_due))
    teams.card_screenshot("minutes-meeting-card", meeting)
    meeting.get_by_role("button", name="Next").click()

    closing = thread.card("Next steps and next call")
    teams.check_rendering(closing, "closing card")
    closing.get_by_label("Next steps").fill("Invite the utilities")
    closing.get_by_role("combobox").fill(picker(next_call))
    with teams.turn():
        closing.get_by_role("button", name="Save minutes").click()
    # Saved, and nothing went wrong that the person is told about.
    thread.expect_no_apology()

    minutes = thread.card("Minutes #")
    expect(minutes).to_contain_text("Complete ecosystem meeting")
    expect(minutes).to_contain_text(f"Aarhus — {today:%A %d %B %Y}")
    expect(minutes).to_contain_text("Group: Energy · taken by Alex Wilber")
    expect(minutes).to_contain_text(
        re.compile(r"Agreements\s*• Energy Agency: shares the consumption data monthly\s*Actions")
    )
    expect(minutes).to_contain_text(
        re.compile(rf"Share the EV charging data\s*Alex Wilber\s*{share_due:%d %b %Y}")
    )
    expect(minutes).to_contain_text(re.compile(r"Next steps\s*Invite the utilities"))
    expect(minutes).to_contain_text(f"Next call: {next_call:%A %d %B %Y}")
    number = re.search(r"Minutes #(\d+)", minutes.inner_text())
    assert number is not None
    thread.expect_text(f"Minutes #{number.group(1)} saved.")

    minutes.get_by_role("button", name="Details").click()
    expect(minutes).to_contain_text("Stakeholders: Energy Agency, Port Authority")
    expect(
        minutes, "Alex Wilber, ticked on the setup card, must be among the city reps"
    ).to_contain_text("City reps: Alex Wilber")
    expect(minutes).to_contain_text(re.compile(r"Progress\s*Data platform live"))
    expect(minutes).to_contain_text(re.compile(r"Pain points\s*Permits take months"))
    teams.check_rendering(minutes, "posted minutes card (details open)")

    teams.card_screenshot("minutes-card", minutes)

    # The next call with the same group starts from what the last one left open.
    thread = general.new_post("minutes")
    setup = thread.card("Minutes for Aarhus")
    # The rhythm alternates, and the group and its stakeholders are remembered.
    expect(setup.get_by_label("City reps alignment meeting")).to_be_checked()
    expect(setup.get_by_label("Stakeholder group")).to_have_value("Energy")
    teams.check_rendering(setup, "minutes setup card, second call")
    setup.get_by_text("Energy Agency", exact=True).click()
    setup.get_by_text("Alex Wilber", exact=True).click()
    setup.get_by_role("button", name="Next").click()

    recap = thread.card("Recap: what was agreed last time")
    expect(recap).to_contain_text("Agreement: shares the consumption data monthly — Energy Agency")
    expect(recap).to_contain_text(
        f"Action: Share the EV charging data — Alex Wilber (due {share_due:%d %b})"
    )
    teams.check_rendering(recap, "recap card")
    teams.card_screenshot("minutes-recap-card", recap)
    # The action was done since: its status, in the drop-down under it, shown as it stands.
    action = (
        recap.locator("div")
        .filter(has_text="Action: Share the EV charging data")
        .filter(has=teams.page.get_by_role("combobox"))
        .last
    )
    status = action.get_by_role("combobox")
    expect(status).to_have_value("open")
    pick(teams, status, "done")
    recap.get_by_role("button", name="Next").click()

    meeting = thread.card("Stakeholder progress (internal)")
    meeting.get_by_placeholder("Planned activities").fill("Monthly data exports from January")
    meeting.get_by_role("button", name="Next").click()
    closing = thread.card("Next steps and next call")
    closing.get_by_label("Next steps").fill("Plan the data exports")
    with teams.turn():
        closing.get_by_role("button", name="Save minutes").click()
    thread.expect_no_apology()

    second = thread.card("Minutes #")
    expect(second).to_contain_text("City reps alignment meeting")
    expect(second).to_contain_text(re.compile(r"Agreements\s*None recorded\.\s*Actions\s*None"))
    second.get_by_role("button", name="Details").click()
    expect(second).to_contain_text(
        re.compile(
            r"Recap of last time\s*• shares the consumption data monthly: open"
            r"\s*• Share the EV charging data: done"
        )
    )
    expect(second).to_contain_text("Stakeholders: Energy Agency")
    expect(second).to_contain_text(re.compile(r"Planned\s*Monthly data exports from January"))
    teams.check_rendering(second, "posted minutes card of the second call (details open)")
    teams.card_screenshot("minutes-second-card", second)
    number = re.search(r"Minutes #(\d+)", second.inner_text())
    assert number is not None
    second_number = number.group(1)

    # An agreement was forgotten: the Edit button opens the same cards, filled in.
    second.get_by_role("button", name="Edit").click()
    setup = thread.card(f"Editing minutes #{second_number}")
    expect(setup.get_by_label("City reps alignment meeting")).to_be_checked()
    expect(setup.get_by_label("Stakeholder group")).to_have_value("Energy")
    setup.get_by_role("button", name="Next").click()
    meeting = thread.card("Stakeholder progress (internal)")
    expect(meeting.get_by_placeholder("Planned activities")).to_have_value(
        "Monthly data exports from January"
    )
    meeting.get_by_label("Other agreements").fill("Energy Agency: joins the data working group")
    meeting.get_by_role("button", name="Next").click()
    closing = thread.card("Next steps and next call")
    expect(closing.get_by_label("Next steps")).to_have_value("Plan the data exports")
    with teams.card_update():
        closing.get_by_role("button", name="Save minutes").click()
    thread.expect_text(f"Minutes #{second_number} updated")
    thread.expect_no_apology()

    edited = thread.card(f"Minutes #{second_number} · City reps alignment meeting · edited")
    expect(edited).to_contain_text(
        re.compile(r"Agreements\s*• Energy Agency: joins the data working group\s*Actions")
    )
    teams.check_rendering(edited, "posted minutes card, edited")
    teams.card_screenshot("minutes-edited-card", edited)
    teams.screenshot("minutes", show=edited)
    teams.assert_cards_render_well()
