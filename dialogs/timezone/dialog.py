"""The time-zone dialog: asks for a zone until it is one we know, then saves it."""

from __future__ import annotations

from botbuilder.core import MessageFactory
from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions, PromptValidatorContext, TextPrompt

from bot.turn import Turn
from dialogs.timezone import service
from domain.timezones import resolve_zone

DIALOG_ID = "timezone"
PROMPT_ID = "timezone.zone"


class TimezoneDialog(ComponentDialog):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(DIALOG_ID)
        self.add_dialog(TextPrompt(PROMPT_ID, self._valid_zone))
        self.add_dialog(
            WaterfallDialog(f"{DIALOG_ID}.steps", [self.ask_zone_step, self.save_zone_step])
        )
        self.initial_dialog_id = f"{DIALOG_ID}.steps"

    @staticmethod
    async def _valid_zone(prompt: PromptValidatorContext) -> bool:
        return bool(prompt.recognized.succeeded and resolve_zone(prompt.recognized.value or ""))

    async def ask_zone_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        person = await turn.person()
        current = person.timezone if person and person.timezone else None
        shown = current or f"not set (I use {turn.services.settings.default_timezone})"
        return await step.prompt(
            PROMPT_ID,
            PromptOptions(
                prompt=MessageFactory.text(
                    f"Your time zone is {shown}. Which time zone should I use for you? "
                    "Type a name like Europe/Rome or a city like Lisbon (or `cancel`)."
                ),
                retry_prompt=MessageFactory.text(
                    "I don't know that time zone. Try a name like Europe/Rome, America/New_York, "
                    "or a city like Lisbon (or `cancel`)."
                ),
            ),
        )

    async def save_zone_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        zone = resolve_zone(str(step.result))
        assert zone is not None  # the prompt's validator accepted it
        turn = Turn.of(step.context)
        await service.save_timezone(turn, zone)
        await step.context.send_activity(service.saved(zone))
        return await step.end_dialog(zone)
