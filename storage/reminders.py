"""Reminder series and their delivery outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ReminderDelivery, ReminderSeries, utcnow


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
