"""A command typed in the middle of the minutes, in the city's channel of the Teams emulator: the
minutes' setup card waits in a thread, `actions` is typed as a reply in that same thread (an
@mention, as a channel needs), and the bot says it left the minutes — nothing saved, and how to
start them again — then shows the action tracker; `minutes` typed there again starts afresh
with a new setup card, and `help` in the middle of those keeps them waiting.

The tracker it shows in the channel is the list everyone sees, with no status buttons (issue
20): the emulator does no Universal Actions refresh, so each person's own view with the buttons
they may use is covered through /api/messages (tests/test_personal_views.py).

What the emulator cannot represent, covered by the protocol suite (tests/test_interruptions.py):
a second person in the same thread (dialogs are per person), and a question that takes typed
text (a poll's question) answered with text that starts with a command word
(`test_a_poll_question_that_starts_with_a_command_word_is_the_question`).
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.teams_ui import TOP_CARD, TeamsClient


def test_a_command_typed_in_the_middle_of_the_minutes_leaves_them_and_runs(
    teams: TeamsClient,
) -> None:
    general = teams.channel("General")
    general.new_post("link city Aarhus").expect_text("Aarhus's")

    thread = general.new_post("minutes")
    thread.card("Minutes for Aarhus")
    setups = thread.root.locator(TOP_CARD).filter(has_text="Minutes for Aarhus")
    expect(setups).to_have_count(1)

    with teams.turn():
        thread.reply("actions")
    thread.expect_text(
        "I left the minutes questions unfinished — nothing was saved; minutes starts them again."
    )
    tracker = thread.card("Open actions — Aarhus")
    teams.check_rendering(tracker, "action tracker after the interruption")

    # The minutes start afresh: a second setup card, and no word of anything left behind.
    with teams.turn():
        thread.reply("minutes")
    expect(setups).to_have_count(2)
    left = thread.root.get_by_text("I left the minutes questions unfinished")
    expect(left).to_have_count(1)

    # `help` in the middle of them shows the commands and leaves the new setup card waiting.
    with teams.turn():
        thread.reply("help")
    thread.card("ICC bot — what I can do")
    thread.expect_text("The minutes questions are still waiting for the card above.")
    setup = setups.last
    setup.get_by_label("Stakeholder group").fill("Energy")
    setup.get_by_label("Stakeholders who attended").fill("Energy Agency")
    setup.get_by_text("Alex Wilber", exact=True).click()
    setup.get_by_role("button", name="Next").click()
    thread.card("Tour de table")

    teams.screenshot("interruption", show=thread.root.get_by_text("Tour de table").last)
    thread.expect_no_apology()
    teams.assert_cards_render_well()
