"""`timezone`: a person's own time zone, used to show and read dates and times for them."""

from __future__ import annotations

from botbuilder.core import MessageFactory
from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions, PromptValidatorContext, TextPrompt

from bot.router import Router
from bot.turn import Turn
from domain.text import quote
from domain.timezones import resolve_zone
from storage import people

router = Router()

DIALOG_ID = "timezone"
PROMPT_ID = "timezone.zone"


async def save_timezone(turn: Turn, zone: str) -> None:
    # turn.person() first: someone the roster knows by e-mail only gets their roster entry
    # (ids learnt from Teams), not a row of their own.
    person = await turn.person()
    if person is None:
        who = turn.sender
        person = await people.ensure_person(turn.session, who.user_id, who.aad_object_id, who.name)
    person.timezone = zone
    await turn.commit()


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
        await save_timezone(turn, zone)
        await step.context.send_activity(f"Done: I'll show times to you in {zone}.")
        return await step.end_dialog(zone)


router.add_dialog(TimezoneDialog())


@router.command(
    "timezone",
    "timezone [<Area/City>]",
    "Set the time zone I use to show you dates and read the times you type.",
    starts="timezone",
)
async def timezone_command(turn: Turn, args: str) -> None:
    if not args:
        await turn.begin_dialog(DIALOG_ID)
        return
    zone = resolve_zone(args)
    if zone is None:
        await turn.reply(
            f"I don't know the time zone {quote(args)}. Try a name like Europe/Rome or a city like Lisbon."
        )
        return
    await save_timezone(turn, zone)
    await turn.reply(f"Done: I'll show times to you in {zone}.")
