"""The time-zone card: the zones the programme's cities use, and a field for any other."""

from __future__ import annotations

from collections.abc import Sequence

from bot import cards
from bot.cards import DIALOG_VERB, Card

STEP = "timezone"


def timezone_card(
    shown: str, zones: Sequence[tuple[str, Sequence[str]]], current: str | None
) -> Card:
    """`zones`: (zone, the cities that use it). The person picks one, or types any other."""
    choices = [(f"{zone} ({', '.join(cities)})", zone) for zone, cities in zones]
    body = [
        cards.text("Your time zone", size="Medium", weight="Bolder"),
        cards.text(f"Now: {cards.escape(shown)}", subtle=True, spacing="None"),
    ]
    if choices:
        body.append(
            cards.choice_set(
                "zone",
                choices,
                value=current if current in {zone for zone, _ in zones} else None,
                expanded=False,
                label="A programme city's time zone",
            )
        )
    body.append(
        cards.text_input(
            "other",
            label="Or any other (wins over the list)",
            placeholder="e.g. America/New_York or Lisbon",
            max_length=64,
        )
    )
    return cards.card(body, [cards.submit("Save time zone", DIALOG_VERB, {"step": STEP})])
