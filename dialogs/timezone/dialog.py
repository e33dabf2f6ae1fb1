"""The time-zone dialog: a card offers the programme cities' zones and a field for any other
(clicks reach the bot in a channel without an @mention); a zone typed as the answer works too
(in a channel, with an @mention, as the prompt says). Asks until it is one we know, then saves."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions, PromptRecognizerResult, PromptValidatorContext

from bot.sdk.prompts import CardPrompt, ask_card
from bot.turn import Turn
from dialogs.timezone import service
from dialogs.timezone.cards import timezone_card
from domain.text import quote
from domain.timezones import resolve_zone

DIALOG_ID = "timezone"
PROMPT_ID = "timezone.zone"
EXAMPLES = "a name like Europe/Rome, America/New_York, or a city like Lisbon"


class ZonePrompt(CardPrompt):
    """The card's answer, or a zone typed as the answer (the words, as sent)."""

    async def on_recognize(
        self, turn_context: TurnContext, state: dict[str, Any], options: PromptOptions
    ) -> PromptRecognizerResult:
        result: PromptRecognizerResult = await super().on_recognize(turn_context, state, options)
        typed = (turn_context.activity.text or "").strip()
        if not result.succeeded and typed and turn_context.activity.value is None:
            result.succeeded, result.value = True, {"other": typed}
        return result


class TimezoneDialog(ComponentDialog):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(DIALOG_ID)
        self.add_dialog(ZonePrompt(PROMPT_ID, self._valid_zone))
        self.add_dialog(
            WaterfallDialog(f"{DIALOG_ID}.steps", [self.ask_zone_step, self.save_zone_step])
        )
        self.initial_dialog_id = f"{DIALOG_ID}.steps"

    @staticmethod
    async def _valid_zone(prompt: PromptValidatorContext) -> bool:
        if not prompt.recognized.succeeded:
            return False
        value: dict[str, Any] = prompt.recognized.value
        asked = str(value.get("other") or "").strip() or str(value.get("zone") or "").strip()
        zone = resolve_zone(asked)
        if zone is None:
            said = f"I don't know the time zone {quote(asked)}" if asked else "Pick a time zone"
            await prompt.context.send_activity(
                f"{said}. Pick one on the card, or give {EXAMPLES} (or `cancel`)."
                if asked
                else f"{said} on the card, or give {EXAMPLES} (or `cancel`)."
            )
            return False
        prompt.recognized.value = zone
        return True

    async def ask_zone_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        person = await turn.person()
        current = person.timezone if person and person.timezone else None
        shown = current or f"not set (I use {turn.services.settings.default_timezone})"
        zones = await service.city_zones(turn)
        typed = "@mention me with its name" if turn.is_channel else "type its name"
        return await step.prompt(
            PROMPT_ID,
            ask_card(
                timezone_card(shown, zones, current),
                text=(
                    f"Your time zone is {shown}. Which time zone should I use for you? "
                    f"Pick it on the card, or {typed} (or `cancel`)."
                ),
            ),
        )

    async def save_zone_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        zone = str(step.result)
        turn = Turn.of(step.context)
        await service.save_timezone(turn, zone)
        await step.context.send_activity(service.saved(zone))
        return await step.end_dialog(zone)
