"""Calendar invites (RFC 5545 .ics, METHOD:PUBLISH): one TAG working session from its agenda,
and a meeting series from its reminder series as one VEVENT with an RRULE.

Times are written with the series' or agenda's IANA zone as TZID and a VTIMEZONE for it, so a
calendar keeps a series at the same wall-clock time across daylight-saving changes. The
VTIMEZONE is written with yearly RRULEs (last Sunday of March …) where the zone's rules allow:
Outlook ignores RDATE lists in a VTIMEZONE and then shifts a recurring meeting by an hour
after a change (iCalcreator issue #86), and icalendar's own generator writes RDATE lists. Any
zone whose changes follow no such rule gets icalendar's generator (`Timezone.from_tzinfo`).
Pure: plain data in, bytes out; `now` (DTSTAMP) is a parameter.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from domain.agenda import RECAP, AgendaView, RecapLine, total
from domain.minutes import MEETING_LABELS
from domain.recurrence import (
    KIND_LABELS,
    Series,
    SeriesKind,
    index_at_or_after,
    meeting_type,
    occurrence,
)

PRODID = "-//ICC Teams bot//Calendar invites//EN"
UID_DOMAIN = "icc-bot"
# How long each kind of meeting lasts (DOMAIN.md §2.1): an hour, the progress tracker 1.5 h.
SERIES_MINUTES = {
    SeriesKind.ECOSYSTEM: 60,
    SeriesKind.TAG_SESSION: 60,
    SeriesKind.TAG_TRACKER: 90,
    SeriesKind.CUSTOM: 60,
}
# The years a VTIMEZONE's yearly rules are checked against the zone's own (tzdata) changes.
CHECKED_YEARS = 12
# A VTIMEZONE's onsets are local wall-clock times: naive by definition.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC).replace(tzinfo=None)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class CalendarError(ValueError):
    """An invite that cannot be made; the message is the reply."""


@dataclass(frozen=True)
class SeriesInvite:
    """A reminder series as its invite needs it."""

    id: int
    series: Series
    place: str  # the city or TAG it is for ("" when the channel is linked to neither)
    text: str | None = None  # a custom series' reminder text
    paused: bool = False
    disabled: str | None = None  # why the bot stopped it (e.g. removed from the channel)


# --- invites ---------------------------------------------------------------------------------------


def session_invite(view: AgendaView, now: datetime, sequence: int = 0) -> bytes:
    """The .ics of one TAG working session: its agenda's time and items, the open commitments."""
    zone = ZoneInfo(view.timezone)
    start = view.starts_at.astimezone(zone)
    event = Event()
    event.add("uid", f"agenda-{view.id}@{UID_DOMAIN}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("sequence", max(0, sequence))
    event.add("summary", f"TAG {_line(view.tag)} — working session {view.session}")
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=view.length))
    event.add("description", _agenda_text(view))
    return _calendar(event, view.timezone, start.date(), start.date())


