"""The minutes dialog: setup, recap, tour de table, agreements, actions, next steps.

Cards where people would rather click (meeting type, attendees, recap statuses), typed text
where they would rather type (agreements, actions). Nothing is written until the last step;
`cancel` at any step leaves nothing behind; the dialog state lives in the database, so a
restart resumes where it was. See minutes.mmd beside this file for the states.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

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
from dialogs.context import city_for_writing
from dialogs.minutes import service
from dialogs.minutes.cards import closing_card, recap_card, setup_card, tour_card
from domain.actions import (
    ActionError,
    Status,
    local_today,
    parse_action_lines,
    parse_agreement_lines,
)
from domain.minutes import MeetingType, TourEntry
from domain.numbers import parse_int
from domain.text import quote, slug
from domain.when import WhenError, card_date

DIALOG_ID = "minutes"
_SPLIT = re.compile(r"[,;\n]")


def _indexes(raw: object, size: int) -> list[int]:
    if not isinstance(raw, str) or not raw.strip():
        return []
    picked = []
    for part in raw.split(","):
        index = parse_int(part, low=0, high=size - 1)
        if index is not None:
            picked.append(index)
    return sorted(set(picked))


def _iso_date(raw: object) -> date | None:
    try:
        return card_date(raw)
    except WhenError:
        return None


class MinutesDialog(ComponentDialog):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(DIALOG_ID)
        self.add_dialog(CardPrompt("minutes.setup", self._check_setup))
        self.add_dialog(CardPrompt("minutes.recap", self._check_recap))
        self.add_dialog(CardPrompt("minutes.tour", self._check_card))
        self.add_dialog(TextPrompt("minutes.agreements", self._check_agreements))
        self.add_dialog(TextPrompt("minutes.actions", self._check_actions))
        self.add_dialog(CardPrompt("minutes.closing", self._check_closing))
        self.add_dialog(
            WaterfallDialog(
                "minutes.steps",
                [
                    self.ask_setup_step,
                    self.ask_recap_step,
                    self.ask_tour_step,
                    self.ask_agreements_step,
                    self.ask_actions_step,
                    self.ask_closing_step,
                    self.save_minutes_step,
                ],
            )
        )
        self.initial_dialog_id = "minutes.steps"

    # validators: each says precisely what is wrong and leaves the card to be fixed

    @staticmethod
    async def _check_card(prompt: PromptValidatorContext) -> bool:
        return bool(prompt.recognized.succeeded)

    @staticmethod
    async def _check_setup(prompt: PromptValidatorContext) -> bool:
        if not prompt.recognized.succeeded:
            return False
        value: dict[str, Any] = prompt.recognized.value
        context = prompt.options.validations
        problems = []
        if value.get("meeting_type") not in {kind.value for kind in MeetingType}:
            problems.append("choose which meeting it was")
        today = date.fromisoformat(context["today"])
        try:
            meeting_date = card_date(value.get("date"))
        except WhenError as error:
            meeting_date = today  # reported here; nothing more to say about it below
            problems.append(f"the meeting's date: {error}")
        if meeting_date is None:
            problems.append("give the date of the meeting")
        elif meeting_date > today:
            problems.append(
                f"the date {meeting_date:%d %b %Y} is in the future — minutes are for a meeting that took place"
            )
        group = " ".join(str(value.get("group") or "").split())
        if not group:
            problems.append("name the stakeholder group (e.g. All stakeholders)")
        register: list[str] = context["register"]
        reps: list[str] = context["reps"]
        attended = [register[i] for i in _indexes(value.get("stakeholders"), len(register))]
        typed = [
            " ".join(part.split())
            for part in _SPLIT.split(str(value.get("new_stakeholders") or ""))
        ]
        known = {slug(name) for name in attended}
        for name in typed:
            if name and slug(name) and slug(name) not in known:
                known.add(slug(name))
                attended.append(name[:200])
        present = [reps[i] for i in _indexes(value.get("reps"), len(reps))]
        if not attended and not present:
            problems.append("tick who attended (stakeholders or city reps)")
        if problems:
            await prompt.context.send_activity("Please fix the card: " + "; ".join(problems) + ".")
            return False
        prompt.recognized.value = {
            "meeting_type": value["meeting_type"],
            "date": meeting_date.isoformat() if meeting_date else "",
            "group": group[:120],
            "stakeholders": attended,
            "reps": present,
        }
        return True

    @staticmethod
    async def _check_recap(prompt: PromptValidatorContext) -> bool:
        if not prompt.recognized.succeeded:
            return False
        value: dict[str, Any] = prompt.recognized.value
        allowed = {Status.DONE.value, Status.IN_PROGRESS.value, Status.DROPPED.value}
        statuses = {}
        for item_id in prompt.options.validations["ids"]:
            status = value.get(f"r{item_id}") or Status.IN_PROGRESS.value
            if status not in allowed:
                await prompt.context.send_activity("Mark each item done, ongoing or dropped.")
                return False
            statuses[str(item_id)] = status
        prompt.recognized.value = statuses
        return True

    @staticmethod
    async def _check_agreements(prompt: PromptValidatorContext) -> bool:
        try:
            parse_agreement_lines(
                prompt.recognized.value or "", prompt.options.validations["stakeholders"]
            )
        except ActionError as error:
            await prompt.context.send_activity(f"{error} Type the agreements again, or `none`.")
            return False
        if not (prompt.recognized.value or "").strip():
            await prompt.context.send_activity("Type the agreements, one per line, or `none`.")
            return False
        return True

    @staticmethod
    async def _check_actions(prompt: PromptValidatorContext) -> bool:
        text = prompt.recognized.value or ""
        context = prompt.options.validations
        turn = Turn.of(prompt.context)
        zone = ZoneInfo(context["zone"])
        try:
            parse_action_lines(
                text,
                stakeholders=context["stakeholders"],
                people=context["people"],
                city=context["city"],
                today=local_today(turn.now(), zone),
                zone=zone,
                now=turn.now(),
            )
        except ActionError as error:
            await prompt.context.send_activity(f"{error} Type the actions again, or `none`.")
            return False
        if not text.strip():
            await prompt.context.send_activity("Type the actions, one per line, or `none`.")
            return False
        return True

    @staticmethod
    async def _check_closing(prompt: PromptValidatorContext) -> bool:
        if not prompt.recognized.succeeded:
            return False
        value: dict[str, Any] = prompt.recognized.value
        context = prompt.options.validations
        next_call = value.get("next_call")
        if next_call:
            try:
                parsed = card_date(next_call)
            except WhenError as error:
                await prompt.context.send_activity(f"The next call's date: {error}.")
                return False
            if parsed is None:
                await prompt.context.send_activity("The next call's date is not a date.")
                return False
            if parsed < date.fromisoformat(context["today"]):
                await prompt.context.send_activity(
                    f"The next call on {parsed:%d %b %Y} would be in the past. Fix the date or leave it empty."
                )
                return False
        if not context["recorded"] and not str(value.get("next_steps") or "").strip():
            await prompt.context.send_activity(
                "These minutes record nothing yet: no agreement, action, recap or stakeholder "
                "update. Add the next steps on the card (or `cancel`)."
            )
            return False
        return True

    # steps

    async def ask_setup_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        city = await city_for_writing(turn)
        if isinstance(city, str):
            await step.context.send_activity(city)
            return await step.end_dialog()
        zone = ZoneInfo(city.timezone)
        today = local_today(turn.now(), zone)
        defaults = await service.setup_defaults(turn, city.id)
        register, reps = defaults.register, defaults.reps
        step.values.update(
            city_id=city.id, city=city.name, zone=city.timezone, today=today.isoformat()
        )
        step.values[once.INSTANCE] = instance = once.new_instance()
        options = ask_card(
            once.stamp(
                setup_card(
                    city=city.name,
                    today=today,
                    meeting_type=defaults.meeting_type,
                    group=defaults.group,
                    register=register,
                    reps=reps,
                ),
                instance,
            ),
            retry="Please fill in the card above and press Next (or type `cancel`).",
        )
        options.validations = {"today": today.isoformat(), "register": register, "reps": reps}
        return await step.prompt("minutes.setup", options)

    async def ask_recap_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values.update(step.result)
        turn = Turn.of(step.context)
        items = await service.recap_items(turn, step.values["city_id"], step.values["group"])
        step.values["recap_items"] = items
        if not items:
            await step.context.send_activity(
                f"No agreements or actions are open from earlier calls with {quote(step.values['group'])}."
            )
            return await step.next({})
        options = ask_card(
            once.stamp(recap_card(items), step.values.get(once.INSTANCE)),
            retry="Please mark the items on the card above and press Next.",
        )
        options.validations = {"ids": [item["id"] for item in items]}
        return await step.prompt("minutes.recap", options)

    async def ask_tour_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["recap"] = step.result or {}
        stakeholders = step.values["stakeholders"]
        if not stakeholders:
            return await step.next({})
        internal = step.values["meeting_type"] == MeetingType.ALIGNMENT
        return await step.prompt(
            "minutes.tour",
            ask_card(
                once.stamp(
                    tour_card(stakeholders, internal=internal), step.values.get(once.INSTANCE)
                ),
                retry="Please use the card above and press Next.",
            ),
        )

    async def ask_agreements_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        answers: dict[str, Any] = step.result or {}
        tour = []
        for index, name in enumerate(step.values["stakeholders"]):
            entry = TourEntry(
                stakeholder=name,
                progress=str(answers.get(f"t{index}_progress") or "").strip(),
                pain_points=str(answers.get(f"t{index}_pain") or "").strip(),
                planned=str(answers.get(f"t{index}_planned") or "").strip(),
                support=str(answers.get(f"t{index}_support") or "").strip(),
            )
            tour.append(entry.__dict__)
        step.values["tour"] = tour
        options = ask(
            "Agreements: one per line, `Stakeholder: what was agreed` (or `none`).",
        )
        options.validations = {"stakeholders": step.values["stakeholders"]}
        return await step.prompt("minutes.agreements", options)

    async def ask_actions_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["agreements"] = [
            list(pair)
            for pair in parse_agreement_lines(str(step.result), step.values["stakeholders"])
        ]
        turn = Turn.of(step.context)
        stakeholders, roster = await service.owners(
            turn, step.values["city_id"], step.values["stakeholders"]
        )
        step.values["owners"] = {"stakeholders": stakeholders, "people": roster}
        options = ask(
            "Actions: one per line, `what | owner | due date` — the owner a stakeholder, a "
            "person or the city; e.g. `Share the charging data | Energy Agency | 2026-12-15` (or `none`)."
        )
        options.validations = {
            "stakeholders": stakeholders,
            "people": roster,
            "city": step.values["city"],
            "zone": step.values["zone"],
        }
        return await step.prompt("minutes.actions", options)

    async def ask_closing_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        zone = ZoneInfo(step.values["zone"])
        drafts = parse_action_lines(
            str(step.result),
            stakeholders=step.values["owners"]["stakeholders"],
            people=step.values["owners"]["people"],
            city=step.values["city"],
            today=local_today(turn.now(), zone),
            zone=zone,
            now=turn.now(),
        )
        step.values["actions"] = [
            {
                "text": d.text,
                "owner_type": d.owner.type.value,
                "owner": d.owner.name,
                "due": d.due.isoformat() if d.due else None,
            }
            for d in drafts
        ]
        recorded = bool(
            step.values["agreements"]
            or step.values["actions"]
            or step.values["recap"]
            or any(any(v for k, v in t.items() if k != "stakeholder") for t in step.values["tour"])
        )
        options = ask_card(
            once.stamp(
                closing_card(date.fromisoformat(step.values["today"])),
                step.values.get(once.INSTANCE),
            ),
            retry="Please use the card above.",
        )
        options.validations = {"today": step.values["today"], "recorded": recorded}
        return await step.prompt("minutes.closing", options)

    async def save_minutes_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        answers: dict[str, Any] = step.result
        step.values["next_steps"] = str(answers.get("next_steps") or "").strip()
        next_call = _iso_date(answers.get("next_call"))
        step.values["next_call"] = next_call.isoformat() if next_call else None
        turn = Turn.of(step.context)
        await service.save_and_post(turn, dict(step.values))
        return await step.end_dialog()
