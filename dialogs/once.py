"""Once means once: each dialog instance has an id, on every card it shows, and is saved once.

The id is made when the dialog begins and kept in its step values; the save claims it in
`finished_dialogs` before writing anything. A second click on the last card (a re-delivery, a
double click, a racing delivery on another replica) finds the claim and is told what the first
one saved; the handler answers a click on a card of a finished instance the same way.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import uuid4

from bot.cards import DIALOG_VERB, Card
from bot.cards import INSTANCE as INSTANCE  # its name in step values and card data
from bot.turn import Turn
from storage import finished

log = logging.getLogger(__name__)


def new_instance() -> str:
    return uuid4().hex


def stamp(card: Card, instance: str | None) -> Card:
    """The card, with the instance id in the data of every button that answers the dialog
    (unchanged for a dialog begun before instances had ids)."""
    pending: list[Any] = [card] if instance else []
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            data = node.get("data")
            if (
                node.get("type") == "Action.Submit"
                and isinstance(data, dict)
                and data.get("verb") == DIALOG_VERB
            ):
                data[INSTANCE] = instance
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return card


def key_of(turn: Turn, values: dict[str, Any]) -> str:
    """The instance id; a dialog begun before ids existed falls back to the activity."""
    return str(values.get(INSTANCE) or turn.activity_key)


async def finish(turn: Turn, key: str, kind: str) -> str | None:
    """Claim `key` for this turn's save: None if this turn saves, else the answer to give."""
    turn.mark_dialog_finished()
    if await finished.claim(turn.session, key, kind, turn.activity_key, turn.now()):
        return None
    done = await finished.get(turn.session, key)
    log.info("%s %s finished again (activity %s); nothing saved", kind, key, turn.activity_id)
    return finished.already_saved(done) if done is not None else f"That {kind} is already saved."
