"""The agenda's use cases: what a new agenda starts from, posting it, and the answers on the
posted card (attendance, proposals, the owner's decisions), kept in step by card sync."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.card_sync import CardState, CardSync, state_of
from bot.cards import Card, with_refresh
from bot.files import File
from bot.publishing import Published, Wording, publish
from bot.services import Services
from bot.turn import Turn
from dialogs import once
from dialogs.agenda.cards import REFRESH, agenda_card
from domain import calendar
from domain.agenda import (
    DEFAULT_LENGTH,
    DEFAULT_TEMPLATE,
    SESSION_INTERVAL_WEEKS,
    AgendaError,
    AgendaItem,
    AgendaView,
    Proposal,
    RecapLine,
    accept_item,
    guiding_questions,
    items_from,
    items_to_raw,
    next_session_start,
    recap_from,
    session_number,
)
from domain.text import escape_markdown as md
from domain.text import quote, slug
from storage import agendas as agenda_store
from storage import channels as channel_store
from storage import finished, people
from storage import outbox as outbox_store
from storage.models import Agenda, AgendaResponse

log = logging.getLogger(__name__)

# The card sync's name: its outbox handlers are "agenda-card" and "agenda-posted".
CARD = "agenda"


# --- building one -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """What the agenda starts from: a new session's template and recap, or a posted agenda
    being corrected (`agenda_id`)."""

    tag_id: int
    tag: str
    timezone: str
    held: int  # sessions on record so far
    session: int
    starts_at: datetime  # the default start, in `timezone`
    items: tuple[AgendaItem, ...]
    length: int
    recap: list[RecapLine]
    agenda_id: int | None = None


async def start(
    session: AsyncSession, tag_id: int, now: datetime, agenda_id: int | None = None
) -> Start:
    tag = await people.tag(session, tag_id)
    assert tag is not None
    held = await agenda_store.sessions_held(session, tag.id)
    posted = await agenda_store.get(session, agenda_id) if agenda_id else None
    if posted is not None and posted.tag_id == tag.id:
        return _reopened(tag.id, tag.name, held, posted)
    template = await agenda_store.template_for(session, tag.id)
    previous = await agenda_store.latest(session, tag.id)
    if previous is not None:
        # The series goes on: one TAG interval after the latest session, same time of day.
        found, weeks = await agenda_store.session_interval(session, tag.id)
        zone = previous.timezone
        starts_at = next_session_start(
            previous.starts_at, ZoneInfo(zone), weeks if found else SESSION_INTERVAL_WEEKS, now
        )
    else:
        zone = tag.timezone
        day = (now.astimezone(ZoneInfo(zone)) + timedelta(days=7)).date()
        starts_at = datetime.combine(day, time(10, 0), tzinfo=ZoneInfo(zone))
    return Start(
        tag_id=tag.id, tag=tag.name, timezone=zone, held=held, session=session_number(held),
        starts_at=starts_at,
        items=items_from(template.items) if template is not None else DEFAULT_TEMPLATE,
        length=template.length_minutes if template is not None else DEFAULT_LENGTH,
        recap=await recap_lines(session, tag.id),
    )  # fmt: skip


def _reopened(tag_id: int, tag: str, held: int, agenda: Agenda) -> Start:
    """A posted agenda, opened again with what was posted."""
    return Start(
        tag_id=tag_id, tag=tag, timezone=agenda.timezone, held=held,
        session=agenda.session_number,
        starts_at=agenda.starts_at.astimezone(ZoneInfo(agenda.timezone)),
        items=items_from(agenda.items), length=agenda.length_minutes,
        recap=recap_from(agenda.recap), agenda_id=agenda.id,
    )  # fmt: skip


async def posted_session(session: AsyncSession, tag_id: int, number: int) -> Start | None:
    """The TAG's saved agenda of session `number`, to correct rather than post twice."""
    agenda = await agenda_store.of_session(session, tag_id, number)
    tag = await people.tag(session, tag_id)
    if agenda is None or tag is None:
        return None
    return _reopened(tag.id, tag.name, await agenda_store.sessions_held(session, tag_id), agenda)


async def recap_lines(session: AsyncSession, tag_id: int) -> list[RecapLine]:
    lines = []
    for item in await agenda_store.open_commitments(session, tag_id):
        city = await people.city(session, item.city_id) if item.city_id else None
        lines.append(
            RecapLine(city.name if city else item.owner_name or "?", item.text, item.due_date)
        )
    return lines


