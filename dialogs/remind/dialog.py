"""The `remind setup` dialog: one card asks for the series, the save writes it (remind.mmd)."""

from __future__ import annotations

from typing import Any

from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptValidatorContext

from bot.sdk.prompts import CardPrompt, ask_card
from bot.turn import Turn
from dialogs import once
from dialogs.remind import service

DIALOG_ID = "remind"


class RemindDialog(ComponentDialog):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(DIALOG_ID)
        self.add_dialog(CardPrompt("remind.setup", self._check))
        self.add_dialog(
            WaterfallDialog("remind.steps", [self.ask_series_step, self.save_series_step])
        )
        self.initial_dialog_id = "remind.steps"

    @staticmethod
    async def _check(prompt: PromptValidatorContext) -> bool:
        if not prompt.recognized.succeeded:
            return False
        value: dict[str, Any] = prompt.recognized.value
        turn = Turn.of(prompt.context)
        answers = service.read_setup_form(value, turn.now(), turn.locale)
        if isinstance(answers, list):
            await prompt.context.send_activity("Please fix the card: " + "; ".join(answers) + ".")
            return False
        prompt.recognized.value = answers
        return True

    async def ask_series_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        card = await service.setup_form(turn)
        step.values[once.INSTANCE] = instance = once.new_instance()
        return await step.prompt(
            "remind.setup",
            ask_card(
                once.stamp(card, instance),
                retry="Please use the card above and press Save series.",
            ),
        )

    async def save_series_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        key = once.key_of(turn, step.values)
        text, card = await service.save_series(turn, step.result, key)
        await turn.reply(text, card)
        return await step.end_dialog()
