"""A reminder series set up in a city channel of the Teams emulator, and its first reminder
arriving there: fired by the bot's own APScheduler job at its time and posted through the
bot's sender to the emulator's connector, then its "Start the minutes" button clicked.

Nothing is shortcut: the series is set up on the card with the meeting tomorrow at the next
whole minute (at least 40 s away), with only "the day before" ticked, so its first reminder
falls due within about a minute and a half of saving. A series' meetings are weeks apart; what
happens across weeks, DST changes, restarts, missed runs, pauses and several replicas is
covered by the protocol suite (tests/test_reminders.py) with a controlled clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.teams_ui import TeamsClient

CITY_ZONE = ZoneInfo("Europe/Copenhagen")  # Aarhus's, in tests/e2e/roster.yaml
UNTICKED = ("on the morning of the meeting", "“minutes missing” the day after")


def first_reminder_time() -> datetime:
    """The next whole minute at least 40 s from now, in the city's zone."""
    soon = datetime.now(UTC).astimezone(CITY_ZONE) + timedelta(seconds=40)
    return soon.replace(second=0, microsecond=0) + timedelta(minutes=1)


def test_a_series_set_up_on_the_card_sends_its_reminder_to_the_channel(
    teams: TeamsClient,
) -> None:
    general = teams.channel("General")
    general.new_post("link city Aarhus").expect_text("Aarhus's")

    thread = general.new_post("remind setup")
    setup = thread.card("Set up a reminder series")
    expect(setup.get_by_label("Ecosystem calls (alternating)")).to_be_checked()
    expect(setup.get_by_label("Complete ecosystem meeting")).to_be_checked()
    expect(setup.get_by_label("Time zone")).to_have_value("Europe/Copenhagen")
    teams.check_rendering(setup, "reminder setup card")

    reminder_at = first_reminder_time()
    meeting = reminder_at + timedelta(days=1)
    setup.get_by_placeholder("Select a date...").fill(f"{meeting:%B} {meeting.day}, {meeting.year}")
    time_field = setup.get_by_placeholder("Select a time...")
    time_field.fill(f"{meeting:%H:%M}")
    time_field.press("Tab")  # the time picker takes a typed time when it loses focus
    expect(time_field).to_have_value(f"{meeting:%-I:%M %p}")
    for nudge in UNTICKED:
        setup.get_by_role("checkbox", name=nudge).uncheck()
    expect(setup.get_by_role("checkbox", name="the day before")).to_be_checked()
    with teams.turn():
        setup.get_by_role("button", name="Save series").click()
    saved = thread.expect_text("Series #")
    expect(saved).to_contain_text(f"every 2 weeks at {meeting:%H:%M} (Europe/Copenhagen)")
    thread.expect_text(f"Complete ecosystem meeting: {meeting:%a %d %b %Y, %H:%M}")
    thread.expect_no_apology()
    assert datetime.now(UTC) < reminder_at, "the series was saved after its reminder's time"

    # The reminder, posted by the bot on its own as a new post in the channel.
    wait = reminder_at - datetime.now(UTC) + timedelta(seconds=45)
    post = general.bot_post(
        "Tomorrow: Complete ecosystem meeting", timeout_ms=int(wait.total_seconds() * 1000)
    )
    reminder = post.card("Reminder · series #")
    expect(reminder).to_contain_text("Still open from the previous calls")
    expect(reminder).not_to_contain_text("late")
    teams.check_rendering(reminder, "reminder card")
    teams.card_screenshot("reminder-card", reminder)

    # Its button starts the minutes of that meeting, in the reminder's thread.
    reminder.get_by_role("button", name="Start the minutes").click()
    post.card("Minutes for Aarhus")

    # `remind list` shows the series with the meeting to come, in the channel's time zone.
    listing = general.new_post("remind list").card("Reminder series")
    expect(listing).to_contain_text(
        re.compile(r"#\d+ · Ecosystem calls \(alternating\) · every 2 weeks")
    )
    expect(listing).to_contain_text("Complete ecosystem meeting")
    teams.check_rendering(listing, "reminder list card")

    # The same series set up again is refused, naming the one the channel has, and saves nothing.
    again = general.new_post("remind setup")
    twin = again.card("Set up a reminder series")
    twin.get_by_placeholder("Select a date...").fill(f"{meeting:%B} {meeting.day}, {meeting.year}")
    time_field = twin.get_by_placeholder("Select a time...")
    time_field.fill(f"{meeting:%H:%M}")
    time_field.press("Tab")
    expect(time_field).to_have_value(f"{meeting:%-I:%M %p}")
    with teams.turn():
        twin.get_by_role("button", name="Save series").click()
    again.expect_text("This channel already has this series: #")
    refusal = again.card("Ecosystem calls (alternating)")
    teams.check_rendering(refusal, "duplicate series card")
    with teams.turn():
        refusal.get_by_role("button", name="Show the series").click()
    again.card("Reminder series")

    teams.screenshot("reminders", show=post.root)
    post.expect_no_apology()
    teams.assert_cards_render_well()
