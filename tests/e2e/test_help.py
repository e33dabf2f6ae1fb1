"""`help` in the 1:1 chat, as a new user tries the bot in the Teams emulator."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.teams_ui import TOP_CARD, TeamsClient

COMMANDS = (
    "help",
    "poll <question> | <option> | <option>",
    "minutes [list | show <id> | edit <id> | export <id> [md|docx]]",
    "actions [open | mine | overdue | export [<city or TAG>]]",
    "agenda [<TAG>]",
    "summary [<TAG>] | summary edit <id>",
    "link city <name> | link tag <name>",
    "timezone [<Area/City>]",
)


def test_help_shows_the_commands_and_its_buttons_start_them(teams: TeamsClient) -> None:
    chat = teams.personal_chat()
    # Installing the bot (the emulator does it when it opens) greets with the same card.
    chat.expect_text("Hello! I'm the ICC bot.")
    help_cards = chat.root.locator(TOP_CARD).filter(has_text="ICC bot — what I can do")
    expect(help_cards).to_have_count(1)

    chat.send("help")

    expect(help_cards).to_have_count(2)
    card = help_cards.last
    for usage in COMMANDS:
        expect(card).to_contain_text(usage)
    for button in ("Poll", "Minutes", "Actions", "Agenda", "Summary"):
        expect(card.get_by_role("button", name=button, exact=True)).to_be_visible()
    teams.check_rendering(card, "help card")
    teams.card_screenshot("help-card", card)

    # A starter button asks the first question of its dialog; `cancel` leaves nothing open.
    card.get_by_role("button", name="Poll", exact=True).click()
    chat.expect_text("What is the poll's question?")
    with teams.turn():
        chat.send("cancel")
    chat.expect_text("Cancelled. Nothing from that conversation was saved.")

    teams.screenshot("help", show=chat.root.get_by_text("Cancelled.").last)
    chat.expect_no_apology()
    teams.assert_cards_render_well()
