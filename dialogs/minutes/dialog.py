"""The minutes dialog: setup, recap, the meeting (tour de table, agreements, actions), closing.

Everything it asks is on cards: in a channel a click reaches the bot without an @mention, a
typed answer would not. The first minutes of a city take three cards (setup, meeting,
closing); later ones add the recap of what earlier calls left open. Nothing is written until
the last step; `cancel` at any step leaves nothing behind; the dialog state lives in the
database, so a restart resumes where it was. `minutes edit <id>` runs the same cards
pre-filled (no recap) and saves over the minutes. See minutes.mmd beside this file.
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
from botbuilder.dialogs.prompts import PromptValidatorContext

from bot.sdk.prompts import CardPrompt, ask_card
from bot.turn import Turn
from dialogs import once
from dialogs.context import city_for_writing
from dialogs.minutes import service
from dialogs.minutes.cards import (
    ActionRow,
    closing_card,
    meeting_card,
    recap_card,
    setup_card,
)
from domain.actions import (
    MAX_TEXT,
    ActionError,
    OwnerType,
    Status,
    local_today,
    parse_action_lines,
    parse_agreement_lines,
)
from domain.minutes import MeetingType, TourEntry
from domain.numbers import parse_int
from domain.text import quote, slug
from domain.when import DEFAULT_LOCALE, WhenError, card_date

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


def _typed_date(prompt: PromptValidatorContext, raw: object) -> date | None:
    """A card's date as submitted: ISO from a date picker, or typed the way the writer's
    Teams locale writes it (a client that draws the picker as a text box)."""
    turn = Turn.of(prompt.context)
    zone = prompt.options.validations.get("zone")  # absent from a card asked before upgrade
    if not zone:
        return card_date(raw)
    return card_date(raw, locale=turn.locale, now=turn.now(), zone=ZoneInfo(zone))


def _iso_date(raw: object) -> date | None:
    try:
        return card_date(raw)
    except WhenError:
        return None


async def _answers_this_card(prompt: PromptValidatorContext, step: str) -> bool:
    """A click on this question's card: an earlier card of the dialog clicked again (a second
    Next on the setup card) is not taken for the answer to this one."""
    if not prompt.recognized.succeeded:
        return False
    instance = prompt.options.validations.get("instance")
    if instance and prompt.recognized.value.get(once.INSTANCE, instance) != instance:
        await prompt.context.send_activity(
            "That card is from an earlier run of `minutes`: please use the latest card above "
            "(or type `cancel`)."
        )
        return False
    if prompt.recognized.value.get("step", step) != step:
        await prompt.context.send_activity(
            "That card is already answered: please use the latest card above (or type `cancel`)."
        )
        return False
    return True


def _owner_choices(context: dict[str, Any]) -> list[tuple[str, str]]:
    """The meeting card's owners (title, value): stakeholders, people, then the city."""
    return [
        *((name, f"s{i}") for i, name in enumerate(context["owner_stakeholders"])),
        *((name, f"p{i}") for i, name in enumerate(context["people"])),
        (context["city"], "city"),
    ]


def _owner_of(raw: str, context: dict[str, Any]) -> tuple[OwnerType, str] | None:
    """The owner a row's choice names, or None for a value the card does not offer."""
    if raw == "city":
        return OwnerType.CITY, context["city"]
    lists = {"s": (OwnerType.STAKEHOLDER, "owner_stakeholders"), "p": (OwnerType.PERSON, "people")}
    kind, names = lists.get(raw[:1], (None, ""))
    index = parse_int(raw[1:], low=0, high=len(context.get(names, [])) - 1) if kind else None
    if kind is None or index is None:
        return None
    return kind, context[names][index]


def _lines(raw: object) -> list[str]:
    return [" ".join(line.split()) for line in str(raw or "").splitlines() if line.strip()]


