"""TAG agendas, their templates, attendance answers, proposals; and TAG summaries."""

from __future__ import annotations

from datetime import datetime

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
    TagSummary,
)


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


async def get(session: AsyncSession, agenda_id: int) -> Agenda | None:
    return await session.get(Agenda, agenda_id)


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


async def latest_summary(session: AsyncSession, tag_id: int) -> TagSummary | None:
    return await session.scalar(
        select(TagSummary)
        .where(TagSummary.tag_id == tag_id)
        .order_by(TagSummary.id.desc())
        .limit(1)
    )
