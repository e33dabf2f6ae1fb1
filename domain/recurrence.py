"""Meeting series as plain data: occurrences at the same wall-clock time across DST, the
alternation of ecosystem calls, and when each nudge of an occurrence falls (DOMAIN.md §2.1,
§10.2). Time is always a parameter; everything returned is aware UTC."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from domain.minutes import MEETING_LABELS, MeetingType

MORNING = time(8, 0)
DAY_AFTER = time(10, 0)
OVERDUE_DIGEST = time(9, 0)


class SeriesKind(enum.StrEnum):
    ECOSYSTEM = "ecosystem"  # alternating complete ecosystem meeting / city reps alignment
    TAG_SESSION = "tag_session"
    TAG_TRACKER = "tag_tracker"
    CUSTOM = "custom"


class Nudge(enum.StrEnum):
    WEEK_BEFORE = "week_before"  # T-7d: preparation checklist
    DAY_BEFORE = "day_before"  # T-1d, at the meeting's time
    MORNING_OF = "morning_of"  # 08:00 on the day (or 1 hour before an earlier meeting)
    MINUTES_MISSING = "minutes_missing"  # T+1d 10:00, only if no minutes were recorded
    OVERDUE_WEEKLY = "overdue_weekly"  # Mondays 09:00, only if actions are overdue


DEFAULT_NUDGES = (Nudge.DAY_BEFORE, Nudge.MORNING_OF, Nudge.MINUTES_MISSING)
KIND_LABELS = {
    SeriesKind.ECOSYSTEM: "Ecosystem calls (alternating)",
    SeriesKind.TAG_SESSION: "TAG working sessions",
    SeriesKind.TAG_TRACKER: "TAG progress tracker",
    SeriesKind.CUSTOM: "Custom reminder",
}
NUDGE_LABELS = {
    Nudge.WEEK_BEFORE: "a week before (preparation)",
    Nudge.DAY_BEFORE: "the day before",
    Nudge.MORNING_OF: "on the morning of the meeting",
    Nudge.MINUTES_MISSING: "“minutes missing” the day after",
    Nudge.OVERDUE_WEEKLY: "weekly overdue actions (Mondays)",
}


class SeriesError(ValueError):
    """A series that cannot be set up as asked; the message is the reply."""


@dataclass(frozen=True)
class Series:
    """When the meetings are: the first one's local date and time, its zone, the rhythm."""

    kind: SeriesKind
    first_day: date
    at: time
    timezone: str
    interval_weeks: int | None = 2  # None: monthly, on the first meeting's day of the month
    first_type: MeetingType = MeetingType.COMPLETE

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def monthly(self) -> bool:
        return self.interval_weeks is None


def check_series(series: Series) -> None:
    if series.interval_weeks is not None and not 1 <= series.interval_weeks <= 8:
        raise SeriesError("The interval is 1 to 8 weeks, or monthly.")
    if series.monthly and series.first_day.day > 28:
        raise SeriesError(
            "A monthly series must start on day 1 to 28 of the month (not every month has a 29th)."
        )


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)


def occurrence_day(series: Series, index: int) -> date:
    if series.monthly:
        return _add_months(series.first_day, index)
    assert series.interval_weeks is not None
    return series.first_day + timedelta(weeks=series.interval_weeks * index)


