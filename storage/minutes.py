"""Minutes of ecosystem calls, and the city's stakeholder register."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.text import slug
from storage.models import Minutes, Stakeholder


async def stakeholders_of(session: AsyncSession, city_id: int) -> list[Stakeholder]:
    result = await session.scalars(
        select(Stakeholder).where(Stakeholder.city_id == city_id).order_by(Stakeholder.name)
    )
    return list(result.all())


async def ensure_stakeholders(
    session: AsyncSession, city_id: int, names: Iterable[str]
) -> dict[str, Stakeholder]:
    """The register entries of these names, adding the new ones (matched by slug)."""
    existing = {s.key: s for s in await stakeholders_of(session, city_id)}
    found: dict[str, Stakeholder] = {}
    for name in names:
        clean = " ".join(name.split())
        key = slug(clean)
        if not key:
            continue
        stakeholder = existing.get(key)
        if stakeholder is None:
            stakeholder = Stakeholder(city_id=city_id, key=key, name=clean[:200])
            session.add(stakeholder)
            existing[key] = stakeholder
        found[clean] = stakeholder
    await session.flush()
    return found


async def by_source(session: AsyncSession, source_key: str) -> Minutes | None:
    return await session.scalar(select(Minutes).where(Minutes.source_key == source_key))


async def get(session: AsyncSession, minutes_id: int) -> Minutes | None:
    return await session.get(Minutes, minutes_id)


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
