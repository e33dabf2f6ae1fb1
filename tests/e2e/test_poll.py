"""A quick poll in the Teams emulator: created by typing, voted on by clicking, the tally
changing on the card in place (Action.Execute), the voters shown, the poll closed.

The shared message is everyone's view (Vote only); the creator's Close poll and Show voters
are in their own view, which real Teams fetches by the card's Universal Actions refresh. The
emulator never sends that refresh (TEAMS_TOOLS.md: "User specific view is not supported yet"),
so here the voters come from a typed `poll results <id>` and its "Back to the poll" button
turns that card into the creator's own view, whose Close poll closes the poll. After a vote the
emulator shows the voter's own view (the invoke response) or the shared message's update,
whichever it drew last: a vote clicks Vote or Change vote, whichever is there. Each person's
refreshed view (voter, creator, stranger, anonymous) is covered through /api/messages in
tests/test_poll_views.py.

The emulator lets you be one person only (Alex Wilber), so several people voting on one card,
and someone other than the creator trying to close it, are covered by the protocol suite
(tests/test_polls.py: `test_200_voters_at_once_end_with_an_exact_tally_on_the_card`,
`test_others_get_a_polite_refusal_when_closing`).
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, expect

from tests.e2e.teams_ui import TOP_CARD, TeamsClient

QUESTION = "Which day suits the energy call?"


def row(option: str, count: int, percent: int) -> re.Pattern[str]:
    """An option's line in the results: its title, then `count · percent%`."""
    return re.compile(rf"{option}\s*{count} · {percent}%")


def vote(teams: TeamsClient, card: Locator, option: str) -> None:
    """Vote on `card`: Vote on everyone's view, Change vote on one's own."""
    card.get_by_label(option, exact=True).check()
    with teams.card_update():
        card.get_by_role("button", name=re.compile(r"^(Vote|Change vote)$")).click()


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
    # Everyone's view: the creator's buttons are not on the shared message.
    expect(card.get_by_role("button", name="Close poll")).to_have_count(0)
    expect(card.get_by_role("button", name="Show voters")).to_have_count(0)
    teams.check_rendering(card, "new poll card")
    found = re.search(r"Poll #(\d+)", card.inner_text())
    assert found, card.inner_text()
    poll_id = found.group(1)

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

    chat.send(f"poll results {poll_id}")
    voters = chat.card("Voters of poll #")
    expect(voters).to_contain_text(re.compile(r"Tuesday \(1\)\s*Alex Wilber"))
    expect(voters).to_contain_text(re.compile(r"Thursday \(0\)\s*—"))
    teams.check_rendering(voters, "voters card")
    voters.get_by_role("button", name="Back to the poll").click()
    own = chat.card("You voted: Tuesday")  # the voters card, now the creator's own view
    expect(own.get_by_role("button", name="Change vote")).to_be_visible()
    expect(own.get_by_role("button", name="Show voters")).to_be_visible()
    expect(own.get_by_role("button", name="Close poll")).to_be_visible()
    teams.check_rendering(own, "the creator's own view")

    with teams.card_update():  # the shared message is updated too
        own.get_by_role("button", name="Close poll").click()
    expect(own).to_contain_text("Closed — final results")
    expect(own).to_contain_text("You voted: Tuesday")
    shared = chat.root.locator(TOP_CARD).filter(has_text=f"Poll #{poll_id}").first
    expect(shared).to_contain_text("Closed — final results")
    expect(shared).to_contain_text(row("🏆 Tuesday", 1, 100))
    expect(shared.get_by_role("button", name="Vote", exact=True)).to_have_count(0)
    expect(shared.get_by_role("radio")).to_have_count(0)
    teams.check_rendering(shared, "closed poll card")

    teams.card_screenshot("poll-card", shared)
    teams.screenshot("poll", show=shared)
    chat.expect_no_apology()
    teams.assert_cards_render_well()
