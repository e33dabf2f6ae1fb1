"""Series maths: alternation, DST, monthly, nudges; and the APScheduler triggers agree."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.minutes import MeetingType
from domain.recurrence import (
    Nudge,
    Series,
    SeriesError,
    SeriesKind,
    check_series,
    last_due,
    meeting_type,
    nudge_time,
    occurrence,
    upcoming,
)
from scheduler.recurrence import fire_times, trigger_for

BRUSSELS = ZoneInfo("Europe/Brussels")


def series(first: date, at: time = time(10, 0), weeks: int | None = 2, **kw: object) -> Series:
    return Series(SeriesKind.ECOSYSTEM, first, at, "Europe/Brussels", weeks, **kw)  # type: ignore[arg-type]


def local(moment: datetime) -> str:
    return moment.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M %Z")


def test_ecosystem_calls_alternate_starting_with_the_chosen_one() -> None:
    s = series(date(2027, 1, 4))
    assert [meeting_type(s, i) for i in range(4)] == [
        MeetingType.COMPLETE,
        MeetingType.ALIGNMENT,
    ] * 2
    s = series(date(2027, 1, 4), first_type=MeetingType.ALIGNMENT)
    assert meeting_type(s, 0) is MeetingType.ALIGNMENT
    assert meeting_type(s, 1) is MeetingType.COMPLETE


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        # Spring 2027: clocks go forward on Sunday 28 March.
        (
            date(2027, 3, 15),
            ["2027-03-15 10:00 CET", "2027-03-29 10:00 CEST", "2027-04-12 10:00 CEST"],
        ),
        # Autumn 2027: clocks go back on Sunday 31 October.
        (
            date(2027, 10, 18),
            ["2027-10-18 10:00 CEST", "2027-11-01 10:00 CET", "2027-11-15 10:00 CET"],
        ),
    ],
)
def test_the_wall_clock_time_holds_across_both_2027_transitions(
    first: date, expected: list[str]
) -> None:
    s = series(first)
    assert [local(occurrence(s, i)) for i in range(3)] == expected
    # APScheduler's own trigger, asked for its next fire times, agrees.
    trigger = trigger_for(s, Nudge.DAY_BEFORE, datetime(2027, 1, 1, tzinfo=UTC))
    fires = fire_times(trigger, datetime(2027, 1, 1, tzinfo=UTC), 3)
    assert [local(f) for f in fires] == [
        local(nudge_time(s, i, Nudge.DAY_BEFORE)) for i in range(3)
    ]
    assert all(f.astimezone(BRUSSELS).hour == 10 for f in fires)


def test_morning_and_minutes_missing_triggers_agree_with_the_maths() -> None:
    s = series(date(2027, 3, 22), at=time(14, 30))
    for nudge in (Nudge.MORNING_OF, Nudge.MINUTES_MISSING, Nudge.WEEK_BEFORE):
        fires = fire_times(
            trigger_for(s, nudge, datetime(2027, 1, 1, tzinfo=UTC)),
            datetime(2027, 1, 1, tzinfo=UTC),
            3,
        )
        assert fires == [nudge_time(s, i, nudge) for i in range(3)], nudge
    assert local(nudge_time(s, 0, Nudge.MORNING_OF)) == "2027-03-22 08:00 CET"
    assert local(nudge_time(s, 0, Nudge.MINUTES_MISSING)) == "2027-03-23 10:00 CET"


def test_an_early_meeting_is_nudged_an_hour_before() -> None:
    s = series(date(2027, 3, 22), at=time(7, 30))
    assert local(nudge_time(s, 0, Nudge.MORNING_OF)) == "2027-03-22 06:30 CET"


def test_monthly_series_keep_the_day_of_the_month() -> None:
    s = series(date(2027, 1, 15), weeks=None)
    assert [occurrence(s, i).astimezone(BRUSSELS).date() for i in range(3)] == [
        date(2027, 1, 15),
        date(2027, 2, 15),
        date(2027, 3, 15),
    ]
    fires = fire_times(
        trigger_for(s, Nudge.DAY_BEFORE, datetime(2027, 1, 1, tzinfo=UTC)),
        datetime(2027, 1, 1, tzinfo=UTC),
        3,
    )
    assert [f.astimezone(BRUSSELS).date() for f in fires] == [
        date(2027, 1, 14),
        date(2027, 2, 14),
        date(2027, 3, 14),
    ]


@pytest.mark.parametrize(
    ("s", "message"),
    [
        (series(date(2027, 1, 31), weeks=None), "day 1 to 28"),
        (series(date(2027, 1, 1), weeks=9), "1 to 8 weeks"),
    ],
)
def test_series_that_cannot_work_are_refused(s: Series, message: str) -> None:
    with pytest.raises(SeriesError, match=message):
        check_series(s)


def test_upcoming_and_last_due() -> None:
    s = series(date(2027, 3, 1))
    now = datetime(2027, 3, 16, 12, 0, tzinfo=UTC)
    assert [i for i, _ in upcoming(s, now, 2)] == [2, 3]
    index, due = last_due(s, Nudge.DAY_BEFORE, now) or (None, None)
    assert index == 1
    assert local(due) == "2027-03-14 10:00 CET"  # type: ignore[arg-type]
    assert last_due(s, Nudge.DAY_BEFORE, datetime(2027, 2, 1, tzinfo=UTC)) is None


def test_occurrences_are_evenly_spaced_in_local_days() -> None:
    s = series(date(2027, 1, 4), weeks=3)
    days = [occurrence(s, i).astimezone(BRUSSELS).date() for i in range(20)]
    assert all(b - a == timedelta(weeks=3) for a, b in itertools.pairwise(days))


@pytest.mark.parametrize("first", [date(2027, 3, 15), date(2027, 10, 18), date(2027, 1, 15)])
@pytest.mark.parametrize("weeks", [2, 1, None])
def test_the_series_trigger_fires_when_calendar_interval_triggers_would(
    first: date, weeks: int | None
) -> None:
    """Our one trigger per series fires at the merged fire times of one APScheduler
    CalendarIntervalTrigger per nudge. (APScheduler's own OrTrigger cannot combine them: it
    hands each child the others' previous fire time, and a CalendarIntervalTrigger then skips
    its own next date.)"""
    from scheduler.recurrence import SeriesTrigger

    s = series(first, at=time(9, 30), weeks=weeks)
    nudges = [Nudge.WEEK_BEFORE, Nudge.DAY_BEFORE, Nudge.MORNING_OF, Nudge.MINUTES_MISSING]
    start = datetime(2027, 1, 1, tzinfo=UTC)
    merged = sorted(
        t for nudge in nudges for t in fire_times(trigger_for(s, nudge, start), start, 12)
    )[:12]
    assert fire_times(SeriesTrigger(s, nudges), start, 12) == merged


def test_the_series_trigger_never_fires_in_the_past() -> None:
    from scheduler.recurrence import SeriesTrigger

    s = series(date(2027, 3, 1))
    now = datetime(2027, 3, 14, 10, 0, 30, tzinfo=UTC)
    first = SeriesTrigger(s, [Nudge.DAY_BEFORE, Nudge.MORNING_OF]).get_next_fire_time(None, now)
    assert first is not None
    assert first > now
