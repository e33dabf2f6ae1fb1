"""What a turn does once the SDK has told us what arrived: run a command, answer a click.

The activity handler in bot/sdk/handler.py decodes the SDK's callbacks and calls these; the
vocabulary of card payloads (verbs, the dialog instance) is shared with the features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.cards import help_card, unknown_command_card
from bot.router import ActionResult, Command, Router
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
        run = router.commands[closest] if closest else None
        await turn.reply(
            card=unknown_command_card(
                f"I don't know the command {shown}.{hint}",
                (run.help.starts or run.name) if run else None,
            )
        )
        return
    await command.handler(turn, args)


# --- interruptions -------------------------------------------------------------------------
#
# The Bot Framework's interruption pattern: a command typed while a dialog waits is not fed
# to the dialog's prompt. `cancel` ends the dialog; a command that keeps dialogs (`help`) runs
# and the question stays; any other command leaves the dialog (nothing of it was saved) and
# runs. A card button that types a command is a command whatever the dialog waits for.
#
# The rule for typed text while a prompt waits for typed text (a poll's question, a time zone
# name): the text is the answer, unless it is exactly a command word ("help", "actions"), or
# the waiting dialog's own command with arguments ("timezone Lisbon" at the time zone
# question starts over with what was given). So "Actions for next week?" typed as a poll's
# question is the question. A prompt that waits for a card click takes no typed answer: there
# every text that starts with a command word is that command.


@dataclass(frozen=True)
class Waiting:
    """The dialogs a person has open: the commands that start them (outermost first, where
    known) and whether the question now asked takes typed text (else a card click)."""

    starters: tuple[Command | None, ...]
    typed: bool
    # The dialog instance (dialogs/once.py) its cards carry: a card of another instance (one
    # left by an interruption, or cancelled) asks the same question but is no answer to it.
    instance: str | None = None

    def starts(self) -> list[str]:
        """What starts each open dialog again ("minutes", "remind setup"), each once."""
        return list(
            dict.fromkeys(c.help.starts for c in self.starters if c is not None and c.help.starts)
        )

    def names(self) -> str:
        named = [f"`{starts}`" for starts in self.starts()]
        return f"the {' and '.join(named)} questions" if named else "the question I was asking"


def interrupts(router: Router, text: str, waiting: Waiting) -> Command | None:
    """The command that `text` runs instead of answering the waiting question, if any."""
    command, args = router.resolve(text)
    if command is None or not waiting.typed or not args:
        return command
    return command if command in waiting.starters else None


def still_waiting(waiting: Waiting) -> str:
    where = "an answer to the question above" if waiting.typed else "the card above"
    if not waiting.starts():
        return f"My question is still waiting for {where}."
    names = waiting.names()
    return f"{names[0].upper()}{names[1:]} are still waiting for {where}."


def left_behind(waiting: Waiting, text: str) -> str:
    """What the person is told when the command `text` makes them leave the waiting dialogs:
    which, and how to start them again (unless `text` is what starts them, and does now)."""
    typed = " ".join(text.lower().split())
    again = [
        f"`{starts}` starts them again"
        for starts in waiting.starts()
        if typed != starts and not typed.startswith(starts + " ")
    ]
    tail = f"; {', '.join(again)}" if again else ""
    return f"I left {waiting.names()} unfinished — nothing was saved{tail}."


async def deliver_submit_result(turn: Turn, result: ActionResult) -> None:
    """Action.Submit has no private answer: the interactor's card view cannot be shown.

    In a personal chat the message goes to the chat; in a channel only a refusal is worth a
    (threaded) reply — a confirmation per click would fill the channel with noise, and the
    shared card is updated in place by the feature anyway.
    """
    if result.message and (turn.is_personal or result.refused):
        await turn.reply(result.message)