def read_meeting(
    value: dict[str, Any],
    context: dict[str, Any],
    *,
    today: date,
    zone: ZoneInfo,
    now: Any,
    locale: str = DEFAULT_LOCALE,
) -> dict[str, Any] | list[str]:
    """The meeting card's answers (tour, agreements, actions as the step values keep them),
    or what is wrong with them, each a fragment of one reply."""
    problems: list[str] = []
    stakeholders: list[str] = context["stakeholders"]
    tour = [
        TourEntry(
            stakeholder=name,
            progress=str(value.get(f"t{index}_progress") or "").strip(),
            pain_points=str(value.get(f"t{index}_pain") or "").strip(),
            planned=str(value.get(f"t{index}_planned") or "").strip(),
            support=str(value.get(f"t{index}_support") or "").strip(),
        ).__dict__
        for index, name in enumerate(stakeholders)
    ]
    agreements: list[list[str | None]] = []
    for index, name in enumerate(stakeholders):
        agreements += [[name, line] for line in _lines(value.get(f"t{index}_agreed"))]
    try:
        agreements += [
            list(pair)
            for pair in parse_agreement_lines(str(value.get("agreements") or ""), stakeholders)
        ]
    except ActionError as error:
        problems.append(str(error).rstrip(".").lower())
    if any(len(str(text)) > MAX_TEXT for _, text in agreements) and not problems:
        problems.append(f"keep each agreement under {MAX_TEXT + 1} characters")
    actions: list[dict[str, Any]] = []
    for index in range(context["rows"]):
        what = " ".join(str(value.get(f"x{index}_what") or "").split())
        chosen = str(value.get(f"x{index}_owner") or "").strip()
        due_raw = str(value.get(f"x{index}_due") or "").strip()
        if not (what or chosen or due_raw):
            continue
        label = f"action {index + 1}"
        if not what:
            problems.append(f"{label}: say what is to be done")
        elif len(what) > MAX_TEXT:
            problems.append(f"{label}: keep it under {MAX_TEXT + 1} characters")
        owner = _owner_of(chosen, context) if chosen else None
        if owner is None:
            problems.append(f"{label}: choose its owner" + (" from the list" if chosen else ""))
        due: date | None = None
        try:
            due = card_date(due_raw, locale=locale, now=now, zone=zone)
        except WhenError as error:
            problems.append(f"{label}: the due date: {str(error).rstrip('.')}")
        else:
            if due is None:
                problems.append(f"{label}: give its due date")
            elif due < today:
                problems.append(f"{label}: the due date {due:%d %b %Y} is in the past")
        if what and owner and due:
            actions.append(
                {"text": what, "owner_type": owner[0].value, "owner": owner[1],
                 "due": due.isoformat()}
            )  # fmt: skip
    try:
        drafts = parse_action_lines(
            str(value.get("more_actions") or ""),
            stakeholders=context["all_stakeholders"],
            people=context["people"],
            city=context["city"],
            today=today,
            zone=zone,
            now=now,
            locale=locale,
        )
    except ActionError as error:
        problems.append(f"more actions: {str(error).rstrip('.')}")
    else:
        actions += [
            {"text": d.text, "owner_type": d.owner.type.value, "owner": d.owner.name,
             "due": d.due.isoformat() if d.due else None}
            for d in drafts
        ]  # fmt: skip
    if problems:
        return problems
    return {"tour": tour, "agreements": agreements, "actions": actions}


