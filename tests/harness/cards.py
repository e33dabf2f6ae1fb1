"""Reading the cards the bot sends, as a person reads them."""

from __future__ import annotations

from typing import Any


def card_text(card: dict[str, Any]) -> str:
    """Every string in a card, for asserting that a fact is shown."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "title", "value") and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return "\n".join(found)
