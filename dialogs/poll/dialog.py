"""The `poll` dialog (poll.mmd): `poll` alone asks for the question, the options, then the
settings on a card; nothing is stored before the last step, `cancel` ends it anywhere."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from botbuilder.core import MessageFactory
from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptValidatorContext, TextPrompt

from bot.sdk.prompts import CardPrompt, ask, ask_card
from bot.turn import Turn
from dialogs import once
from dialogs.poll.cards import settings_card
from dialogs.poll.service import create_poll
from domain.polls import PollError, PollSpec, split_options, validate_options, validate_question
from domain.when import WhenError, describe, parse_when

DIALOG_ID = "poll.create"


class PollDialog(ComponentDialog):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(DIALOG_ID)
        self.add_dialog(TextPrompt("poll.question", self._check_question))
        self.add_dialog(TextPrompt("poll.options", self._check_options))
        self.add_dialog(CardPrompt("poll.settings", self._check_settings))
        self.add_dialog(
            WaterfallDialog(
                "poll.steps",
                [
                    self.ask_question_step,
                    self.ask_options_step,
                    self.ask_settings_step,
                    self.create_poll_step,
                ],
            )
        )
        self.initial_dialog_id = "poll.steps"

    @staticmethod
    async def _check_question(prompt: PromptValidatorContext) -> bool:
        try:
            validate_question(prompt.recognized.value or "")
        except PollError as error:
            await prompt.context.send_activity(f"{error} What is the question? (or `cancel`)")
            return False
        return True

    @staticmethod
    async def _check_options(prompt: PromptValidatorContext) -> bool:
        try:
            validate_options(split_options(prompt.recognized.value or ""))
        except PollError as error:
            await prompt.context.send_activity(f"{error} Type the options again (or `cancel`).")
            return False
        return True

    @staticmethod
    async def _check_settings(prompt: PromptValidatorContext) -> bool:
        if not prompt.recognized.succeeded:
            return False
        closes = str(prompt.recognized.value.get("closes") or "").strip()
        if closes:
            turn = Turn.of(prompt.context)
            try:
                parse_when(closes, turn.now(), await turn.timezone())
            except WhenError as error:
                await prompt.context.send_activity(
                    f"Closing time: {error} Fix it on the card and press Create poll again."
                )
                return False
        return True

    async def ask_question_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values[once.INSTANCE] = once.new_instance()
        return await step.prompt(
            "poll.question", ask("What is the poll's question? (`cancel` stops)")
        )

    async def ask_options_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["question"] = validate_question(str(step.result))
        return await step.prompt(
            "poll.options",
            ask("Type the options, 2 to 10: one per line, or separated by |."),
        )

    async def ask_settings_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["options"] = list(validate_options(split_options(str(step.result))))
        return await step.prompt(
            "poll.settings",
            ask_card(
                once.stamp(settings_card(), step.values.get(once.INSTANCE)),
                retry="Please choose on the card above and press Create poll (or type `cancel`).",
            ),
        )

    async def create_poll_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        answers: dict[str, Any] = step.result
        closes = str(answers.get("closes") or "").strip()
        zone: ZoneInfo = await turn.timezone()
        spec = PollSpec(
            question=step.values["question"],
            options=tuple(step.values["options"]),
            multi=answers.get("mode") == "multi",
            anonymous=str(answers.get("anonymous")).lower() == "true",
            closes_at=parse_when(closes, turn.now(), zone) if closes else None,
        )
        poll = await create_poll(turn, spec, once.key_of(turn, step.values))
        if poll is not None and spec.closes_at is not None:
            await step.context.send_activity(
                MessageFactory.text(f"It closes {describe(spec.closes_at, zone)}.")
            )
        return await step.end_dialog()
