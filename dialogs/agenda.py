"""`agenda [<TAG>]`: build the agenda of the TAG's next working session and post it.

The agenda starts from the TAG's template (the programme default is seeded), with the recap
item pre-filled by the commitments still open from the TAG's summaries. Items are edited,
reordered, removed and added on one card; the running total is shown against the session's
length and going over is flagged. The posted card carries the preparation checklist, the
guiding questions for the session's stage, "I'll attend / can't attend" counts updated in
place, and item proposals that the agenda's owner accepts or declines.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptValidatorContext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.card_sync import CardState, CardSync
from bot.outbound import Target
from bot.payloads import MaxLength, Payload, Scope
from bot.publishing import Published, Wording, publish
from bot.router import ActionResult, Router
from bot.services import Services
from bot.turn import Turn
from dialogs import once
from dialogs.common import CardPrompt, ask_card
from dialogs.context import TAG_ROLES, has_tag_role, resolve_tag
from dialogs.tag_cards import (
    DECIDE,
    PROPOSE,
    RSVP,
    AgendaView,
    Proposal,
    RecapLine,
    agenda_card,
    edit_card,
    when_card,
)
from domain.agenda import (
    DEFAULT_LENGTH,
    DEFAULT_TEMPLATE,
    AgendaError,
    AgendaItem,
    add_item,
    apply_edits,
    check_item,
    guiding_questions,
    session_number,
    total,
)
from domain.numbers import parse_int
from domain.text import escape_markdown as md
from domain.text import quote
from domain.timezones import resolve_zone
from domain.when import WhenError, card_date
from storage import agendas as agenda_store
from storage import channels as channel_store
from storage import finished
from storage import outbox as outbox_store
from storage.models import Agenda, AgendaProposal, City, Tag

log = logging.getLogger(__name__)
router = Router()

# The card sync's name: its outbox handlers are "agenda-card" and "agenda-posted".
CARD = "agenda"
DIALOG_ID = "agenda"


# --- which TAG ----------------------------------------------------------------------------------


async def recap_lines(session: AsyncSession, tag_id: int) -> list[RecapLine]:
    lines = []
    for item in await agenda_store.open_commitments(session, tag_id):
        city = await session.get(City, item.city_id) if item.city_id else None
        lines.append(
            RecapLine(city.name if city else item.owner_name or "?", item.text, item.due_date)
        )
    return lines


def _recap(raw: list[dict[str, Any]]) -> list[RecapLine]:
    return [
        RecapLine(r["city"], r["text"], date.fromisoformat(r["due"]) if r.get("due") else None)
        for r in raw
    ]


def _items(raw: list[dict[str, Any]]) -> tuple[AgendaItem, ...]:
    return tuple(AgendaItem(item["title"], int(item["minutes"]), item.get("role")) for item in raw)


def _raw(items: tuple[AgendaItem, ...]) -> list[dict[str, Any]]:
    return [{"title": i.title, "minutes": i.minutes, "role": i.role} for i in items]


# --- the dialog ---------------------------------------------------------------------------------


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
            day = card_date(value.get("day"))
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
            items = apply_edits(_items(context["items"]), form)
        except AgendaError as error:
            await prompt.context.send_activity(f"{error} Fix it on the card.")
            return False
        context["items"] = _raw(items)  # the dialog state keeps the latest version
        if form.get("do") != "post":
            length = int(context["length"])
            recap = _recap(context["recap"])
            note = f"Updated: {total(items)} of {length} min."
            card = once.stamp(edit_card(items, length, recap, note), context.get(once.INSTANCE))
            await prompt.context.send_activity(ask_card(card).prompt)
            return False
        prompt.recognized.value = {"items": _raw(items)}
        return True

    async def ask_when_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        turn = Turn.of(step.context)
        tag = await turn.session.get(Tag, int(step.options["tag_id"]))
        assert tag is not None
        held = await agenda_store.sessions_held(turn.session, tag.id)
        session = session_number(held)
        template = await agenda_store.template_for(turn.session, tag.id)
        items = _items(template.items) if template is not None else DEFAULT_TEMPLATE
        length = template.length_minutes if template is not None else DEFAULT_LENGTH
        zone = ZoneInfo(tag.timezone)
        next_week = (turn.now().astimezone(zone) + timedelta(days=7)).date()
        recap = await recap_lines(turn.session, tag.id)
        step.values.update(
            tag_id=tag.id, tag=tag.name, items=_raw(items), length=length,
            recap=[{"city": r.city, "text": r.text, "due": r.due.isoformat() if r.due else None} for r in recap],
        )  # fmt: skip
        card = when_card(
            tag=tag.name, session=session, day=next_week, clock="10:00", timezone=tag.timezone,
            length=length, questions=guiding_questions(session), first=held == 0,
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
        items = _items(step.values["items"])
        recap = _recap(step.values["recap"])
        instance = step.values.get(once.INSTANCE)
        options = ask_card(
            once.stamp(edit_card(items, step.values["length"], recap), instance),
            retry="Please use the card above.",
        )
        options.validations = {
            "items": step.values["items"],
            "length": step.values["length"],
            "recap": step.values["recap"],
            once.INSTANCE: instance,
        }
        return await step.prompt("agenda.edit", options)

    async def post_agenda_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["items"] = step.result["items"]
        await post_agenda(Turn.of(step.context), dict(step.values))
        return await step.end_dialog()


router.add_dialog(AgendaDialog())


async def post_agenda(turn: Turn, values: dict[str, Any]) -> None:
    session = turn.session
    key = once.key_of(turn, values)
    already = await once.finish(turn, key, "agenda")
    if already is not None:
        await turn.reply(already)
        return
    who = turn.sender
    agenda = Agenda(
        source_key=f"agenda|{key}", tag_id=values["tag_id"], session_number=values["session"],
        starts_at=datetime.fromisoformat(values["starts_at"]), timezone=values["timezone"],
        length_minutes=values["length"], items=values["items"], recap=values["recap"],
        owner_user_id=who.user_id, owner_name=who.name or "someone", created_at=turn.now(),
    )  # fmt: skip
    session.add(agenda)
    await session.flush()
    await finished.record(session, key, agenda.id)
    view = await view_of(session, agenda)
    card = agenda_card(view, guiding_questions(agenda.session_number))
    channel = await channel_store.linked_to(session, tag_id=agenda.tag_id)
    await turn.commit()

    def remember(posted: Published) -> None:
        agenda.service_url, agenda.conversation_id = posted.service_url, posted.conversation_id
        agenda.activity_id = posted.activity_id

    number = agenda.session_number
    await publish(
        turn, channel, card, record=f"agenda-posted:{agenda.id}", remember=remember,
        what=f"agenda {agenda.id}",
        wording=Wording(
            here=None,
            posted=f"The agenda of session {number} is posted in {{where}}.",
            queued=f"The agenda of session {number} is saved. Teams is not taking messages "
            "right now; it will appear in {where} as soon as Teams does.",
            failed="I saved the agenda but could not post it to the TAG channel. Here it is:",
            somewhere="the TAG channel",
        ),
    )  # fmt: skip


async def view_of(session: AsyncSession, agenda: Agenda) -> AgendaView:
    tag = await session.get(Tag, agenda.tag_id)
    answers = await agenda_store.responses(session, agenda.id)
    proposals = await agenda_store.proposals(session, agenda.id)
    return AgendaView(
        id=agenda.id, tag=tag.name if tag else "?", session=agenda.session_number, starts_at=agenda.starts_at,
        timezone=agenda.timezone, length=agenda.length_minutes, items=_items(agenda.items),
        recap=tuple(_recap(agenda.recap)),
        owner=agenda.owner_name,
        attending=tuple(a.name for a in answers if a.attending),
        declining=tuple(a.name for a in answers if not a.attending),
        pending=tuple(Proposal(p.id, p.title, p.minutes, p.by_name) for p in proposals if p.status == "pending"),
    )  # fmt: skip


# --- the card, kept up to date ------------------------------------------------------------------


async def _card_state(session: AsyncSession, agenda_id: int) -> CardState | None:
    agenda = await agenda_store.get(session, agenda_id)
    if agenda is None or not (agenda.activity_id and agenda.conversation_id and agenda.service_url):
        return None
    card = agenda_card(await view_of(session, agenda), guiding_questions(agenda.session_number))
    return CardState(
        Target(
            agenda.service_url,
            agenda.conversation_id,
            await channel_store.tenant_of(session, agenda.conversation_id),
        ),
        agenda.activity_id,
        card,
        agenda.card_version,
    )


@router.card_sync
def _build_card_sync(services: Services) -> CardSync:
    return CardSync(
        services,
        CARD,
        _card_state,
        agenda_store.mark_synced,
        agenda_store.out_of_sync,
        partial(outbox_store.record_posted, model=Agenda),
    )


def card_sync(services: Services) -> CardSync:
    return services.card_sync(CARD)


# --- commands and card actions --------------------------------------------------------------


@router.command(
    "agenda",
    "agenda [<TAG>]",
    "Build the agenda of the TAG's next working session (mentor and experts).",
    starts="agenda",
)
async def agenda_command(turn: Turn, args: str) -> None:
    tag = await resolve_tag(turn, args.strip())
    if isinstance(tag, str):
        await turn.reply(tag)
        return
    if not has_tag_role(await turn.roles(), tag.id, TAG_ROLES):
        await turn.reply(
            f"Only the mentor and the experts of {md(tag.name)} build its agenda. "
            "Everyone can propose an item from the posted agenda card."
        )
        return
    await turn.begin_dialog(DIALOG_ID, {"tag_id": tag.id})


@dataclass
class AgendaClick(Payload):
    """A button on a posted agenda card: the agenda it belongs to."""

    agenda_id: int
    agenda: Agenda = field(init=False, repr=False)

    async def scope(self, turn: Turn) -> Scope | str:
        agenda = await agenda_store.get(turn.session, self.agenda_id)
        if agenda is None:
            return f"Agenda #{self.agenda_id} no longer exists."
        self.agenda = agenda
        return Scope(
            f"Agenda #{agenda.id}", conversation_id=agenda.conversation_id, tag_id=agenda.tag_id
        )


@dataclass
class Rsvp(AgendaClick):
    attending: bool


@dataclass
class Propose(AgendaClick):
    title: Annotated[str, MaxLength(500)] = ""
    minutes: object = 5  # checked by domain.agenda.check_item


@dataclass
class Decide(AgendaClick):
    proposal_id: int
    accept: bool


async def _refreshed(turn: Turn, agenda: Agenda, message: str) -> ActionResult:
    await agenda_store.bump(turn.session, agenda.id)
    await turn.session.refresh(agenda)
    card = agenda_card(
        await view_of(turn.session, agenda), guiding_questions(agenda.session_number)
    )
    await turn.commit()
    card_sync(turn.services).request(agenda.id)
    return ActionResult(message=message, card=card)


@router.action(RSVP, Rsvp)
async def rsvp_action(turn: Turn, click: Rsvp) -> ActionResult:
    found, attending = click.agenda, click.attending
    who = turn.sender
    await agenda_store.respond(
        turn.session, found.id, who.user_id, who.name or who.user_id, attending, turn.now()
    )
    await turn.session.refresh(found)
    card = agenda_card(await view_of(turn.session, found), guiding_questions(found.session_number))
    await turn.commit()
    card_sync(turn.services).request(found.id)
    return ActionResult(
        message="Thanks, you're down as attending."
        if attending
        else "Thanks, noted that you can't attend.",
        card=card,
    )


@router.action(PROPOSE, Propose)
async def propose_action(turn: Turn, click: Propose) -> ActionResult:
    found = click.agenda
    try:
        item = check_item(click.title, click.minutes)
    except AgendaError as error:
        return ActionResult.refuse(str(error))
    source_key = f"proposal|{turn.activity_key}"
    existing = await turn.session.scalar(
        select(AgendaProposal).where(AgendaProposal.source_key == source_key)
    )
    if existing is None:
        who = turn.sender
        turn.session.add(
            AgendaProposal(agenda_id=found.id, title=item.title, minutes=item.minutes, by_user_id=who.user_id,
                           by_name=who.name or who.user_id, source_key=source_key, created_at=turn.now())
        )  # fmt: skip
        await turn.session.flush()
    return await _refreshed(
        turn,
        found,
        f"Proposed {quote(item.title)}; {md(found.owner_name)} will accept or decline it.",
    )


@router.action(DECIDE, Decide)
async def decide_action(turn: Turn, click: Decide) -> ActionResult:
    found = click.agenda
    if found.owner_user_id != turn.sender.user_id:
        return ActionResult.refuse(
            f"Sorry, only {md(found.owner_name)}, who owns this agenda, can accept or decline proposals."
        )
    accept = click.accept
    proposal = await turn.session.get(AgendaProposal, click.proposal_id)
    if proposal is None or proposal.agenda_id != found.id:
        return ActionResult.refuse("That proposal is not on this agenda.")
    if proposal.status != "pending":
        return ActionResult.refuse(f"{quote(proposal.title)} was already {proposal.status}.")
    proposal.status = "accepted" if accept else "declined"
    if accept:
        found.items = _raw(
            add_item(_items(found.items), AgendaItem(proposal.title, proposal.minutes))
        )
    return await _refreshed(
        turn,
        found,
        f"{quote(proposal.title)} {'added to' if accept else 'declined for'} the agenda.",
    )
