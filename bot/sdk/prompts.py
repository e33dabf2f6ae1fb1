"""The SDK pieces every dialog.py uses: a prompt answered by clicking a card, and prompt options."""

from __future__ import annotations

from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import Dialog
from botbuilder.dialogs.prompts import Prompt, PromptOptions, PromptRecognizerResult
from botbuilder.schema import Activity

from bot.cards import DIALOG_VERB, Card
from bot.sdk.attachments import attachment

# Dialog is what the router collects (bot/router.py names it only for type checking).
__all__ = ["CardPrompt", "Dialog", "ask", "ask_card"]


def ask(text: str, retry: str | None = None) -> PromptOptions:
    return PromptOptions(
        prompt=MessageFactory.text(text),
        retry_prompt=MessageFactory.text(retry) if retry else None,
    )


def ask_card(card: Card, retry: str | None = None, text: str | None = None) -> PromptOptions:
    return PromptOptions(
        prompt=MessageFactory.attachment(attachment(card), text=text),
        retry_prompt=MessageFactory.text(retry) if retry else None,
    )


class CardPrompt(Prompt):  # type: ignore[misc]
    """A prompt whose answer is a card submit (Action.Submit with verb "dialog").

    The answer is the submitted dict (the card's data merged with its inputs). Typed text is
    not an answer: the person is reminded to use the card (or to type `cancel`).
    """

    async def on_prompt(
        self,
        turn_context: TurnContext,
        state: dict[str, Any],
        options: PromptOptions,
        is_retry: bool,
    ) -> None:
        if is_retry and options.retry_prompt is not None:
            await turn_context.send_activity(options.retry_prompt)
        elif options.prompt is not None:
            await turn_context.send_activity(options.prompt)
            # The card is in the chat now; keeping it in the dialog state would make every later
            # turn of this dialog read, hash and write it again (jsonpickle, twice per turn).
            options.prompt = None

    async def on_recognize(
        self, turn_context: TurnContext, state: dict[str, Any], options: PromptOptions
    ) -> PromptRecognizerResult:
        activity: Activity = turn_context.activity
        result = PromptRecognizerResult()
        if isinstance(activity.value, dict) and activity.value.get("verb") == DIALOG_VERB:
            result.succeeded = True
            result.value = dict(activity.value)
        return result