def series_invite(invite: SeriesInvite, now: datetime) -> bytes:
    """The .ics of a meeting series: one VEVENT whose RRULE repeats at the series' wall-clock
    time in its zone, from its next meeting (one still under way counts) on. Ecosystem calls
    alternate; the description says which occurrence is which. A paused or stopped series
    raises CalendarError: its meetings are not being kept."""
    if invite.disabled:
        raise CalendarError(
            f"Series #{invite.id} is stopped ({invite.disabled}), so there is no invite for it."
        )
    if invite.paused:
        raise CalendarError(
            f"Series #{invite.id} is paused, so there is no invite for it: "
            f"`remind resume {invite.id}` starts it again."
        )
    series = invite.series
    minutes = SERIES_MINUTES[series.kind]
    index = index_at_or_after(series, now - timedelta(minutes=minutes))
    start = occurrence(series, index).astimezone(series.zone)
    event = Event()
    event.add("uid", f"series-{invite.id}@{UID_DOMAIN}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("summary", _series_title(invite))
    # The wall-clock time the series is set at: a first meeting moved by a DST gap would
    # otherwise move every later one.
    first = datetime.combine(start.date(), series.at, tzinfo=series.zone)
    event.add("dtstart", first)
    event.add("dtend", first + timedelta(minutes=minutes))
    if series.monthly:
        event.add("rrule", {"freq": "monthly", "bymonthday": series.first_day.day})
    else:
        event.add(
            "rrule",
            {
                "freq": "weekly",
                "interval": series.interval_weeks,
                "byday": WEEKDAYS[start.weekday()],
            },
        )
    event.add("description", _series_text(invite, index))
    return _calendar(event, series.timezone, start.date(), None)


def _calendar(event: Event, zone: str, first: date, last: date | None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(vtimezone(zone, first.year, (last or first).year))
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def _agenda_text(view: AgendaView) -> str:
    lines = [f"TAG working session {view.session} of {_line(view.tag)}", "", "Agenda:"]
    for number, item in enumerate(view.items, start=1):
        lines.append(f"{number}. {_line(item.title)} ({item.minutes} min)")
        if item.role == RECAP:
            lines += _recap_text(view.recap)
    used = total(view.items)
    over = f", {used - view.length} min over" if used > view.length else ""
    lines += ["", f"{used} of {view.length} min{over}. Agenda by {_line(view.owner)}."]
    if view.recap and not any(item.role == RECAP for item in view.items):
        lines += ["", "Open commitments:", *_recap_text(view.recap)]
    return "\n".join(lines)


def _recap_text(recap: Sequence[RecapLine]) -> list[str]:
    return [
        f"   - {_line(line.city)}: {_line(line.text)}"
        + (f" (due {line.due:%d %b %Y})" if line.due else "")
        for line in recap
    ]


def _series_title(invite: SeriesInvite) -> str:
    what = {
        SeriesKind.ECOSYSTEM: "Ecosystem call",
        SeriesKind.TAG_SESSION: "TAG working session",
        SeriesKind.TAG_TRACKER: "TAG progress tracker",
        SeriesKind.CUSTOM: _line(invite.text or "")[:80] or "Meeting",
    }[invite.series.kind]
    return f"{what} — {_line(invite.place)}" if invite.place else what


def alternation(series: Series, first_index: int) -> list[str]:
    """Which meeting each occurrence is, counted from the invite's first one: "1st, 3rd, 5th …:
    …" and "2nd, 4th, 6th …: …" (empty for a series that does not alternate)."""
    first, second = meeting_type(series, first_index), meeting_type(series, first_index + 1)
    if first is None or second is None:
        return []
    return [
        f"1st, 3rd, 5th … meeting: {MEETING_LABELS[first]}",
        f"2nd, 4th, 6th … meeting: {MEETING_LABELS[second]}",
    ]


def _series_text(invite: SeriesInvite, first_index: int) -> str:
    series = invite.series
    every = (
        f"Monthly, on day {series.first_day.day}"
        if series.monthly
        else f"Every {series.interval_weeks} week{'s' if series.interval_weeks != 1 else ''}"
    )
    lines = [
        f"{KIND_LABELS[series.kind]}" + (f" of {_line(invite.place)}" if invite.place else ""),
        f"{every} at {series.at:%H:%M} ({series.timezone}), the same time of day all year.",
    ]
    turns = alternation(series, first_index)
    if turns:
        lines += ["", "The meetings alternate:", *turns]
    if invite.text:
        lines += ["", _clean(invite.text)]
    lines += ["", f"Reminder series #{invite.id} of the ICC bot (`remind list` shows it)."]
    return "\n".join(lines)


def _clean(text: str) -> str:
    """Text as RFC 5545 allows it: no control characters but line breaks (icalendar escapes
    those, and commas and semicolons, and folds long lines)."""
    lines = (
        "".join(c for c in line if unicodedata.category(c) != "Cc") for line in text.splitlines()
    )
    return "\n".join(lines)


def _line(text: str) -> str:
    """One line of text, as a summary or a list item needs it."""
    return " ".join(_clean(text).split())


# --- the VTIMEZONE ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Change:
    """One change of a zone's UTC offset: when (the local wall clock just before it) and to what."""

    local: datetime  # naive, in the offset before the change
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool


def _changes(zone: ZoneInfo, year: int) -> Iterator[_Change]:
    """The zone's offset changes in `year`, found by stepping a day at a time, then bisecting."""
    moment = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    while moment < end:
        later = moment + timedelta(days=1)
        before, after = moment.astimezone(zone), later.astimezone(zone)
        if before.utcoffset() != after.utcoffset():
            low, high = moment, later
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == before.utcoffset():
                    low = middle
                else:
                    high = middle
            changed = high.astimezone(zone)
            offset_from, offset_to = before.utcoffset(), changed.utcoffset()
            assert offset_from is not None
            assert offset_to is not None
            yield _Change(
                local=(high.replace(tzinfo=None) + offset_from).replace(second=0, microsecond=0),
                offset_from=offset_from,
                offset_to=offset_to,
                name=changed.tzname() or "",
                # The later clock is summer time: Europe/Dublin's tzdata calls winter
                # the negative "daylight" time, which calendars do not expect.
                is_dst=offset_to > offset_from,
            )
        moment = later


def _byday(day: date) -> str:
    """The change's day as a yearly rule's BYDAY: -1SU for a last Sunday, 2SU for a second."""
    weekday = WEEKDAYS[day.weekday()]
    if (day + timedelta(days=7)).month != day.month:
        return f"-1{weekday}"
    return f"{(day.day - 1) // 7 + 1}{weekday}"


def _observance(change: _Change, *, rule: bool) -> TimezoneStandard | TimezoneDaylight:
    part = TimezoneDaylight() if change.is_dst else TimezoneStandard()
    part.add("dtstart", change.local)
    part.add("tzoffsetfrom", change.offset_from)
    part.add("tzoffsetto", change.offset_to)
    if change.name:
        part.add("tzname", change.name)
    if rule:
        part.add(
            "rrule",
            {"freq": "yearly", "bymonth": change.local.month, "byday": _byday(change.local.date())},
        )
    return part


def _fixed(zone: ZoneInfo, name: str, year: int) -> Timezone:
    """A zone without changes around `year`: one STANDARD observance."""
    moment = datetime(year, 1, 1, tzinfo=zone)
    offset = moment.utcoffset()
    assert offset is not None
    timezone = Timezone()
    timezone.add("tzid", name)
    timezone.add_component(
        _observance(_Change(EPOCH, offset, offset, moment.tzname() or "", False), rule=False)
    )
    return timezone


def _agrees(timezone: Timezone, zone: ZoneInfo, first_year: int, last_year: int) -> bool:
    """Whether the VTIMEZONE gives the zone's own offset around each of its changes."""
    written = timezone.to_tz(lookup_tzid=False)
    for year in range(first_year, last_year + 1):
        for change in _changes(zone, year):
            for hours in (-2, 2):
                local = change.local + timedelta(hours=hours)
                if local.replace(tzinfo=written).utcoffset() != local.replace(
                    tzinfo=zone
                ).utcoffset() and not _ambiguous(local, zone):
                    return False
        midyear = datetime(year, 7, 1, 12, tzinfo=zone)
        if midyear.replace(tzinfo=written).utcoffset() != midyear.utcoffset():
            return False
    return True


def _ambiguous(local: datetime, zone: ZoneInfo) -> bool:
    return (
        local.replace(tzinfo=zone, fold=0).utcoffset()
        != local.replace(tzinfo=zone, fold=1).utcoffset()
    )


@lru_cache(maxsize=256)
def _vtimezone_ical(name: str, first_year: int, last_year: int) -> bytes:
    zone = ZoneInfo(name)
    changes = list(_changes(zone, first_year - 1))
    until = max(last_year, first_year + CHECKED_YEARS)
    if not any(next(_changes(zone, year), None) for year in range(first_year - 1, until + 1)):
        return bytes(_fixed(zone, name, first_year).to_ical())
    if len(changes) == 2:
        ruled = Timezone()
        ruled.add("tzid", name)
        for change in changes:
            ruled.add_component(_observance(change, rule=True))
        if _agrees(ruled, zone, first_year, until):
            return bytes(ruled.to_ical())
    # Changes no yearly rule describes: the changes listed one by one, for the years concerned.
    listed = Timezone.from_tzinfo(
        zone, name, first_date=date(first_year - 1, 1, 1), last_date=date(until + 1, 1, 1)
    )
    return bytes(listed.to_ical())


def vtimezone(name: str, first_year: int, last_year: int | None = None) -> Timezone:
    """The VTIMEZONE of the IANA zone `name` for events from `first_year` (to `last_year`, or a
    dozen years on for a series without end)."""
    component = Timezone.from_ical(_vtimezone_ical(name, first_year, last_year or first_year))
    assert isinstance(component, Timezone)
    return component
