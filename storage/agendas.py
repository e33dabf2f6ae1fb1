"""TAG agendas, their templates, attendance answers, proposals, and the TAG's sessions so far."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ActionItem,
    Agenda,
    AgendaProposal,
    AgendaResponse,
    AgendaTemplate,
    City,
    ReminderSeries,
    TagMembership,
    TagSummary,
)


@dataclass(frozen=True)
class AgendaDraft:
    """An agenda as the dialog built it; `source_key` makes saving it twice save it once."""

    source_key: str
    tag_id: int
    session_number: int
    starts_at: datetime
    timezone: str
    length_minutes: int
    items: list[dict[str, Any]]
    recap: list[dict[str, Any]]
    owner_user_id: str
    owner_name: str
    created_at: datetime


@dataclass(frozen=True)
class ProposalDraft:
    """An item proposed from the posted card; `source_key` is the click's (re-delivered: once)."""

    agenda_id: int
    title: str
    minutes: int
    by_user_id: str
    by_name: str
    source_key: str
    created_at: datetime


async def template_for(session: AsyncSession, tag_id: int) -> AgendaTemplate | None:
    """The TAG's own template, else the programme default."""
    own = await session.scalar(select(AgendaTemplate).where(AgendaTemplate.tag_id == tag_id))
    if own is not None:
        return own
    return await session.scalar(
        select(AgendaTemplate).where(AgendaTemplate.tag_id.is_(None)).order_by(AgendaTemplate.id)
    )


async def sessions_held(session: AsyncSession, tag_id: int) -> int:
    agendas = await session.scalar(
        select(func.max(Agenda.session_number)).where(Agenda.tag_id == tag_id)
    )
    summaries = await session.scalar(
        select(func.max(TagSummary.session_number)).where(TagSummary.tag_id == tag_id)
    )
    return int(max(agendas or 0, summaries or 0))


async def latest(session: AsyncSession, tag_id: int) -> Agenda | None:
    """The TAG's agenda of its latest session (the last saved, for a session saved twice)."""
    return await session.scalar(
        select(Agenda)
        .where(Agenda.tag_id == tag_id)
        .order_by(Agenda.session_number.desc(), Agenda.id.desc())
        .limit(1)
    )


async def of_session(session: AsyncSession, tag_id: int, number: int) -> Agenda | None:
    """The TAG's agenda of session `number`, if one was saved (the first, for one saved twice
    before agendas could be corrected in place)."""
    return await session.scalar(
        select(Agenda)
        .where(Agenda.tag_id == tag_id, Agenda.session_number == number)
        .order_by(Agenda.id)
        .limit(1)
    )


async def session_interval(session: AsyncSession, tag_id: int) -> tuple[bool, int | None]:
    """The rhythm of the TAG's working sessions as its reminder series sets it: (True, weeks,
    or None for monthly); (False, None) when the TAG has no such series."""
    series = await session.scalar(
        select(ReminderSeries)
        .where(ReminderSeries.tag_id == tag_id, ReminderSeries.kind == "tag_session")
        .order_by(ReminderSeries.disabled_reason.is_not(None), ReminderSeries.id.desc())
        .limit(1)
    )
    return (True, series.interval_weeks) if series is not None else (False, None)


async def open_commitments(session: AsyncSession, tag_id: int) -> list[ActionItem]:
    """Commitments of this TAG's cities still open (from its summaries), oldest first."""
    result = await session.scalars(
        select(ActionItem)
        .where(
            ActionItem.tag_id == tag_id,
            ActionItem.kind == "commitment",
            ActionItem.status.in_(("open", "in_progress", "blocked")),
        )
        .order_by(ActionItem.id)
    )
    return list(result.all())


async def tag_city_names(session: AsyncSession, tag_id: int) -> list[str]:
    """The names of the TAG's member cities, in order."""
    result = await session.scalars(
        select(City.name)
        .join(TagMembership, TagMembership.city_id == City.id)
        .where(TagMembership.tag_id == tag_id)
        .order_by(City.name)
    )
    return list(result.all())


async def add(session: AsyncSession, draft: AgendaDraft) -> Agenda:
    agenda = Agenda(
        source_key=draft.source_key, tag_id=draft.tag_id, session_number=draft.session_number,
        starts_at=draft.starts_at, timezone=draft.timezone, length_minutes=draft.length_minutes,
        items=draft.items, recap=draft.recap, owner_user_id=draft.owner_user_id,
        owner_name=draft.owner_name, created_at=draft.created_at,
    )  # fmt: skip
    session.add(agenda)
    await session.flush()
    return agenda


async def get(session: AsyncSession, agenda_id: int) -> Agenda | None:
    return await session.get(Agenda, agenda_id)


async def propose(session: AsyncSession, draft: ProposalDraft) -> None:
    """Record a proposal, unless the same click was recorded already."""
    existing = await session.scalar(
        select(AgendaProposal.id).where(AgendaProposal.source_key == draft.source_key)
    )
    if existing is not None:
        return
    session.add(
        AgendaProposal(
            agenda_id=draft.agenda_id, title=draft.title, minutes=draft.minutes,
            by_user_id=draft.by_user_id, by_name=draft.by_name, source_key=draft.source_key,
            created_at=draft.created_at,
        )
    )  # fmt: skip
    await session.flush()


async def proposal(session: AsyncSession, proposal_id: int) -> AgendaProposal | None:
    return await session.get(AgendaProposal, proposal_id)


async def respond(
    session: AsyncSession, agenda_id: int, user_id: str, name: str, attending: bool, now: datetime
) -> None:
    """One answer per person: the latest replaces the earlier one (a re-delivery changes nothing)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(AgendaResponse)
    statement = insert.values(
        agenda_id=agenda_id, user_id=user_id, name=name, attending=attending, updated_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["agenda_id", "user_id"],
        set_={
            "attending": statement.excluded.attending,
            "name": statement.excluded.name,
            "updated_at": now,
        },
    )
    await session.execute(statement)
    await bump(session, agenda_id)


async def bump(session: AsyncSession, agenda_id: int) -> None:
    await session.execute(
        update(Agenda).where(Agenda.id == agenda_id).values(card_version=Agenda.card_version + 1),
        execution_options={"synchronize_session": False},
    )


async def responses(session: AsyncSession, agenda_id: int) -> list[AgendaResponse]:
    result = await session.scalars(
        select(AgendaResponse)
        .where(AgendaResponse.agenda_id == agenda_id)
        .order_by(AgendaResponse.name)
    )
    return list(result.all())


async def proposals(session: AsyncSession, agenda_id: int) -> list[AgendaProposal]:
    result = await session.scalars(
        select(AgendaProposal)
        .where(AgendaProposal.agenda_id == agenda_id)
        .order_by(AgendaProposal.id)
    )
    return list(result.all())


async def mark_synced(session: AsyncSession, agenda_id: int, version: int) -> None:
    await session.execute(
        update(Agenda)
        .where(Agenda.id == agenda_id, Agenda.synced_version < version)
        .values(synced_version=version),
        execution_options={"synchronize_session": False},
    )


async def out_of_sync(session: AsyncSession) -> list[int]:
    result = await session.scalars(
        select(Agenda.id).where(
            Agenda.activity_id.is_not(None), Agenda.synced_version < Agenda.card_version
        )
    )
    return list(result.all())