class MinutesDialog(ComponentDialog):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(DIALOG_ID)
        self.add_dialog(CardPrompt("minutes.setup", self._check_setup))
        self.add_dialog(CardPrompt("minutes.recap", self._check_recap))
        self.add_dialog(CardPrompt("minutes.meeting", self._check_meeting))
        self.add_dialog(CardPrompt("minutes.closing", self._check_closing))
        self.add_dialog(
            WaterfallDialog(
                "minutes.steps",
                [
                    self.ask_setup_step,
                    self.ask_recap_step,
                    self.ask_meeting_step,
                    self.ask_closing_step,
                    self.save_minutes_step,
                ],
            )
        )
        self.initial_dialog_id = "minutes.steps"

    # validators: each says precisely what is wrong and leaves the card to be fixed

    @staticmethod
    async def _check_setup(prompt: PromptValidatorContext) -> bool:
        if not await _answers_this_card(prompt, "setup"):
            return False
        value: dict[str, Any] = prompt.recognized.value
        context = prompt.options.validations
        problems = []
        if value.get("meeting_type") not in {kind.value for kind in MeetingType}:
            problems.append("choose which meeting it was")
        today = date.fromisoformat(context["today"])
        try:
            meeting_date = _typed_date(prompt, value.get("date"))
        except WhenError as error:
            meeting_date = today  # reported here; nothing more to say about it below
            problems.append(f"the meeting's date: {str(error).rstrip('.')}")
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
        if not await _answers_this_card(prompt, "recap"):
            return False
        value: dict[str, Any] = prompt.recognized.value
        allowed = {status.value for status in Status}
        statuses = {}
        current: dict[str, str] = prompt.options.validations["current"]
        for item_id, status_now in current.items():
            # Left as it was shown: its current status, never silently another.
            status = value.get(f"r{item_id}") or status_now
            if status not in allowed:
                await prompt.context.send_activity(
                    "Mark each item " + ", ".join(s.value for s in Status) + "."
                )
                return False
            statuses[str(item_id)] = status
        prompt.recognized.value = statuses
        return True

    @staticmethod
    async def _check_meeting(prompt: PromptValidatorContext) -> bool:
        if not await _answers_this_card(prompt, "meeting"):
            return False
        context = prompt.options.validations
        turn = Turn.of(prompt.context)
        zone = ZoneInfo(context["zone"])
        read = read_meeting(
            prompt.recognized.value,
            context,
            today=local_today(turn.now(), zone),
            zone=zone,
            now=turn.now(),
            locale=turn.locale,
        )
        if isinstance(read, list):
            await prompt.context.send_activity("Please fix the card: " + "; ".join(read) + ".")
            return False
        prompt.recognized.value = read
        return True

    @staticmethod
    async def _check_closing(prompt: PromptValidatorContext) -> bool:
        if not await _answers_this_card(prompt, "closing"):
            return False
        value: dict[str, Any] = prompt.recognized.value
        context = prompt.options.validations
        next_call = value.get("next_call")
        if next_call:
            try:
                parsed = _typed_date(prompt, next_call)
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
            # Kept as the day it was read as: the save step reads ISO.
            prompt.recognized.value = {**value, "next_call": parsed.isoformat()}
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
        minutes_id = (step.options or {}).get("minutes_id")
        editing = await service.editing(turn, int(minutes_id)) if minutes_id else None
        if editing is not None:
            city = await service.city_of(turn, editing.city_id)
        else:
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
        if editing is not None:
            step.values["editing"] = editing.__dict__
            # Whoever was recorded stays offered, even if the roster has changed since.
            reps = [*reps, *(name for name in editing.reps if name not in reps)]
            card = setup_card(
                city=city.name, today=today, meeting_type=MeetingType(editing.meeting_type),
                group=editing.group, register=register, reps=reps,
                meeting_date=date.fromisoformat(editing.meeting_date),
                attended=editing.stakeholders, present=editing.reps, editing=editing.minutes_id,
            )  # fmt: skip
        else:
            card = setup_card(
                city=city.name,
                today=today,
                meeting_type=defaults.meeting_type,
                group=defaults.group,
                register=register,
                reps=reps,
            )
        options = ask_card(
            once.stamp(card, instance),
            retry="Please fill in the card above and press Next (or type `cancel`).",
        )
        options.validations = {
            "today": today.isoformat(),
            "zone": city.timezone,
            "register": register,
            "reps": reps,
            "instance": instance,
        }
        return await step.prompt("minutes.setup", options)

    async def ask_recap_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values.update(step.result)
        step.values["recap_items"] = []
        if step.values.get("editing"):
            return await step.next({})  # the recap was taken with the minutes; it stays
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
        options.validations = {
            "current": {str(item["id"]): item["status"] for item in items},
            "instance": step.values.get(once.INSTANCE),
        }
        return await step.prompt("minutes.recap", options)

    async def ask_meeting_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["recap"] = step.result or {}
        turn = Turn.of(step.context)
        stakeholders: list[str] = step.values["stakeholders"]
        editing: dict[str, Any] = step.values.get("editing") or {}
        everyone, people = await service.owners(turn, step.values["city_id"], stakeholders)
        # The owners on offer: who attended, and whoever owned an action being edited.
        kept = [
            a["owner"]
            for a in editing.get("actions", [])
            if a["owner_type"] == OwnerType.STAKEHOLDER and a["owner"] not in stakeholders
        ]
        people += [
            a["owner"]
            for a in editing.get("actions", [])
            if a["owner_type"] == OwnerType.PERSON and a["owner"] not in people
        ]
        context = {
            "stakeholders": stakeholders,
            "owner_stakeholders": list(dict.fromkeys([*stakeholders, *kept])),
            "all_stakeholders": list(dict.fromkeys([*everyone, *kept])),
            "people": people,
            "city": step.values["city"],
            "zone": step.values["zone"],
        }
        prefill = _prefill(editing, context) if editing else {}
        context["rows"] = max(3, len(prefill.get("actions", ())))
        step.values["owners"] = {"stakeholders": context["all_stakeholders"], "people": people}
        card = meeting_card(
            stakeholders,
            internal=step.values["meeting_type"] == MeetingType.ALIGNMENT,
            owners=_owner_choices(context),
            **prefill,
        )
        options = ask_card(
            once.stamp(card, step.values.get(once.INSTANCE)),
            retry="Please use the card above and press Next (or type `cancel`).",
        )
        options.validations = {**context, "instance": step.values.get(once.INSTANCE)}
        return await step.prompt("minutes.meeting", options)

    async def ask_closing_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values.update(step.result)
        editing: dict[str, Any] = step.values.get("editing") or {}
        recorded = bool(
            step.values["agreements"]
            or step.values["actions"]
            or step.values["recap"]
            or editing.get("has_recap")
            or any(any(v for k, v in t.items() if k != "stakeholder") for t in step.values["tour"])
        )
        next_call = editing.get("next_call")
        card = closing_card(
            date.fromisoformat(step.values["today"]),
            next_steps=editing.get("next_steps", ""),
            next_call=date.fromisoformat(next_call) if next_call else None,
        )
        options = ask_card(
            once.stamp(card, step.values.get(once.INSTANCE)), retry="Please use the card above."
        )
        options.validations = {
            "today": step.values["today"],
            "zone": step.values["zone"],
            "recorded": recorded,
            "instance": step.values.get(once.INSTANCE),
        }
        return await step.prompt("minutes.closing", options)

    async def save_minutes_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        answers: dict[str, Any] = step.result
        step.values["next_steps"] = str(answers.get("next_steps") or "").strip()
        next_call = _iso_date(answers.get("next_call"))
        step.values["next_call"] = next_call.isoformat() if next_call else None
        turn = Turn.of(step.context)
        if step.values.get("editing"):
            await service.save_edit(turn, dict(step.values))
        else:
            await service.save_and_post(turn, dict(step.values))
        return await step.end_dialog()