async def post_agenda(turn: Turn, values: dict[str, Any]) -> None:
    session = turn.session
    key = once.key_of(turn, values)
    already = await once.finish(turn, key, "agenda")
    if already is not None:
        await turn.reply(already)
        return
    # Someone else posted this session's agenda while this one was being built: one card per
    # session, so this one is not posted; theirs can be corrected.
    other = await agenda_store.of_session(session, values["tag_id"], values["session"])
    if other is not None:
        await turn.commit()  # the dialog's claim stands: a second click gets the same answer
        await turn.reply(
            f"The agenda of session {other.session_number} was posted meanwhile by "
            f"{md(other.owner_name)}; nothing was posted. To correct it, press Edit agenda on "
            f"its card or send `agenda edit {other.id}`."
        )
        return
    who = turn.sender
    agenda = await agenda_store.add(
        session,
        agenda_store.AgendaDraft(
            source_key=f"agenda|{key}", tag_id=values["tag_id"], session_number=values["session"],
            starts_at=datetime.fromisoformat(values["starts_at"]), timezone=values["timezone"],
            length_minutes=values["length"], items=values["items"], recap=values["recap"],
            owner_user_id=who.user_id, owner_name=who.name or "someone", created_at=turn.now(),
        ),
    )  # fmt: skip
    await finished.record(session, key, agenda.id)
    card = await _card_of(session, agenda)
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


async def update_agenda(turn: Turn, values: dict[str, Any]) -> None:
    """Save the corrected agenda over the posted one: the same card is updated in place (card
    sync), its attendance answers and proposals kept, and it says "updated"."""
    session = turn.session
    key = once.key_of(turn, values)
    already = await once.finish(turn, key, "agenda")
    if already is not None:
        await turn.reply(already)
        return
    agenda = await agenda_store.get(session, int(values["agenda_id"]))
    if agenda is None or agenda.tag_id != values["tag_id"]:
        await turn.reply("That agenda no longer exists; nothing was saved.")
        return
    agenda.session_number = values["session"]
    agenda.starts_at = datetime.fromisoformat(values["starts_at"])
    agenda.timezone = values["timezone"]
    agenda.length_minutes = values["length"]
    agenda.items = values["items"]
    agenda.updated_at = turn.now()
    await agenda_store.bump(session, agenda.id)
    await finished.record(session, key, agenda.id)
    await turn.commit()
    card_sync(turn.services).request(agenda.id)
    log.info("agenda %s updated after posting", agenda.id)
    await turn.reply(
        f"The agenda of session {agenda.session_number} is updated; its posted card shows the "
        "changes (attendance answers are kept)."
    )


async def view_of(
    session: AsyncSession, agenda: Agenda, answers: list[AgendaResponse] | None = None
) -> AgendaView:
    tag = await people.tag(session, agenda.tag_id)
    if answers is None:
        answers = await agenda_store.responses(session, agenda.id)
    proposals = await agenda_store.proposals(session, agenda.id)
    return AgendaView(
        id=agenda.id, tag=tag.name if tag else "?", session=agenda.session_number, starts_at=agenda.starts_at,
        timezone=agenda.timezone, length=agenda.length_minutes, items=items_from(agenda.items),
        recap=tuple(recap_from(agenda.recap)),
        owner=agenda.owner_name,
        attending=tuple(a.name for a in answers if a.attending),
        declining=tuple(a.name for a in answers if not a.attending),
        pending=tuple(Proposal(p.id, p.title, p.minutes, p.by_name) for p in proposals if p.status == "pending"),
        updated=agenda.updated_at is not None,
    )  # fmt: skip


async def _card_of(session: AsyncSession, agenda: Agenda, reader: str | None = None) -> Card:
    """The agenda's card: the shared one everyone sees (`reader` None), or the view of the
    Teams user `reader` (their own answer, and the button to change it; a reader who has not
    answered sees the shared one). Either carries the refresh that asks for each person's view:
    automatically for those who answered, latest first (Teams takes 60), by hand for others."""
    answers = await agenda_store.responses(session, agenda.id)
    mine = next((a.attending for a in answers if reader and a.user_id == reader), None)
    card = agenda_card(
        await view_of(session, agenda, answers), guiding_questions(agenda.session_number), mine
    )
    latest = sorted(answers, key=lambda a: a.updated_at, reverse=True)
    return with_refresh(card, REFRESH, {"agenda_id": agenda.id}, [a.user_id for a in latest])


