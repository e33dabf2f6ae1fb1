"""Calendar invites: the .ics parsed back by icalendar, the series' RRULE expanded by dateutil,
and the times read both through zoneinfo and through the file's own VTIMEZONE (what a
calendar such as Outlook uses), across both 2027 daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar, Event, Timezone

from domain.agenda import DEFAULT_TEMPLATE, AgendaItem, AgendaView, RecapLine
from domain.calendar import CalendarError, SeriesInvite, series_invite, session_invite
from domain.minutes import MeetingType
from domain.recurrence import Series, SeriesKind, occurrence

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def parsed(ics: bytes) -> tuple[Calendar, Event, Timezone]:
    calendar = Calendar.from_ical(ics)
    events = [c for c in calendar.walk("VEVENT")]
    zones = [c for c in calendar.walk("VTIMEZONE")]
    assert len(events) == 1
    assert len(zones) == 1
    assert isinstance(events[0], Event)
    assert isinstance(zones[0], Timezone)
    return calendar, events[0], zones[0]


def expanded(event: Event, until: datetime, zone: tzinfo | None = None) -> list[datetime]:
    """The event's occurrences up to `until`, in the event's own zone or in `zone` (the same
    wall-clock times read through another definition of the zone)."""
    start = event.decoded("dtstart")
    raw = event["rrule"].to_ical()
    rule = rrulestr(raw.decode() if isinstance(raw, bytes) else raw, dtstart=start)
    found = list(rule.between(start - timedelta(seconds=1), until))
    return found if zone is None else [moment.replace(tzinfo=zone) for moment in found]


def invite(series: Series, **kw: Any) -> SeriesInvite:
    return SeriesInvite(id=4, series=series, place="Aarhus", **kw)


def ecosystem(first: date, **kw: Any) -> Series:
    return Series(SeriesKind.ECOSYSTEM, first, time(10, 0), "Europe/Brussels", 2, **kw)


def test_a_fortnightly_series_stays_at_10_00_brussels_across_both_2027_changes() -> None:
    series = ecosystem(date(2027, 3, 15))
    calendar, event, vtimezone = parsed(series_invite(invite(series), NOW))
    assert str(calendar["method"]) == "PUBLISH"
    assert event["rrule"].to_ical() == b"FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"
    assert event["dtstart"].params["TZID"] == "Europe/Brussels"
    until = datetime(2027, 12, 31, tzinfo=UTC)
    # Through zoneinfo, and through the VTIMEZONE written in the file (a calendar's view).
    for moments in (
        expanded(event, until),
        expanded(event, until, vtimezone.to_tz(lookup_tzid=False)),
    ):
        assert len(moments) == 21
        assert {(m.hour, m.minute) for m in moments} == {(10, 0)}
        offsets = {m.date(): m.utcoffset() for m in moments}
        assert offsets[date(2027, 3, 15)] == timedelta(hours=1)  # before 28 March
        assert offsets[date(2027, 3, 29)] == timedelta(hours=2)  # after it
        assert offsets[date(2027, 10, 25)] == timedelta(hours=2)  # before 31 October
        assert offsets[date(2027, 11, 8)] == timedelta(hours=1)  # after it
        # The same instants the bot's own reminders are planned for.
        assert [m.astimezone(UTC) for m in moments] == [occurrence(series, i) for i in range(21)]


def test_the_series_vtimezone_has_standard_and_daylight_as_yearly_rules() -> None:
    _, _, vtimezone = parsed(series_invite(invite(ecosystem(date(2027, 3, 15))), NOW))
    assert vtimezone["tzid"] == "Europe/Brussels"
    daylight, standard = vtimezone.walk("DAYLIGHT"), vtimezone.walk("STANDARD")
    assert len(daylight) == 1
    assert len(standard) == 1
    # Yearly rules, not RDATE lists: Outlook ignores RDATE in a VTIMEZONE.
    assert daylight[0]["rrule"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
    assert standard[0]["rrule"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"
    assert "RDATE" not in daylight[0]
    assert "RDATE" not in standard[0]
    assert daylight[0].decoded("tzoffsetto") == timedelta(hours=2)
    assert standard[0].decoded("tzoffsetto") == timedelta(hours=1)


@pytest.mark.parametrize(
    "zone",
    [
        "America/New_York",
        "Australia/Sydney",  # summer time over the new year
        "Europe/Dublin",  # tzdata's negative "daylight" time in winter
        "Europe/Lisbon",
        "America/Santiago",  # changes no yearly BYDAY rule describes: listed one by one
        "Asia/Jerusalem",
        "Asia/Kolkata",  # no changes at all
    ],
)
def test_the_files_own_vtimezone_gives_each_zones_offsets_for_two_years(zone: str) -> None:
    series = Series(SeriesKind.CUSTOM, date(2027, 1, 6), time(9, 30), zone, 1)
    _, event, vtimezone = parsed(series_invite(invite(series, text="Weekly sync"), NOW))
    written = vtimezone.to_tz(lookup_tzid=False)
    moments = expanded(event, datetime(2029, 1, 1, tzinfo=UTC), written)
    assert len(moments) > 90
    for moment in moments:
        assert moment.utcoffset() == moment.replace(tzinfo=ZoneInfo(zone)).utcoffset(), moment


def test_ecosystem_calls_name_which_occurrence_is_which_meeting() -> None:
    series = ecosystem(date(2027, 3, 15), first_type=MeetingType.COMPLETE)
    _, event, _ = parsed(series_invite(invite(series), NOW))
    text = str(event["description"])
    assert "1st, 3rd, 5th … meeting: Complete ecosystem meeting" in text
    assert "2nd, 4th, 6th … meeting: City reps alignment meeting" in text
    assert str(event["summary"]) == "Ecosystem call — Aarhus"
    # Asked for after the first meeting, the invite starts at the next one: the alignment.
    later = datetime(2027, 3, 20, tzinfo=UTC)
    _, event, _ = parsed(series_invite(invite(series), later))
    assert event.decoded("dtstart") == datetime(2027, 3, 29, 10, 0, tzinfo=BRUSSELS)
    assert "1st, 3rd, 5th … meeting: City reps alignment meeting" in str(event["description"])


def test_a_meeting_under_way_is_still_the_first_of_the_invite() -> None:
    series = ecosystem(date(2027, 3, 15))
    during = datetime(2027, 3, 15, 9, 30, tzinfo=UTC)  # 10:30 in Brussels
    _, event, _ = parsed(series_invite(invite(series), during))
    assert event.decoded("dtstart") == datetime(2027, 3, 15, 10, 0, tzinfo=BRUSSELS)
    assert event.decoded("dtend") == datetime(2027, 3, 15, 11, 0, tzinfo=BRUSSELS)


def test_a_monthly_series_repeats_on_its_day_of_the_month() -> None:
    series = Series(SeriesKind.TAG_TRACKER, date(2027, 3, 10), time(14, 0), "Europe/Brussels", None)
    _, event, _ = parsed(series_invite(invite(series), NOW))
    assert event["rrule"].to_ical() == b"FREQ=MONTHLY;BYMONTHDAY=10"
    moments = expanded(event, datetime(2027, 12, 31, tzinfo=UTC))
    assert [m.date() for m in moments[:3]] == [
        date(2027, 3, 10),
        date(2027, 4, 10),
        date(2027, 5, 10),
    ]
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=90)
    assert "alternate" not in str(event["description"])


def test_a_paused_or_stopped_series_has_no_invite() -> None:
    series = ecosystem(date(2027, 3, 15))
    with pytest.raises(CalendarError, match=r"paused.*`remind resume 4`"):
        series_invite(invite(series, paused=True), NOW)
    with pytest.raises(CalendarError, match="stopped"):
        series_invite(invite(series, disabled="bot removed from the channel (403)"), NOW)


def agenda(**kw: Any) -> AgendaView:
    fields: dict[str, Any] = {
        "id": 12, "tag": "Green Buildings", "session": 3,
        "starts_at": datetime(2027, 3, 29, 8, 0, tzinfo=UTC), "timezone": "Europe/Brussels",
        "length": 60, "items": DEFAULT_TEMPLATE,
        "recap": (RecapLine("Aarhus", "Map the heat network", date(2027, 3, 20)),), "owner": "Marta",
    }  # fmt: skip
    fields.update(kw)
    return AgendaView(**fields)


def test_a_session_invite_has_its_agendas_time_items_and_open_commitments() -> None:
    calendar, event, vtimezone = parsed(session_invite(agenda(), NOW))
    assert str(calendar["method"]) == "PUBLISH"
    assert str(event["uid"]) == "agenda-12@icc-bot"
    assert str(event["summary"]) == "TAG Green Buildings — working session 3"
    assert event.decoded("dtstamp") == NOW
    # 08:00 UTC on the day after the change is 10:00 summer time in Brussels.
    assert event.decoded("dtstart") == datetime(2027, 3, 29, 10, 0, tzinfo=BRUSSELS)
    assert event["dtstart"].params["TZID"] == "Europe/Brussels"
    assert event.decoded("dtend") == datetime(2027, 3, 29, 11, 0, tzinfo=BRUSSELS)
    assert "RRULE" not in event
    written = vtimezone.to_tz(lookup_tzid=False)
    assert event.decoded("dtstart").replace(tzinfo=written).utcoffset() == timedelta(hours=2)
    text = str(event["description"])
    assert "1. Agenda and objective setting by the facilitator (5 min)" in text
    assert "6. Shared commitments and next meeting (5 min)" in text
    assert "- Aarhus: Map the heat network (due 20 Mar 2027)" in text
    assert "60 of 60 min" in text


def test_hostile_text_round_trips_escaped_and_folded() -> None:
    hostile = 'Bus, tram; "metro"\\ BEGIN:VEVENT\r\nEND:VCALENDAR\x00\x07 ' + "é" * 120
    view = agenda(
        tag="Green; Buildings, Inc.\nEND:VEVENT",
        items=(AgendaItem(hostile, 15), AgendaItem("Recap", 5, "recap")),
        recap=(RecapLine("Aarhus; DK", hostile, None),),
        owner="O'Brien, Sean",
    )
    ics = session_invite(view, NOW)
    # Lines are folded at 75 octets; nothing the text said became a line of its own.
    lines = ics.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert lines.count(b"BEGIN:VEVENT") == 1
    assert lines.count(b"END:VCALENDAR") == 1
    assert b"\x00" not in ics
    assert b"\x07" not in ics
    _, event, _ = parsed(ics)
    assert str(event["summary"]) == "TAG Green; Buildings, Inc. END:VEVENT — working session 3"
    clean = 'Bus, tram; "metro"\\ BEGIN:VEVENT END:VCALENDAR ' + "é" * 120
    text = str(event["description"])
    assert f"1. {clean} (15 min)" in text
    assert f"- Aarhus; DK: {clean}" in text
    assert "Agenda by O'Brien, Sean." in text
    assert "20 of 60 min" in text


def test_items_over_the_session_length_are_said_in_the_description() -> None:
    view = agenda(items=(AgendaItem("Long talk", 70),), recap=())
    _, event, _ = parsed(session_invite(view, NOW))
    assert "70 of 60 min, 10 min over" in str(event["description"])
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=60)
