"""What a turn does once the SDK has told us what arrived: run a command, answer a click.

The activity handler in bot/sdk/handler.py decodes the SDK's callbacks and calls these; the
vocabulary of card payloads (verbs, the dialog instance) is shared with the features.
"""

from __future__ import annotations

from typing import Any

from bot.cards import help_card
from bot.router import ActionResult, Router
from bot.turn import Turn
from domain.text import quote
from storage import finished

CANCEL_WORDS = {"cancel", "stop", "quit", "exit", "abort"}
MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"
CARD_RESPONSE = "application/vnd.microsoft.card.adaptive"
# Set in turn_state by a turn that finished a dialog instance (or found it finished).
DIALOG_FINISHED = "icc.dialog_finished"


def invoke_body(result: ActionResult) -> dict[str, Any]:
    """The documented Universal Actions response: a card replaces the clicked one, else a message."""
    if result.card is not None:
        return {"statusCode": 200, "type": CARD_RESPONSE, "value": result.card}
    return {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": result.message or "Done."}


async def run_command(router: Router, turn: Turn, text: str) -> None:
    if not text:
        await turn.reply("Hi! Here is what I can do.", help_card(router.help_entries()))
        return
    command, args = router.resolve(text)
    if command is None:
        # The last answer of a dialog, typed, delivered again after the dialog ended.
        done = await finished.finished_by(turn.session, turn.activity_key)
        if done is not None:
            await turn.reply(finished.already_saved(done))
            return
        shown = quote(text.split(" ", 1)[0], 40)
        closest = router.closest(text)
        hint = f" Did you mean `{closest}`?" if closest else ""
        await turn.reply(
            f"I don't know the command {shown}.{hint}", help_card(router.help_entries())
        )
        return
    await command.handler(turn, args)


async def deliver_submit_result(turn: Turn, result: ActionResult) -> None:
    """Action.Submit has no private answer: the interactor's card view cannot be shown.

    In a personal chat the message goes to the chat; in a channel only a refusal is worth a
    (threaded) reply — a confirmation per click would fill the channel with noise, and the
    shared card is updated in place by the feature anyway.
    """
    if result.message and (turn.is_personal or result.refused):
        await turn.reply(result.message)
