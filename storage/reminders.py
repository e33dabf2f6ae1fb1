"""Reminder series and their delivery outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.minutes import MeetingType
from domain.recurrence import Series, SeriesKind
from storage.models import Minutes, ReminderDelivery, ReminderSeries, utcnow


@dataclass(frozen=True)
class SeriesDraft:
    """A new series as the setup card gave it: the meetings' rhythm, its nudges, who set it up."""

    channel_id: int
    city_id: int | None
    tag_id: int | None
    kind: str
    first_type: str
    first_day: date
    at_time: str  # HH:MM, wall clock in `timezone`
    timezone: str
    interval_weeks: int | None  # None: monthly
    nudges: list[str]
    custom_text: str | None
    created_by: str
    source_key: str
    at: datetime


async def add(session: AsyncSession, draft: SeriesDraft) -> ReminderSeries:
    """Write a new series (flushed, so it has its id)."""
    row = ReminderSeries(
        channel_id=draft.channel_id, city_id=draft.city_id, tag_id=draft.tag_id, kind=draft.kind,
        first_type=draft.first_type, first_day=draft.first_day, at_time=draft.at_time,
        timezone=draft.timezone, interval_weeks=draft.interval_weeks, nudges=draft.nudges,
        custom_text=draft.custom_text, created_by=draft.created_by, source_key=draft.source_key,
        created_at=draft.at, updated_at=draft.at,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row


async def delete(session: AsyncSession, row: ReminderSeries) -> None:
    await session.delete(row)


def series_of(row: ReminderSeries | Row[Any]) -> Series:
    """A stored series (a model or one of `active_rows`) as the domain's plain data."""
    return Series(
        kind=SeriesKind(row.kind),
        first_day=row.first_day,
        at=time.fromisoformat(row.at_time),
        timezone=row.timezone,
        interval_weeks=row.interval_weeks,
        first_type=MeetingType(row.first_type),
    )


async def minutes_recorded(session: AsyncSession, city_id: int, day: date) -> bool:
    """Whether the city recorded minutes of a meeting on `day` (the "minutes missing" nudge)."""
    found = await session.scalar(
        select(Minutes.id).where(Minutes.city_id == city_id, Minutes.meeting_date == day).limit(1)
    )
    return found is not None


async def active(session: AsyncSession) -> list[ReminderSeries]:
    result = await session.scalars(
        select(ReminderSeries).where(
            ReminderSeries.paused.is_(False), ReminderSeries.disabled_reason.is_(None)
        )
    )
    return list(result.all())


async def active_rows(session: AsyncSession) -> list[Row[Any]]:
    """The active series' columns only: the scheduler plans from these, 10,000 at a time."""
    table = ReminderSeries.__table__
    result = await session.execute(
        select(*table.c).where(table.c.paused.is_(False), table.c.disabled_reason.is_(None))
    )
    return list(result.all())


async def of_channel(session: AsyncSession, channel_id: int) -> list[ReminderSeries]:
    result = await session.scalars(
        select(ReminderSeries)
        .where(ReminderSeries.channel_id == channel_id)
        .order_by(ReminderSeries.id)
    )
    return list(result.all())


async def get(session: AsyncSession, series_id: int) -> ReminderSeries | None:
    return await session.get(ReminderSeries, series_id)


async def disable_channel(
    session: AsyncSession, channel_id: int, reason: str, now: datetime
) -> int:
    result = await session.execute(
        update(ReminderSeries)
        .where(ReminderSeries.channel_id == channel_id, ReminderSeries.disabled_reason.is_(None))
        .values(disabled_reason=reason[:300], updated_at=now),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def claim(
    session: AsyncSession,
    key: str,
    series_id: int,
    channel_id: int,
    occurrence_at: datetime,
    nudge: str,
    *,
    late: bool,
) -> bool:
    """Reserve a delivery's key; False if it was already made (or is queued). Its message is
    an outbox row written in the same transaction (bot/outbox.py)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(ReminderDelivery)
    statement = insert.values(
        key=key, series_id=series_id, channel_id=channel_id, occurrence_at=occurrence_at, nudge=nudge,
        status="queued", late=late, created_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["key"])  # fmt: skip
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def finish(
    session: AsyncSession,
    key: str,
    status: str,
    *,
    activity_id: str | None = None,
    error: str | None = None,
) -> None:
    await session.execute(
        update(ReminderDelivery)
        .where(ReminderDelivery.key == key)
        .values(
            status=status,
            activity_id=activity_id,
            error=error[:300] if error else None,
            sent_at=utcnow(),
        ),
        execution_options={"synchronize_session": False},
    )


async def by_key(session: AsyncSession, key: str) -> ReminderDelivery | None:
    return await session.scalar(select(ReminderDelivery).where(ReminderDelivery.key == key))


async def in_flight(session: AsyncSession) -> list[ReminderDelivery]:
    """Deliveries left "sending" by a version before the outbox (none are made now)."""
    result = await session.scalars(
        select(ReminderDelivery).where(ReminderDelivery.status == "sending")
    )
    return list(result.all())


async def delivered(session: AsyncSession, series_id: int) -> list[ReminderDelivery]:
    result = await session.scalars(
        select(ReminderDelivery)
        .where(ReminderDelivery.series_id == series_id)
        .order_by(ReminderDelivery.id)
    )
    return list(result.all())
