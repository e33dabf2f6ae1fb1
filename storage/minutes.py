"""Minutes of ecosystem calls, and the city's stakeholder register."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.text import slug
from storage import outbox
from storage.models import ActionItem, Minutes, Stakeholder, utcnow


async def stakeholders_of(session: AsyncSession, city_id: int) -> list[Stakeholder]:
    result = await session.scalars(
        select(Stakeholder).where(Stakeholder.city_id == city_id).order_by(Stakeholder.name)
    )
    return list(result.all())


async def ensure_stakeholders(
    session: AsyncSession, city_id: int, names: Iterable[str]
) -> dict[str, Stakeholder]:
    """The register entries of these names, adding the new ones (matched by slug).

    Two reps saving minutes at once may both add the same new organisation: the insert skips a
    name that another transaction added meanwhile (ON CONFLICT DO NOTHING on the register's
    unique (city, key)), and the entries are read back, so neither save fails."""
    wanted: dict[str, tuple[str, str]] = {}  # clean name -> (key, name to store)
    for name in names:
        clean = " ".join(name.split())
        key = slug(clean)
        if key:
            wanted[clean] = (key, clean[:200])
    if not wanted:
        return {}
    existing = {s.key: s for s in await stakeholders_of(session, city_id)}
    missing = {key: stored for key, stored in wanted.values() if key not in existing}
    if missing:
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(Stakeholder)
        now = utcnow()
        await session.execute(
            insert.values(
                [
                    {"city_id": city_id, "key": key, "name": stored, "created_at": now}
                    for key, stored in missing.items()
                ]
            ).on_conflict_do_nothing(index_elements=["city_id", "key"])
        )
        added = await session.scalars(
            select(Stakeholder).where(
                Stakeholder.city_id == city_id, Stakeholder.key.in_(list(missing))
            )
        )
        existing.update({s.key: s for s in added.all()})
    return {clean: existing[key] for clean, (key, _) in wanted.items()}


@dataclass(frozen=True)
class MinutesDraft:
    """What one run of the minutes dialog saves (recap and tour as stored: plain dicts)."""

    source_key: str
    city_id: int
    meeting_type: str
    meeting_date: date
    stakeholder_group: str
    author_user_id: str
    author_name: str
    stakeholders: list[str]
    reps: list[str]
    recap: list[dict[str, Any]]
    tour: list[dict[str, Any]]
    next_steps: str
    next_call: date | None
    conversation_id: str | None
    created_at: datetime


async def add(session: AsyncSession, draft: MinutesDraft) -> Minutes:
    """The new minutes, flushed so that they have an id."""
    minutes = Minutes(
        source_key=draft.source_key,
        city_id=draft.city_id,
        meeting_type=draft.meeting_type,
        meeting_date=draft.meeting_date,
        stakeholder_group=draft.stakeholder_group,
        author_user_id=draft.author_user_id,
        author_name=draft.author_name,
        stakeholders=list(draft.stakeholders),
        reps=list(draft.reps),
        recap=list(draft.recap),
        tour=list(draft.tour),
        next_steps=draft.next_steps,
        next_call=draft.next_call,
        conversation_id=draft.conversation_id,
        created_at=draft.created_at,
    )
    session.add(minutes)
    await session.flush()
    return minutes


async def get(session: AsyncSession, minutes_id: int) -> Minutes | None:
    return await session.get(Minutes, minutes_id)


async def meetings(
    session: AsyncSession, minutes_ids: Iterable[int]
) -> dict[int, tuple[str, date]]:
    """The meeting type and date of each of these minutes, by id (an action's source meeting)."""
    ids = set(minutes_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Minutes.id, Minutes.meeting_type, Minutes.meeting_date).where(Minutes.id.in_(ids))
    )
    return {row.id: (row.meeting_type, row.meeting_date) for row in rows}


async def latest(session: AsyncSession, city_ids: Iterable[int], limit: int = 10) -> list[Minutes]:
    ids = list(city_ids)
    if not ids:
        return []
    result = await session.scalars(
        select(Minutes)
        .where(Minutes.city_id.in_(ids))
        .order_by(Minutes.meeting_date.desc(), Minutes.id.desc())
        .limit(limit)
    )
    return list(result.all())


async def last_group(session: AsyncSession, city_id: int) -> str | None:
    return await session.scalar(
        select(Minutes.stakeholder_group)
        .where(Minutes.city_id == city_id)
        .order_by(Minutes.id.desc())
        .limit(1)
    )


async def record_posted(session: AsyncSession, minutes_id: int, activity_id: str | None) -> bool:
    """The activity id of minutes whose post was queued, once Teams took it."""
    return await outbox.record_posted(session, minutes_id, activity_id, model=Minutes)


def bump(minutes: Minutes) -> None:
    """The minutes changed: their posted card is one version behind until card sync updates
    it (an increment in SQL, so that two edits at once both count)."""
    minutes.card_version = Minutes.card_version + 1


async def mark_synced(session: AsyncSession, minutes_id: int, version: int) -> None:
    await session.execute(
        update(Minutes)
        .where(Minutes.id == minutes_id, Minutes.synced_version < version)
        .values(synced_version=version),
        execution_options={"synchronize_session": False},
    )


async def out_of_sync(session: AsyncSession) -> list[int]:
    result = await session.scalars(
        select(Minutes.id).where(
            Minutes.activity_id.is_not(None), Minutes.synced_version < Minutes.card_version
        )
    )
    return list(result.all())


async def remove_items(session: AsyncSession, items: Iterable[ActionItem]) -> None:
    """Agreements or actions an edit of their minutes took out (their history goes with them)."""
    for item in items:
        await session.delete(item)
