"""Channels with reminder series due at a given moment, written straight into the database:
for the process tests (tests/test_reminder_processes.py) and the fan-out benchmark."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from storage.db import Database
from storage.migrate import migrate
from storage.models import Channel, ReminderSeries

BRUSSELS = ZoneInfo("Europe/Brussels")


async def seed_due_reminders(
    database_url: str,
    connector_url: str,
    channels: int,
    *,
    due: datetime,
    nudges: Sequence[str] = ("day_before",),
    tenant: str = "tenant",
) -> None:
    """`channels` channels, each with a series whose `nudges` fall due at `due` (Brussels time)."""
    database = Database(database_url)
    try:
        await migrate(database.engine)
        local = due.astimezone(BRUSSELS)
        async with database.unit_of_work() as session:
            for n in range(channels):
                conversation = f"19:fanout-{n}@thread.tacv2"
                channel = Channel(
                    conversation_id=conversation, conversation_type="channel", service_url=connector_url,
                    reference={"conversation": {"id": conversation}}, tenant_id=tenant, name=f"Channel {n}",
                )  # fmt: skip
                session.add(channel)
                await session.flush()
                session.add(
                    ReminderSeries(
                        channel_id=channel.id, kind="custom", first_day=local.date() + timedelta(days=1),
                        at_time=local.strftime("%H:%M"), timezone="Europe/Brussels", interval_weeks=2,
                        nudges=list(nudges), custom_text=f"Fan-out reminder {n}", created_by="test", source_key=f"seed-{n}",
                    )
                )  # fmt: skip
    finally:
        await database.dispose()