@lru_cache(maxsize=8192)
def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a day, as UTC. A time skipped by a DST change moves forward."""
    moment = datetime.combine(day, at, tzinfo=zone)
    round_trip = moment.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != moment.replace(tzinfo=None):
        moment = datetime.combine(day, at, tzinfo=zone) + timedelta(hours=1)
    return moment.astimezone(UTC)


def occurrence(series: Series, index: int) -> datetime:
    return local_moment(occurrence_day(series, index), series.at, series.zone)


def meeting_type(series: Series, index: int) -> MeetingType | None:
    """Which ecosystem meeting an occurrence is: they alternate, starting with `first_type`."""
    if series.kind is not SeriesKind.ECOSYSTEM:
        return None
    other = (
        MeetingType.ALIGNMENT if series.first_type is MeetingType.COMPLETE else MeetingType.COMPLETE
    )
    return series.first_type if index % 2 == 0 else other


def meeting_label(series: Series, index: int) -> str:
    kind = meeting_type(series, index)
    if kind is not None:
        return MEETING_LABELS[kind]
    return {
        SeriesKind.TAG_SESSION: "TAG working session",
        SeriesKind.TAG_TRACKER: "TAG progress tracker",
    }.get(series.kind, "Meeting")


def index_at_or_after(series: Series, moment: datetime) -> int:
    """The first occurrence at or after `moment`."""
    local_day = moment.astimezone(series.zone).date()
    if series.monthly:
        months = (
            (local_day.year - series.first_day.year) * 12 + local_day.month - series.first_day.month
        )
        index = max(0, months - 1)
    else:
        assert series.interval_weeks is not None
        index = max(0, (local_day - series.first_day).days // (7 * series.interval_weeks) - 1)
    while occurrence(series, index) < moment:
        index += 1
    return index


def upcoming(series: Series, after: datetime, count: int = 3) -> list[tuple[int, datetime]]:
    first = index_at_or_after(series, after)
    return [(i, occurrence(series, i)) for i in range(first, first + count)]


def nudge_time(series: Series, index: int, nudge: Nudge) -> datetime:
    """When a nudge about occurrence `index` is due."""
    day = occurrence_day(series, index)
    zone = series.zone
    if nudge is Nudge.WEEK_BEFORE:
        return local_moment(day - timedelta(days=7), series.at, zone)
    if nudge is Nudge.DAY_BEFORE:
        return local_moment(day - timedelta(days=1), series.at, zone)
    if nudge is Nudge.MORNING_OF:
        if series.at <= MORNING:
            return occurrence(series, index) - timedelta(hours=1)
        return local_moment(day, MORNING, zone)
    if nudge is Nudge.MINUTES_MISSING:
        return local_moment(day + timedelta(days=1), DAY_AFTER, zone)
    raise ValueError(f"{nudge} is not about one occurrence")


def last_due(series: Series, nudge: Nudge, now: datetime) -> tuple[int, datetime] | None:
    """The most recent occurrence whose `nudge` is due at or before `now`, if any."""
    if nudge_time(series, 0, nudge) > now:
        return None
    index = index_at_or_after(series, now - timedelta(days=8)) if now > occurrence(series, 0) else 0
    found = None
    while True:
        due = nudge_time(series, index, nudge)
        if due > now:
            return found
        found = (index, due)
        index += 1


def next_monday_digest(now: datetime, zone: ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    days = (7 - local.weekday()) % 7
    candidate = local_moment(local.date() + timedelta(days=days), OVERDUE_DIGEST, zone)
    return (
        candidate
        if candidate > now
        else local_moment(local.date() + timedelta(days=days or 7), OVERDUE_DIGEST, zone)
    )


def next_nudge_after(series: Series, nudge: Nudge, moment: datetime) -> datetime:
    """The first time `nudge` falls due strictly after `moment`."""
    if nudge is Nudge.OVERDUE_WEEKLY:
        return next_monday_digest(moment, series.zone)
    # Nudges fall at most 7 days before or 1 day after their occurrence.
    index = index_at_or_after(series, moment - timedelta(days=2))
    while (due := nudge_time(series, index, nudge)) <= moment:
        index += 1
    while index > 0 and nudge_time(series, index - 1, nudge) > moment:
        index -= 1
        due = nudge_time(series, index, nudge)
    return due


def last_monday_digest(now: datetime, zone: ZoneInfo) -> datetime:
    """The most recent Monday-morning overdue digest at or before `now`."""
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    moment = local_moment(monday, OVERDUE_DIGEST, zone)
    return (
        moment if moment <= now else local_moment(monday - timedelta(days=7), OVERDUE_DIGEST, zone)
    )


def last_nudge(series: Series, nudge: Nudge, now: datetime) -> tuple[int, datetime] | None:
    """When `nudge` last fell due at or before `now`, and about which occurrence; the weekly
    overdue digest is about none (index -1)."""
    if nudge is Nudge.OVERDUE_WEEKLY:
        due_at = last_monday_digest(now, series.zone)
        return (-1, due_at) if due_at <= now else None
    return last_due(series, nudge, now)


def due_within(
    series: Series, nudges: Iterable[Nudge], now: datetime, grace: timedelta
) -> list[Nudge]:
    """The nudges that fell due within the grace period before `now`."""
    due = []
    for nudge in nudges:
        found = last_nudge(series, nudge, now)
        if found is not None and timedelta(0) <= now - found[1] <= grace:
            due.append(nudge)
    return due


def rhythm(series: Series, at_time: str) -> str:
    """How often and when a series meets, e.g. "every 2 weeks at 10:00 (Europe/Brussels)"."""
    every = (
        "monthly"
        if series.monthly
        else f"every {series.interval_weeks} week{'s' if series.interval_weeks != 1 else ''}"
    )
    return f"{every} at {at_time} ({series.timezone})"
