"""APScheduler triggers for meeting series: CalendarIntervalTrigger keeps the wall-clock
time across daylight-saving changes, where a plain interval would drift by an hour and cron
cannot say "every other week"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.calendarinterval import CalendarIntervalTrigger

from domain.recurrence import (
    DAY_AFTER,
    MORNING,
    OVERDUE_DIGEST,
    Nudge,
    Series,
    next_monday_digest,
    next_nudge_after,
    nudge_time,
)


def trigger_for(series: Series, nudge: Nudge, now: datetime) -> CalendarIntervalTrigger:
    """Fires at every occurrence's `nudge` time, in the series' zone."""
    zone = series.zone
    if nudge is Nudge.OVERDUE_WEEKLY:
        first = next_monday_digest(now, zone).astimezone(zone)
        return CalendarIntervalTrigger(
            weeks=1,
            hour=OVERDUE_DIGEST.hour,
            minute=OVERDUE_DIGEST.minute,
            start_date=first.date(),
            timezone=zone,
        )
    # Start from the first nudge still ahead: one already past is the catch-up's to deliver
    # (once, within the grace period), not a misfire for APScheduler to run on start-up.
    index = 0
    while nudge_time(series, index, nudge) <= now:
        index += 1
    first = nudge_time(series, index, nudge).astimezone(zone)
    if nudge is Nudge.MORNING_OF and series.at > MORNING:
        hour, minute = MORNING.hour, MORNING.minute
    elif nudge is Nudge.MINUTES_MISSING:
        hour, minute = DAY_AFTER.hour, DAY_AFTER.minute
    else:
        hour, minute = first.hour, first.minute
    interval = {"months": 1} if series.monthly else {"weeks": series.interval_weeks or 2}
    return CalendarIntervalTrigger(
        **interval, hour=hour, minute=minute, start_date=first.date(), timezone=zone
    )


def fire_times(trigger: CalendarIntervalTrigger, after: datetime, count: int) -> list[datetime]:
    """The trigger's next `count` fire times after `after`, as APScheduler computes them."""
    times: list[datetime] = []
    previous = None
    now = after
    while len(times) < count:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None:
            break
        times.append(fire)
        previous, now = fire, fire + timedelta(seconds=1)
    return times


class SeriesTrigger(BaseTrigger):  # type: ignore[misc]
    """All the nudges of one series in one trigger, computed by the domain's series maths.

    Equivalent to an OrTrigger of one CalendarIntervalTrigger per nudge (the tests check the
    two agree across DST changes), but a fraction of the cost to build: with 10,000 series
    that was most of the scheduler's start-up. It starts from the first nudge after "now":
    those already past are the catch-up's to deliver, once, within the grace period.
    """

    __slots__ = ("nudges", "series")

    def __init__(self, series: Series, nudges: Sequence[Nudge]) -> None:
        self.series = series
        self.nudges = tuple(nudges)

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        after = previous_fire_time if previous_fire_time is not None else now
        due: datetime = min(next_nudge_after(self.series, nudge, after) for nudge in self.nudges)
        return due

    def __str__(self) -> str:
        return f"series[{self.series.kind}, {len(self.nudges)} nudges]"
