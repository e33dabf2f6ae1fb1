"""The agenda dialog: when the session is, then the agenda built on one card, then posted.

The agenda starts from the TAG's template (the programme default is seeded), with the recap
item pre-filled by the commitments still open from the TAG's summaries. Items are edited,
reordered, removed and added on one card; the running total is shown against the session's
length and going over is flagged. States: agenda.mmd.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

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
from dialogs.agenda import service
from dialogs.agenda.cards import edit_card, when_card
from domain.agenda import (
    DEFAULT_LENGTH,
    AgendaError,
    apply_edits,
    guiding_questions,
    items_from,
    items_to_raw,
    recap_from,
    recap_to_raw,
    total,
)
from domain.numbers import parse_int
from domain.timezones import resolve_zone
from domain.when import WhenError, card_date

DIALOG_ID = "agenda"


class AgendaDialog(ComponentDialog):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(DIALOG_ID)
        self.add_dialog(CardPrompt("agenda.when", self._check_when))
        self.add_dialog(CardPrompt("agenda.edit", self._check_edit))
        self.add_dialog(
            WaterfallDialog(
                "agenda.steps", [self.ask_when_step, self.edit_agenda_step, self.post_agenda_step]
            )
        )
        self.initial_dialog_id = "agenda.steps"

    @staticmethod
    async def _check_when(prompt: PromptValidatorContext) -> bool:
        if not prompt.recognized.succeeded:
            return False
        value: dict[str, Any] = prompt.recognized.value
        turn = Turn.of(prompt.context)
        problems = []
        zone_name = resolve_zone(str(value.get("timezone") or ""))
        if zone_name is None:
            problems.append("the time zone is not one I know (e.g. Europe/Brussels)")
        try:
            day = card_date(
                value.get("day"), locale=turn.locale, now=turn.now(),
                zone=ZoneInfo(zone_name or "UTC"),
            )  # fmt: skip
            clock = time.fromisoformat(str(value.get("time") or "")[:5])
            if day is None:
                raise ValueError("no day")
        except WhenError as error:  # a day outside the calendar we keep: say so
            problems.append(str(error))
            day, clock = None, None
        except ValueError:
            problems.append("give the date and the start time")
            day, clock = None, None
        starts_at = None
        if day and clock and zone_name:
            starts_at = datetime.combine(day, clock, tzinfo=ZoneInfo(zone_name))
            if starts_at <= turn.now():
                problems.append("that start time has already passed")
        session = parse_int(value.get("session"), low=1, high=20)
        length = parse_int(value.get("length") or DEFAULT_LENGTH, low=15, high=240)
        if session is None:
            problems.append("the session number goes from 1 to 20")
        if length is None:
            problems.append("the session lasts between 15 and 240 minutes")
        if problems:
            await prompt.context.send_activity("Please fix the card: " + "; ".join(problems) + ".")
            return False
        assert starts_at is not None
        assert zone_name is not None
        prompt.recognized.value = {
            "session": session,
            "length": length,
            "starts_at": starts_at.isoformat(),
            "timezone": zone_name,
        }
        return True

    @staticmethod
    async def _check_edit(prompt: PromptValidatorContext) -> bool:
        if not prompt.recognized.succeeded:
            return False
        form: dict[str, Any] = prompt.recognized.value
        context = prompt.options.validations
        try:
            items = apply_edits(items_from(context["items"]), form)
        except AgendaError as error:
            await prompt.context.send_activity(f"{error} Fix it on the card.")
            return False
        context["items"] = items_to_raw(items)  # the dialog state keeps the latest version
        if form.get("do") != "post":
            length = int(context["length"])
            recap = recap_from(context["recap"])
            note = f"Updated: {total(items)} of {length} min."
            card = once.stamp(
                edit_card(items, length, recap, note, bool(context.get("editing"))),
                context.get(once.INSTANCE),
            )
            await prompt.context.send_activity(ask_card(card).prompt)
            return False
        prompt.recognized.value = {"items": items_to_raw(items)}
        return True

    async def ask_when_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        start = await service.start(
            turn.session, int(step.options["tag_id"]), turn.now(), step.options.get("agenda_id")
        )
        step.values.update(
            tag_id=start.tag_id, tag=start.tag, items=items_to_raw(start.items),
            length=start.length, recap=recap_to_raw(start.recap), agenda_id=start.agenda_id,
            shown_start=start.starts_at.isoformat(), shown_length=start.length,
        )  # fmt: skip
        card = when_card(
            tag=start.tag, session=start.session, day=start.starts_at.date(),
            clock=f"{start.starts_at:%H:%M}", timezone=start.timezone, length=start.length,
            questions=guiding_questions(start.session), first=start.held == 0,
            editing=start.agenda_id is not None,
        )  # fmt: skip
        step.values[once.INSTANCE] = instance = once.new_instance()
        return await step.prompt(
            "agenda.when",
            ask_card(
                once.stamp(card, instance), retry="Please fill in the card above and press Next."
            ),
        )

    async def edit_agenda_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values.update(step.result)
        turn = Turn.of(step.context)
        # A session already saved is corrected, not posted a second time: it opens with what
        # was posted (its items and recap), and Post updates its card in place.
        posted = await service.posted_session(
            turn.session, int(step.values["tag_id"]), int(step.values["session"])
        )
        if posted is not None and posted.agenda_id != step.values.get("agenda_id"):
            step.values.update(
                agenda_id=posted.agenda_id, items=items_to_raw(posted.items),
                recap=recap_to_raw(posted.recap),
            )  # fmt: skip
            # The when card showed the next session's defaults: what the person left as shown
            # is the posted session's own, not the defaults.
            if _same_moment(step.values["starts_at"], step.values.get("shown_start")):
                step.values.update(starts_at=posted.starts_at.isoformat(), timezone=posted.timezone)
            if step.values["length"] == step.values.get("shown_length"):
                step.values["length"] = posted.length
        note = None
        if step.values.get("agenda_id") is not None:
            note = (
                f"Session {step.values['session']} is already posted: this is its agenda as "
                "posted. Post updates the posted card (attendance answers are kept)."
            )
        items = items_from(step.values["items"])
        recap = recap_from(step.values["recap"])
        instance = step.values.get(once.INSTANCE)
        editing = step.values.get("agenda_id") is not None
        options = ask_card(
            once.stamp(edit_card(items, step.values["length"], recap, note, editing), instance),
            retry="Please use the card above.",
        )
        options.validations = {
            "items": step.values["items"],
            "length": step.values["length"],
            "recap": step.values["recap"],
            "editing": editing,
            once.INSTANCE: instance,
        }
        return await step.prompt("agenda.edit", options)

    async def post_agenda_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["items"] = step.result["items"]
        if step.values.get("agenda_id") is not None:
            await service.update_agenda(Turn.of(step.context), dict(step.values))
        else:
            await service.post_agenda(Turn.of(step.context), dict(step.values))
        return await step.end_dialog()


def _same_moment(one: str, other: object) -> bool:
    return isinstance(other, str) and datetime.fromisoformat(one) == datetime.fromisoformat(other)
