"""The poll's cards (Adaptive Card 1.5) as pure functions of the poll's view: the card
everyone votes on and each person's own view of it, who voted for what, and the settings card
of the `poll` dialog."""

from __future__ import annotations

from collections.abc import Sequence

from bot import cards
from bot.cards import DIALOG_VERB, Card, Element, card_time
from domain.polls import EVERYONE, PollView, Viewer
from domain.text import counted

VOTE = "poll.vote"
VOTERS = "poll.voters"
CLOSE = "poll.close"
REFRESH = "poll.refresh"


def _bar(percent: int) -> Element:
    filled = {
        "type": "Column",
        "width": "stretch",
        "style": "accent",
        "minHeight": "8px",
        "items": [],
    }
    empty = {
        "type": "Column",
        "width": "stretch",
        "style": "emphasis",
        "minHeight": "8px",
        "items": [],
    }
    if percent <= 0:
        columns = [empty]
    elif percent >= 100:
        columns = [filled]
    else:
        columns = [dict(filled, width=f"{percent}"), dict(empty, width=f"{100 - percent}")]
    return {"type": "ColumnSet", "columns": columns, "spacing": "Small"}


def _result_rows(view: PollView) -> list[Element]:
    rows: list[Element] = []
    leaders = set(view.tally.leaders) if view.closed else set()
    for index, option in enumerate(view.options):
        count = view.tally.counts[index] if index < len(view.tally.counts) else 0
        percent = view.tally.percentages[index] if index < len(view.tally.percentages) else 0
        label = cards.escape(option)
        if index in leaders:
            label = f"🏆 {label}"
        rows.append(
            cards.columns(
                cards.column([cards.text(label, weight="Bolder" if index in leaders else None)]),
                cards.column([cards.text(f"{count} · {percent}%", subtle=True)], width="auto"),
                spacing="Medium",
            )
        )
        rows.append(_bar(percent))
    voters = view.tally.voters
    rows.append(cards.text(counted(voters, "voter"), subtle=True, spacing="Medium"))
    return rows


def poll_card(view: PollView, viewer: Viewer = EVERYONE, *, note: str | None = None) -> Card:
    """The poll as `viewer` sees it. For EVERYONE (the shared message): the question, the
    results and Vote. A voter also sees their ballot, chosen on the card, and Change vote; the
    creator also Close poll and, on a named poll, Show voters. `note`: what a click just did."""
    kind = "multiple choice" if view.multi else "single choice"
    secrecy = "anonymous" if view.anonymous else "named"
    body: list[Element] = [
        cards.text(f"📊 Poll #{view.id} · {kind} · {secrecy}", subtle=True, size="Small"),
        cards.text(cards.escape(view.question), size="Large", weight="Bolder", spacing="Small"),
        cards.text(f"by {cards.escape(view.creator_name)}", subtle=True, spacing="None"),
    ]
    if view.closed:
        body.append(cards.text("Closed — final results", color="Attention", weight="Bolder"))
    elif view.closes_at is not None:
        body.append(cards.text(f"Closes {card_time(view.closes_at)}", subtle=True, spacing="Small"))
    voted = viewer.choices or ()
    if note:
        body.append(
            cards.container([cards.text(note, color="Good", weight="Bolder")], style="good")
        )
    elif voted:
        chosen = ", ".join(cards.escape(view.options[i]) for i in voted if i < len(view.options))
        body.append(cards.text(f"You voted: {chosen}", color="Good", weight="Bolder"))
    actions: list[Element] = []
    if not view.closed:
        choice_set: Element = {
            "type": "Input.ChoiceSet",
            "id": "choice",
            "style": "expanded",
            "isMultiSelect": view.multi,
            "label": "Choose your answers" if view.multi else "Choose one",
            "choices": [
                {"title": option, "value": str(i)} for i, option in enumerate(view.options)
            ],
        }
        if voted:
            choice_set["value"] = ",".join(str(i) for i in voted)
        body.append(choice_set)
        title = "Change vote" if voted else "Vote"
        actions.append(cards.execute(title, VOTE, {"poll_id": view.id}, style="positive"))
    body.append(cards.container(_result_rows(view), separator=True, spacing="Medium"))
    if viewer.creator and not view.anonymous:
        actions.append(cards.execute("Show voters", VOTERS, {"poll_id": view.id}))
    if viewer.creator and not view.closed:
        actions.append(cards.execute("Close poll", CLOSE, {"poll_id": view.id}))
    return cards.card(body, actions)


def shared_card(view: PollView, refresh_ids: Sequence[str]) -> Card:
    """The message everyone sees, with the refresh that shows each of `refresh_ids` (at most
    60 are kept) their own view as soon as they open it; others refresh it by hand."""
    return cards.with_refresh(poll_card(view), REFRESH, {"poll_id": view.id}, refresh_ids)


def personal_card(view: PollView, viewer: Viewer, user_id: str, *, note: str | None = None) -> Card:
    """One person's view (an invoke response: Teams shows it to them alone), refreshing itself
    for them when it is shown again (Teams asks at most once a minute)."""
    return cards.with_refresh(
        poll_card(view, viewer, note=note), REFRESH, {"poll_id": view.id}, [user_id]
    )


def voters_card(view: PollView) -> Card:
    """Who voted for what: named polls only."""
    body: list[Element] = [
        cards.text(f"Voters of poll #{view.id}", weight="Bolder"),
        cards.text(cards.escape(view.question), subtle=True, spacing="None"),
    ]
    for index, option in enumerate(view.options):
        names = view.tally.names[index] if index < len(view.tally.names) else ()
        shown = ", ".join(cards.escape(name) for name in names) if names else "—"
        body.append(cards.facts([(f"{cards.escape(option)} ({len(names)})", shown)]))
    return cards.card(body, [cards.execute("Back to the poll", REFRESH, {"poll_id": view.id})])


def settings_card(
    *,
    question: str | None = None,
    options: tuple[str, ...] | None = None,
    multi: bool = False,
    anonymous: bool = False,
    closes: str = "",
    places: Sequence[tuple[str, str]] = (),
) -> Card:
    """The `poll` dialog's card: how people answer and when the poll closes. With `question`
    (not None) it also asks for the question and `options` (a channel's draft card: nothing
    typed reaches the bot there without an @mention); with `places` (title, value), where to
    post the poll, this chat first."""
    body: list[Element] = []
    if question is not None:
        body += [
            cards.text("New poll", weight="Bolder", size="Medium"),
            cards.text_input("question", label="Question", value=question, max_length=300),
            cards.text_input(
                "options",
                label="Options, one per line (2 to 10)",
                value="\n".join(options or ()),
                multiline=True,
            ),
        ]
    body += [
        cards.text("How should people answer?", weight="Bolder"),
        cards.choice_set(
            "mode",
            [("One choice per person", "single"), ("Several choices allowed", "multi")],
            value="multi" if multi else "single",
        ),
        {
            "type": "Input.Toggle",
            "id": "anonymous",
            "title": "Anonymous (nobody sees who voted what)",
            "value": "true" if anonymous else "false",
        },
        cards.text_input(
            "closes",
            label="Closes (optional)",
            placeholder="e.g. friday 17:00, in 2 days, 15/12",
            value=closes or None,
        ),
    ]
    if places:
        body.append(cards.choice_set("post_to", places, value=places[0][1], label="Post it to"))
    return cards.card(body, [cards.submit("Create poll", DIALOG_VERB, style="positive")])
