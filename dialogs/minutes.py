"""`minutes`: the minutes of an ecosystem call, from the recap of last time to the next call.

    minutes                          a dialog: setup, recap, tour de table, agreements,
                                     actions, next steps; saved in one transaction at the end
    minutes list | minutes show <id> | minutes export <id> [md|docx]

Cards where people would rather click (meeting type, attendees, recap statuses), typed text
where they would rather type (agreements, actions). Nothing is written until the last step;
`cancel` at any step leaves nothing behind; the dialog state lives in the database, so a
restart resumes where it was. See dialogs/minutes.mmd for the states.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal
from zoneinfo import ZoneInfo

from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptValidatorContext, TextPrompt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import payloads
from bot.files import File
from bot.outbox import Outcome
from bot.payloads import Payload, Scope
from bot.publishing import Published, Wording, publish
from bot.router import ActionResult, Router
from bot.services import Services
from bot.turn import Turn
from dialogs import once
from dialogs.common import CardPrompt, ask, ask_card
from dialogs.context import CITY_WRITERS, city_for_writing, readable_city_ids, shown_where
from dialogs.minutes_cards import (
    EXPORT,
    closing_card,
    minutes_card,
    minutes_list_card,
    recap_card,
    setup_card,
    tour_card,
)
from domain.actions import (
    ActionError,
    Kind,
    OwnerType,
    Status,
    local_today,
    parse_action_lines,
    parse_agreement_lines,
)
from domain.exports import render_docx
from domain.minutes import (
    MEETING_LABELS,
    ActionLine,
    MeetingType,
    MinutesDoc,
    RecapEntry,
    TourEntry,
    render_markdown,
)
from domain.numbers import parse_int
from domain.text import quote, slug
from domain.when import WhenError, card_date
from storage import actions as action_store
from storage import channels as channel_store
from storage import finished, people
from storage import minutes as minutes_store
from storage import outbox as outbox_store
from storage.models import ActionItem, City, Minutes

log = logging.getLogger(__name__)
router = Router()

DIALOG_ID = "minutes"
DEFAULT_GROUP = "All stakeholders"
_SPLIT = re.compile(r"[,;\n]")


# --- the dialog ---------------------------------------------------------------------------


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
        register = [s.name for s in await minutes_store.stakeholders_of(turn.session, city.id)]
        reps = [
            p.name for p in await people.people_with_role(turn.session, "city_rep", city_id=city.id)
        ]
        previous = await minutes_store.latest(turn.session, [city.id], limit=1)
        meeting_type = MeetingType.COMPLETE
        if previous and previous[0].meeting_type == MeetingType.COMPLETE:
            meeting_type = MeetingType.ALIGNMENT  # the rhythm alternates
        group = previous[0].stakeholder_group if previous else DEFAULT_GROUP
        step.values.update(
            city_id=city.id, city=city.name, zone=city.timezone, today=today.isoformat()
        )
        step.values[once.INSTANCE] = instance = once.new_instance()
        options = ask_card(
            once.stamp(
                setup_card(
                    city=city.name,
                    today=today,
                    meeting_type=meeting_type,
                    group=group,
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
        open_items = await action_store.open_for_recap(
            turn.session, step.values["city_id"], step.values["group"]
        )
        items = [
            {"id": item.id, "text": item.text, "owner": item.owner_name, "kind": item.kind,
             "due": f"{item.due_date:%d %b}" if item.due_date else None}
            for item in open_items
        ]  # fmt: skip
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
        register = [
            s.name
            for s in await minutes_store.stakeholders_of(turn.session, step.values["city_id"])
        ]
        stakeholders = list(dict.fromkeys([*step.values["stakeholders"], *register]))
        # Owners who are people: the city's own roster people, never a name someone gave themselves.
        roster = [p.name for p in await people.city_people(turn.session, step.values["city_id"])]
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
        await save_and_post(turn, dict(step.values))
        return await step.end_dialog()


router.add_dialog(MinutesDialog())


# --- saving and posting ----------------------------------------------------------------------


async def save_and_post(turn: Turn, values: dict[str, Any]) -> None:
    """Everything the dialog gathered, in one transaction; then the card in the city channel."""
    session = turn.session
    key = once.key_of(turn, values)
    already = await once.finish(turn, key, "minutes")
    if already is not None:
        await turn.reply(already)
        return
    who = turn.sender
    city_id = values["city_id"]
    register = await minutes_store.ensure_stakeholders(session, city_id, values["stakeholders"])
    for action in values["actions"]:
        if action["owner_type"] == OwnerType.STAKEHOLDER:
            register.update(
                await minutes_store.ensure_stakeholders(session, city_id, [action["owner"]])
            )
    recap_items = {str(item["id"]): item for item in values["recap_items"]}
    minutes = Minutes(
        source_key=f"minutes|{key}",
        city_id=city_id,
        meeting_type=values["meeting_type"],
        meeting_date=date.fromisoformat(values["date"]),
        stakeholder_group=values["group"],
        author_user_id=who.user_id,
        author_name=who.name or "someone",
        stakeholders=values["stakeholders"],
        reps=values["reps"],
        recap=[
            {
                "id": int(item_id),
                "text": recap_items[item_id]["text"],
                "owner": recap_items[item_id]["owner"],
                "kind": recap_items[item_id]["kind"],
                "status": status,
            }
            for item_id, status in values["recap"].items()
            if item_id in recap_items
        ],
        tour=values["tour"],
        next_steps=values["next_steps"],
        next_call=date.fromisoformat(values["next_call"]) if values.get("next_call") else None,
        conversation_id=turn.conversation_id,
        created_at=turn.now(),
    )
    session.add(minutes)
    await session.flush()
    await finished.record(session, key, minutes.id)
    for item_id, status in values["recap"].items():
        item = await action_store.get(session, int(item_id))
        if item is not None and item.city_id == city_id:
            await action_store.set_status(
                session,
                item,
                status,
                who.name or who.user_id,
                source_type="minutes",
                source_id=minutes.id,
                now=turn.now(),
            )
    for owner, text in values["agreements"]:
        stakeholder = register.get(owner) if owner else None
        session.add(
            ActionItem(
                kind=Kind.AGREEMENT,
                text=text,
                status=Status.OPEN,
                owner_type=OwnerType.STAKEHOLDER if owner else None,
                owner_name=owner,
                owner_stakeholder_id=stakeholder.id if stakeholder else None,
                city_id=city_id,
                stakeholder_group=values["group"],
                source_type="minutes",
                source_id=minutes.id,
                created_at=turn.now(),
                updated_at=turn.now(),
            )
        )
    for action in values["actions"]:
        owner_person = (
            await people.city_person_named(session, city_id, action["owner"])
            if action["owner_type"] == OwnerType.PERSON
            else None
        )
        stakeholder = (
            register.get(action["owner"]) if action["owner_type"] == OwnerType.STAKEHOLDER else None
        )
        session.add(
            ActionItem(
                kind=Kind.ACTION,
                text=action["text"],
                status=Status.OPEN,
                owner_type=action["owner_type"],
                owner_name=action["owner"],
                owner_person_id=owner_person.id if owner_person else None,
                owner_stakeholder_id=stakeholder.id if stakeholder else None,
                owner_city_id=city_id if action["owner_type"] == OwnerType.CITY else None,
                city_id=city_id,
                stakeholder_group=values["group"],
                source_type="minutes",
                source_id=minutes.id,
                due_date=date.fromisoformat(action["due"]) if action["due"] else None,
                created_at=turn.now(),
                updated_at=turn.now(),
            )
        )
    await session.flush()
    doc = await doc_of(turn, minutes)
    await turn.commit()
    log.info("minutes %s saved for city %s", minutes.id, city_id)
    await post_minutes(turn, minutes, doc)


async def post_minutes(turn: Turn, minutes: Minutes, doc: MinutesDoc) -> None:
    card = minutes_card(doc)
    channel = await channel_store.linked_to(turn.session, city_id=minutes.city_id)

    def remember(posted: Published) -> None:
        minutes.activity_id = minutes.activity_id or posted.activity_id

    await publish(
        turn, channel, card, record=f"minutes-posted:{minutes.id}", remember=remember,
        what=f"minutes {minutes.id}",
        wording=Wording(
            here=f"Minutes #{minutes.id} saved.",
            posted=f"Minutes #{minutes.id} saved and posted to {{where}}.",
            queued=f"Minutes #{minutes.id} saved. Teams is not taking messages right now; they "
            "will appear in {where} as soon as Teams does.",
            failed=f"Minutes #{minutes.id} saved, but I could not post them to {{where}}. "
            "Here they are:",
            somewhere="the city channel",
            echo=True,
        ),
    )  # fmt: skip


async def doc_of(turn: Turn, minutes: Minutes) -> MinutesDoc:
    city = await turn.session.get(City, minutes.city_id)
    items = (
        await turn.session.scalars(
            select(ActionItem)
            .where(ActionItem.source_type == "minutes", ActionItem.source_id == minutes.id)
            .order_by(ActionItem.id)
        )
    ).all()
    return MinutesDoc(
        id=minutes.id,
        city=city.name if city else "?",
        meeting_type=MeetingType(minutes.meeting_type),
        meeting_date=minutes.meeting_date,
        stakeholder_group=minutes.stakeholder_group,
        author=minutes.author_name,
        stakeholders=tuple(minutes.stakeholders),
        reps=tuple(minutes.reps),
        recap=tuple(
            RecapEntry(r["text"], r["kind"], r.get("owner"), r["status"]) for r in minutes.recap
        ),
        tour=tuple(TourEntry(**entry) for entry in minutes.tour),
        agreements=tuple(
            (item.owner_name, item.text) for item in items if item.kind == Kind.AGREEMENT
        ),
        actions=tuple(
            ActionLine(item.text, item.owner_name or "", item.due_date)
            for item in items
            if item.kind == Kind.ACTION
        ),
        next_steps=minutes.next_steps,
        next_call=minutes.next_call,
    )


# --- commands -----------------------------------------------------------------------------------

USAGE = "minutes | minutes list | minutes show <id> | minutes export <id> [md|docx]"


@router.command(
    "minutes",
    "minutes [list | show <id> | export <id> [md|docx]]",
    "Take the minutes of an ecosystem call, or read and export them.",
    starts="minutes",
)
async def minutes_command(turn: Turn, args: str) -> None:
    words = args.split()
    if not words:
        await turn.begin_dialog(DIALOG_ID)
        return
    sub = words[0].lower()
    if sub == "list":
        await list_minutes(turn)
    elif sub == "show" and len(words) == 2:
        minutes = await _readable(turn, words[1])
        if minutes is not None:
            await turn.reply(card=minutes_card(await doc_of(turn, minutes)))
    elif sub == "export" and len(words) in (2, 3):
        file_format = words[2].lower() if len(words) == 3 else "md"
        if file_format not in ("md", "docx"):
            await turn.reply("Export as `md` (Markdown) or `docx` (Word).")
            return
        minutes = await _readable(turn, words[1])
        if minutes is not None:
            await send_export(turn, minutes, file_format)
    else:
        await turn.reply(f"Usage: `{USAGE}`")


@dataclass
class MinutesRef(Payload):
    """`minutes show|export <id>`: the minutes it names, readable from here (DOMAIN.md C5)."""

    minutes_id: int
    minutes: Minutes = field(init=False, repr=False)

    async def scope(self, turn: Turn) -> Scope | str:
        minutes = await minutes_store.get(turn.session, self.minutes_id)
        if minutes is None:
            return f"I don't know minutes #{self.minutes_id}."
        self.minutes = minutes
        return Scope(
            f"Minutes #{minutes.id}",
            conversation_id=minutes.conversation_id,
            city_id=minutes.city_id,
            city_roles=CITY_WRITERS,
        )


@dataclass
class ExportClick(MinutesRef):
    format: Literal["md", "docx"] = "md"


async def _readable(turn: Turn, raw: str) -> Minutes | None:
    which = f"Which minutes? Give their number, e.g. `minutes show 12`. Usage: `{USAGE}`"
    found = await payloads.check_typed(turn, MinutesRef, raw, which)
    return found.minutes if found else None


async def list_minutes(turn: Turn) -> None:
    city_ids = await readable_city_ids(turn)
    if not city_ids:
        await turn.reply(shown_where())
        return
    for city_id in city_ids[:5]:
        city = await turn.session.get(City, city_id)
        rows = await minutes_store.latest(turn.session, [city_id], limit=15)
        listing = [
            (m.id, MEETING_LABELS[MeetingType(m.meeting_type)], m.meeting_date, m.stakeholder_group)
            for m in rows
        ]
        await turn.reply(card=minutes_list_card(city.name if city else "?", listing))


def export_file(doc: MinutesDoc, file_format: str) -> File:
    name = f"minutes-{doc.id}-{slug(doc.city)}-{doc.meeting_date.isoformat()}"
    if file_format == "docx":
        content = render_docx(doc)
        content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    else:
        content = render_markdown(doc).encode("utf-8")
        content_type = "text/markdown"
    return File(f"{name}.{file_format}", content_type, content)


async def send_export(turn: Turn, minutes: Minutes, file_format: str) -> None:
    doc = await doc_of(turn, minutes)
    label = "Word" if file_format == "docx" else "Markdown"
    await turn.reply(
        f"Minutes #{minutes.id} as {label}, ready to e-mail to the stakeholders.",
        files=[export_file(doc, file_format)],
    )


@router.action(EXPORT, ExportClick)
async def export_action(turn: Turn, click: ExportClick) -> ActionResult:
    await send_export(turn, click.minutes, click.format)
    return ActionResult(message="The file is posted below the minutes.")


@router.on_startup
async def on_startup(services: Services) -> None:
    """A minutes card whose post was queued records its activity id once Teams takes it."""

    async def posted(session: AsyncSession, argument: str, outcome: Outcome) -> None:
        if outcome.status == "sent" and argument.isdigit():
            await outbox_store.record_posted(
                session, int(argument), outcome.activity_id, model=Minutes
            )

    services.require_outbox().on("minutes-posted", posted)
