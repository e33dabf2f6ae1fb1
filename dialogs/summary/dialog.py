"""The summary dialog: the form (key points, takeaways, support, next session), then the
commitments each city makes, then saved and posted; `summary edit` skips the commitments.
States: summary.mmd.
"""

from __future__ import annotations

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
from dialogs.summary import service
from dialogs.summary.cards import commitments_form, summary_form
from domain.actions import ActionError, local_today, parse_commitment_lines
from domain.numbers import parse_int
from domain.text import escape_markdown as md
from domain.when import WhenError, card_date

DIALOG_ID = "summary"


class SummaryDialog(ComponentDialog):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(DIALOG_ID)
        self.add_dialog(CardPrompt("summary.form", self._check_form))
        self.add_dialog(CardPrompt("summary.commitments", self._check_commitments))
        self.add_dialog(
            WaterfallDialog(
                "summary.steps",
                [self.ask_summary_step, self.ask_commitments_step, self.save_summary_step],
            )
        )
        self.initial_dialog_id = "summary.steps"

    @staticmethod
    async def _check_form(prompt: PromptValidatorContext) -> bool:
        if not prompt.recognized.succeeded:
            return False
        value: dict[str, Any] = prompt.recognized.value
        turn = Turn.of(prompt.context)
        problems = []
        key_points = str(value.get("key_points") or "").strip()
        takeaways = [str(value.get(f"takeaway{i}") or "").strip() for i in range(3)]
        if not key_points:
            problems.append("write the key points")
        if not takeaways[0]:
            problems.append("give at least the first takeaway")
        try:
            next_session = card_date(
                value.get("next_session"), locale=turn.locale, now=turn.now(),
                zone=await turn.timezone(),
            )  # fmt: skip
        except WhenError as error:
            next_session = None
            problems.append(f"the next session's date: {error}")
        if next_session and next_session < turn.now().date():
            problems.append("the next session would be in the past")
        session = parse_int(value.get("session"), low=1, high=20)
        if session is None:
            problems.append("the session number goes from 1 to 20")
        if problems:
            await prompt.context.send_activity("Please fix the card: " + "; ".join(problems) + ".")
            return False
        prompt.recognized.value = {
            "session": session,
            "key_points": key_points,
            "takeaways": [t for t in takeaways if t],
            "support": str(value.get("support") or "").strip(),
            "next_session": next_session.isoformat() if next_session else None,
        }
        return True

    @staticmethod
    async def _check_commitments(prompt: PromptValidatorContext) -> bool:
        if not prompt.recognized.succeeded:
            return False
        value: dict[str, Any] = prompt.recognized.value
        context = prompt.options.validations
        turn = Turn.of(prompt.context)
        zone = ZoneInfo(context["zone"])
        text = "none" if value.get("none") else str(value.get("commitments") or "")
        if not text.strip():
            await prompt.context.send_activity(
                "Write the commitments on the card, one per line, or press No commitments."
            )
            return False
        try:
            drafts = parse_commitment_lines(
                text, context["cities"], today=local_today(turn.now(), zone), zone=zone,
                now=turn.now(), locale=turn.locale,
            )  # fmt: skip
        except ActionError as error:
            await prompt.context.send_activity(
                f"{error} Fix it on the card, or press No commitments."
            )
            return False
        # Read once, in the writer's locale: the saving step takes the days as read here.
        prompt.recognized.value = [
            {"city": d.city, "text": d.text, "due": d.due.isoformat() if d.due else None}
            for d in drafts
        ]
        return True

    async def ask_summary_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        start = await service.start(
            turn.session, int(step.options["tag_id"]), step.options.get("summary_id")
        )
        step.values.update(
            tag_id=start.tag_id, tag=start.tag, zone=start.timezone, summary_id=start.summary_id
        )
        if start.first:
            await step.context.send_activity(
                f"{md(start.tag)} has no sessions on record yet: this is the summary of its first."
            )
        form = summary_form(
            tag=start.tag, session=start.session, key_points=start.key_points,
            takeaways=start.takeaways, support=start.support, next_session=start.next_session,
        )  # fmt: skip
        step.values[once.INSTANCE] = instance = once.new_instance()
        return await step.prompt(
            "summary.form",
            ask_card(
                once.stamp(form, instance), retry="Please fill in the card above and press Next."
            ),
        )

    async def ask_commitments_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values.update(step.result)
        if step.values["summary_id"]:
            return await step.next(None)  # editing: commitments live on in the action tracker
        turn = Turn.of(step.context)
        cities = await service.cities_of(turn.session, step.values["tag_id"])
        step.values["cities"] = cities
        options = ask_card(
            once.stamp(commitments_form(cities), step.values.get(once.INSTANCE)),
            retry="Please write the commitments on the card above, or press No commitments.",
        )
        options.validations = {"cities": cities, "zone": step.values["zone"]}
        return await step.prompt("summary.commitments", options)

    async def save_summary_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        if step.values["summary_id"]:
            await service.save_edit(turn, dict(step.values))
            return await step.end_dialog()
        step.values["commitments"] = step.result
        await service.save_and_post(turn, dict(step.values))
        return await step.end_dialog()