async def personal_card(turn: Turn, agenda: Agenda) -> Card:
    """The posted agenda as the sender of this turn sees it."""
    return await _card_of(turn.session, agenda, turn.sender.user_id)


# --- the calendar invite -----------------------------------------------------------------------


async def send_invite(turn: Turn, agenda: Agenda) -> None:
    """The session as an .ics file for the asker's calendar."""
    view = await view_of(turn.session, agenda)
    # The card version only grows (each change to the card raises it): a calendar importing
    # the file again updates the event it has (same UID, higher SEQUENCE).
    content = calendar.session_invite(view, turn.now(), sequence=agenda.card_version - 1)
    name = f"tag-session-{view.session}-{slug(view.tag)}.ics"
    await turn.send_file(
        File(name, "text/calendar", content),
        f"Session {view.session} of {md(view.tag)} for your calendar (open the file to add it).",
    )


# --- the card, kept up to date ------------------------------------------------------------------


async def _card_state(session: AsyncSession, agenda_id: int) -> CardState | None:
    agenda = await agenda_store.get(session, agenda_id)
    return await state_of(session, agenda, partial(_card_of, session))


def build_card_sync(services: Services) -> CardSync:
    return CardSync(
        services.require_outbox(),
        services.database,
        CARD,
        _card_state,
        agenda_store.mark_synced,
        agenda_store.out_of_sync,
        partial(outbox_store.record_posted, model=Agenda),
    )


def card_sync(services: Services) -> CardSync:
    return services.card_sync(CARD)


# --- answers on the posted card -----------------------------------------------------------------


async def rsvp(turn: Turn, agenda: Agenda, attending: bool) -> Card:
    """Record the clicker's answer (the latest counts); the card as it now reads for them (the
    shared card is updated for everyone by card sync)."""
    who = turn.sender
    await agenda_store.respond(
        turn.session, agenda.id, who.user_id, who.name or who.user_id, attending, turn.now()
    )
    await turn.session.refresh(agenda)
    card = await personal_card(turn, agenda)
    await turn.commit()
    card_sync(turn.services).request(agenda.id)  # the shared card, for everyone
    return card


async def propose(turn: Turn, agenda: Agenda, item: AgendaItem) -> Card:
    """Record a proposed item (a re-delivered click: once) for the owner to decide."""
    who = turn.sender
    await agenda_store.propose(
        turn.session,
        agenda_store.ProposalDraft(
            agenda_id=agenda.id, title=item.title, minutes=item.minutes, by_user_id=who.user_id,
            by_name=who.name or who.user_id, source_key=f"proposal|{turn.activity_key}",
            created_at=turn.now(),
        ),
    )  # fmt: skip
    return await _refreshed(turn, agenda)


async def decide(turn: Turn, agenda: Agenda, proposal_id: int, accept: bool) -> tuple[str, Card]:
    """The owner accepts (the item joins the agenda) or declines a proposal; what to say and
    the card. Raises AgendaError (its message is the refusal) when that cannot be done."""
    if agenda.owner_user_id != turn.sender.user_id:
        raise AgendaError(
            f"Sorry, only {md(agenda.owner_name)}, who owns this agenda, can accept or decline proposals."
        )
    proposal = await agenda_store.proposal(turn.session, proposal_id)
    if proposal is None or proposal.agenda_id != agenda.id:
        raise AgendaError("That proposal is not on this agenda.")
    if proposal.status != "pending":
        raise AgendaError(f"{quote(proposal.title)} was already {proposal.status}.")
    # A full agenda refuses the item before anything changes.
    items = (
        accept_item(items_from(agenda.items), AgendaItem(proposal.title, proposal.minutes))
        if accept
        else None
    )
    proposal.status = "accepted" if accept else "declined"
    if items is None:
        return f"{quote(proposal.title)} declined for the agenda.", await _refreshed(turn, agenda)
    agenda.items = items_to_raw(items)
    card = await _refreshed(turn, agenda)
    # Going over is allowed, not hidden: the card's budget line says by how much.
    said = f"{quote(proposal.title)} added to the agenda, before the closing item."
    return said, card


async def _refreshed(turn: Turn, agenda: Agenda) -> Card:
    await agenda_store.bump(turn.session, agenda.id)
    await turn.session.refresh(agenda)
    card = await personal_card(turn, agenda)
    await turn.commit()
    card_sync(turn.services).request(agenda.id)
    return card
