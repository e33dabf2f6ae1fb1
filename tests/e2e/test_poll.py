"""A quick poll in the Teams emulator: created by typing, voted on by clicking, the tally
changing on the card in place (Action.Execute), the voters shown, the poll closed.

The emulator lets you be one person only (Alex Wilber), so several people voting on one card,
and someone other than the creator trying to close it, are covered by the protocol suite
(tests/test_polls.py: `test_200_voters_at_once_end_with_an_exact_tally_on_the_card`,
`test_others_get_a_polite_refusal_when_closing`).
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, expect

from tests.e2e.teams_ui import TeamsClient

QUESTION = "Which day suits the energy call?"


def row(option: str, count: int, percent: int) -> re.Pattern[str]:
    """An option's line in the results: its title, then `count · percent%`."""
    return re.compile(rf"{option}\s*{count} · {percent}%")


def vote(teams: TeamsClient, card: Locator, option: str) -> None:
    card.get_by_label(option, exact=True).check()
    with teams.card_update():
        card.get_by_role("button", name="Vote", exact=True).click()


def test_votes_change_the_tally_on_the_card_and_the_creator_closes_it(
    teams: TeamsClient,
) -> None:
    chat = teams.personal_chat()
    chat.send(f"poll {QUESTION} | Tuesday | Thursday")
    card = chat.card(QUESTION)
    expect(card).to_contain_text("single choice · named")
    expect(card).to_contain_text("by Alex Wilber")
    expect(card).to_contain_text(row("Tuesday", 0, 0))
    expect(card).to_contain_text("0 voters")
    teams.check_rendering(card, "new poll card")

    vote(teams, card, "Thursday")
    expect(card).to_contain_text(row("Thursday", 1, 100))
    expect(card).to_contain_text(row("Tuesday", 0, 0))
    expect(card).to_contain_text("1 voter")
    teams.check_rendering(card, "poll card after a vote")

    # Changing one's mind replaces the ballot: still one voter.
    vote(teams, card, "Tuesday")
    expect(card).to_contain_text(row("Tuesday", 1, 100))
    expect(card).to_contain_text(row("Thursday", 0, 0))
    expect(card).to_contain_text("1 voter")

    card.get_by_role("button", name="Show voters", exact=True).click()
    voters = chat.card("Voters of poll #")
    expect(voters).to_contain_text(re.compile(r"Tuesday \(1\)\s*Alex Wilber"))
    expect(voters).to_contain_text(re.compile(r"Thursday \(0\)\s*—"))
    teams.check_rendering(voters, "voters card")
    voters.get_by_role("button", name="Back to the poll").click()
    card = chat.card(QUESTION)
    expect(card.get_by_role("button", name="Close poll")).to_be_visible()

    with teams.card_update():
        card.get_by_role("button", name="Close poll").click()
    expect(card).to_contain_text("Closed — final results")
    expect(card).to_contain_text(row("🏆 Tuesday", 1, 100))
    expect(card.get_by_role("button", name="Vote", exact=True)).to_have_count(0)
    expect(card.get_by_role("radio")).to_have_count(0)
    teams.check_rendering(card, "closed poll card")

    teams.card_screenshot("poll-card", card)
    teams.screenshot("poll", show=card)
    chat.expect_no_apology()
    teams.assert_cards_render_well()