def _prefill(editing: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """The meeting card as the minutes being edited recorded it, for who attended now."""
    stakeholders: list[str] = context["stakeholders"]
    said = {entry["stakeholder"]: entry for entry in editing["tour"]}
    agreed: dict[str, list[str]] = {name: [] for name in stakeholders}
    other = []
    for owner, text in editing["agreements"]:
        if owner in agreed:
            agreed[owner].append(text)
        else:
            other.append(f"{owner}: {text}" if owner else text)
    values = {value: (title, value) for title, value in _owner_choices(context)}
    by_owner = {
        (OwnerType.STAKEHOLDER, name): f"s{i}"
        for i, name in enumerate(context["owner_stakeholders"])
    }
    by_owner.update({(OwnerType.PERSON, name): f"p{i}" for i, name in enumerate(context["people"])})
    by_owner[(OwnerType.CITY, context["city"])] = "city"
    rows = []
    for action in editing["actions"]:
        owner = by_owner.get((OwnerType(action["owner_type"]), action["owner"]), "")
        due = action["due"]
        rows.append(
            ActionRow(
                action["text"],
                owner if owner in values else "",
                date.fromisoformat(due) if due else None,
            )
        )
    return {
        "tour": [said.get(name, {}) for name in stakeholders],
        "agreed": ["\n".join(agreed[name]) for name in stakeholders],
        "other_agreements": "\n".join(other),
        "actions": rows,
    }
