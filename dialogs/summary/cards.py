"""The summary's cards: the form the mentor or an expert fills in, and the posted summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot import cards
from bot.cards import DIALOG_VERB, Card, Element
from domain.agenda import SummaryView


def summary_form(
    *,
    tag: str,
    session: int,
    key_points: str = "",
    takeaways: Sequence[str] = (),
    support: str = "",
    next_session: date | None = None,
) -> Card:
    body: list[Element] = [
        cards.text(f"Summary of {cards.escape(tag)}", size="Medium", weight="Bolder"),
        cards.number_input("session", label="Session number", value=session, minimum=1, maximum=20),
        cards.text_input(
            "key_points", label="Key points", value=key_points, multiline=True, max_length=4000
        ),
    ]
    for index in range(3):
        body.append(
            cards.text_input(
                f"takeaway{index}",
                label=f"Takeaway {index + 1}" + ("" if index == 0 else " (optional)"),
                value=takeaways[index] if index < len(takeaways) else None,
                max_length=300,
            )
        )
    body.append(
        cards.text_input(
            "support",
            label="Support requested (optional)",
            value=support,
            multiline=True,
            max_length=2000,
        )
    )
    body.append(
        cards.date_input(
            "next_session",
            label="Next session (optional)",
            value=next_session.isoformat() if next_session else None,
        )
    )
    return cards.card(
        body, [cards.submit("Next", DIALOG_VERB, {"step": "summary"}, style="positive")]
    )


def commitments_form(cities: Sequence[str]) -> Card:
    """The commitments each city makes until the next session: typed on the card (a click
    reaches the bot in a channel without an @mention), one per line."""
    body: list[Element] = [
        cards.text("Commitments until the next session", size="Medium", weight="Bolder"),
        cards.text(
            "One per line: city | commitment | due date (optional; 15/12, 15 Dec, next Tuesday). "
            "Cities: " + (", ".join(cards.escape(c) for c in cities) or "none in the roster") + ".",
            subtle=True,
            spacing="None",
        ),
        cards.text_input(
            "commitments",
            placeholder=f"{cities[0] if cities else 'City'} | Publish the retrofit map | 15/12",
            multiline=True,
            max_length=4000,
        ),
    ]
    return cards.card(
        body,
        [
            cards.submit("Save", DIALOG_VERB, {"step": "commitments"}, style="positive"),
            cards.submit("No commitments", DIALOG_VERB, {"step": "commitments", "none": True}),
        ],
    )


def summary_card(view: SummaryView) -> Card:
    body: list[Element] = [
        cards.text(
            f"🧭 TAG summary #{view.id} · session {view.session}"
            + (" · edited" if view.edited else ""),
            subtle=True,
            size="Small",
        ),
        cards.text(cards.escape(view.tag), size="Large", weight="Bolder", spacing="Small"),
        cards.text(f"by {cards.escape(view.author)}", subtle=True, spacing="None"),
        cards.text("Top takeaways", weight="Bolder", separator=True),
    ]
    body += [cards.text(f"{n}. {cards.escape(t)}") for n, t in enumerate(view.takeaways, start=1)]
    body.append(cards.text("Commitments until the next session", weight="Bolder", separator=True))
    if view.commitments:
        for line in view.commitments:
            due = f"due {line.due:%d %b %Y}" if line.due else "no due date"
            body.append(
                cards.columns(
                    cards.column([cards.text(f"**{cards.escape(line.city)}**")], width="auto"),
                    cards.column([cards.text(cards.escape(line.text))]),
                    cards.column([cards.text(due, subtle=True)], width="auto"),
                )
            )
    else:
        body.append(cards.text("None recorded.", subtle=True))
    body.append(cards.text("Key points", weight="Bolder", separator=True))
    body.append(cards.text(cards.escape(view.key_points)))
    if view.support.strip():
        body.append(cards.text("Support requested", weight="Bolder"))
        body.append(cards.text(cards.escape(view.support)))
    if view.next_session:
        body.append(cards.text(f"**Next session:** {view.next_session:%A %d %B %Y}"))
    return cards.card(body)
