"""The reminders' scheduled work: the job source the scheduler plans from (one job per active
series, firing at each of its nudges) and the catch-up on what fell due while no scheduler ran.

Both deliver through `service.deliver_due`, the delivery use case; this module only decides
what is due and when.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import Services
from dialogs.remind.service import deliver_due
from domain.recurrence import Nudge, due_within
from scheduler import engine as planning
from scheduler.engine import JobSource, Planned
from storage import reminders as reminder_store
from storage.models import ReminderSeries
from storage.reminders import series_of

log = logging.getLogger(__name__)


def due_nudges(row: ReminderSeries | Row[Any], now: datetime, grace: timedelta) -> list[Nudge]:
    """The series' nudges that fell due within the grace period before `now` (in memory)."""
    return due_within(series_of(row), [Nudge(raw) for raw in row.nudges], now, grace)


def job_source(services: Services) -> JobSource:
    grace = timedelta(seconds=services.settings.reminder_grace_seconds)

    async def plan(session: AsyncSession) -> list[Planned]:
        return [
            planning.series(
                str(row.id),
                series_of(row),
                [Nudge(raw) for raw in row.nudges],
                version=row.updated_at.isoformat(),
                misfire_grace_seconds=services.settings.reminder_grace_seconds,
            )
            for row in await reminder_store.active_rows(session)
        ]

    async def run(key: str) -> None:
        now = services.clock()
        async with services.database.unit_of_work() as session:
            row = await reminder_store.get(session, int(key))
            nudges = due_nudges(row, now, grace) if row is not None else []
        for nudge in nudges:
            await deliver_due(services, int(key), nudge, now)

    return JobSource("reminder", plan, run)


async def catch_up(services: Services) -> None:
    """At start-up (or on becoming the leader): what fell due while no scheduler ran.

    What is due is worked out in memory for every active series; only those due within the
    grace period are delivered (each through the outbox, so a second catch-up sends nothing).
    """
    now = services.clock()
    grace = timedelta(seconds=services.settings.reminder_grace_seconds)
    async with services.database.unit_of_work() as session:
        uncertain = await reminder_store.in_flight(session)
        for delivery in uncertain:
            await reminder_store.finish(
                session, delivery.key, "uncertain", error="in flight when the bot stopped"
            )
        rows = await reminder_store.active(session)
    for delivery in uncertain:
        log.warning(
            "reminder delivery %s was in flight when the bot stopped; not resent (it may have arrived)",
            delivery.key,
        )
    due = [(row.id, nudge) for row in rows for nudge in due_nudges(row, now, grace)]
    if due:
        log.info("catching up on %d reminder(s) that fell due while no scheduler ran", len(due))
    for series_id, nudge in due:
        await deliver_due(services, series_id, nudge, now)
