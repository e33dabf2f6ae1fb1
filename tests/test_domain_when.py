"""Reading typed moments in the writer's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.when import WhenError, card_date, describe, parse_date, parse_when

BRUSSELS = ZoneInfo("Europe/Brussels")
# Monday 23 November 2026, 10:00 in Brussels (09:00 UTC).
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def local(text: str, zone: ZoneInfo = BRUSSELS, now: datetime = NOW) -> str:
    return parse_when(text, now, zone).astimezone(zone).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("friday 17:00", "2026-11-27 17:00"),
        ("Friday", "2026-11-27 17:00"),
        ("fri 9am", "2026-11-27 09:00"),
        ("monday 11:00", "2026-11-23 11:00"),  # later today
        ("monday 9:00", "2026-11-30 09:00"),  # already past today: next week
        ("next monday 11:00", "2026-11-30 11:00"),
        ("tomorrow", "2026-11-24 17:00"),
        ("tomorrow 9:30", "2026-11-24 09:30"),
        ("today 18h00", "2026-11-23 18:00"),
        ("in 2 days", "2026-11-25 10:00"),
        ("in 3 hours", "2026-11-23 13:00"),
        ("in 90 min", "2026-11-23 11:30"),
        ("in 1 week", "2026-11-30 10:00"),
        ("2026-12-04", "2026-12-04 17:00"),
        ("2026-12-04 08:15", "2026-12-04 08:15"),
        ("2026-12-04T08:15", "2026-12-04 08:15"),
        ("4 dec 17:00", "2026-12-04 17:00"),
        ("dec 4", "2026-12-04 17:00"),
        ("4 January", "2027-01-04 17:00"),
        ("23:30", "2026-11-23 23:30"),
        ("8:00", "2026-11-24 08:00"),
        ("2026-12-04T08:15+00:00", "2026-12-04 09:15"),
    ],
)
def test_readable_forms(text: str, expected: str) -> None:
    assert local(text) == expected


def test_the_writers_zone_decides() -> None:
    lisbon = ZoneInfo("Europe/Lisbon")
    assert parse_when("friday 17:00", NOW, lisbon) == datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert parse_when("friday 17:00", NOW, BRUSSELS) == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def test_in_days_keeps_the_wall_clock_across_daylight_saving() -> None:
    before_spring = datetime(2027, 3, 27, 9, 0, tzinfo=UTC)  # Sat 10:00 CET
    assert local("in 2 days", now=before_spring) == "2027-03-29 10:00"  # Mon 10:00 CEST


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-11-20", "already passed"),
        ("yesterday", "already passed"),  # read (by the recognizers), and past
        ("blursday 17:00", "can't read"),
        ("2026-02-30", "not a date"),
        ("friday 25:00", "not a time"),
        ("in 3 fortnights", "can't read"),
        ("", "Give a time"),
    ],
)
def test_unreadable_or_past_moments_say_why(text: str, message: str) -> None:
    with pytest.raises(WhenError, match=message):
        parse_when(text, NOW, BRUSSELS)


def test_describe_names_the_zone() -> None:
    assert (
        describe(datetime(2026, 12, 4, 16, 0, tzinfo=UTC), BRUSSELS)
        == "Fri 4 Dec 2026, 17:00 (Europe/Brussels)"
    )


@given(st.text(max_size=40))
def test_any_text_is_a_moment_or_a_when_error(text: str) -> None:
    try:
        moment = parse_when(text, NOW, BRUSSELS)
    except WhenError:
        return
    assert moment > NOW
    assert moment.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31 23:59",
        "0001-01-01 00:00",
        "0000-01-01",
        "31 dec 9999",
        "2026-12-04T17:00-12:00x",
    ],
)
def test_moments_outside_the_kept_calendar_are_named_not_overflowed(text: str) -> None:
    for zone in (ZoneInfo("America/Los_Angeles"), ZoneInfo("Pacific/Kiritimati")):
        with pytest.raises(WhenError):
            parse_when(text, NOW, zone)


def test_only_ascii_digits_are_read_in_a_moment() -> None:
    with pytest.raises(WhenError, match="can't read"):
        parse_when("in ٣ days", NOW, BRUSSELS)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-12-15", "2026-12-15"),
        ("2026-12-15T00:00:00Z", "2026-12-15"),
        ("", None),
        (None, None),
    ],
)
def test_a_card_date_is_read_as_its_day(raw: object, expected: str | None) -> None:
    day = card_date(raw)
    assert (day.isoformat() if day else None) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("9999-12-31", "outside the dates I keep"),
        ("0001-01-01", "outside the dates I keep"),
        ("0000-01-01", "outside the dates I keep"),
        ("2026-02-30", "not a date"),
        ("٢٠٢٦-١٢-١٥", "not a date"),
        (5, "not a date"),
    ],
)
def test_a_card_date_outside_the_calendar_or_malformed_is_named(raw: object, message: str) -> None:
    with pytest.raises(WhenError, match=message):
        card_date(raw)


# --- dates as the writer's Teams locale writes them -------------------------------------------


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("15/12", "en-GB", "2026-12-15 17:00"),
        ("4/12", "en-GB", "2026-12-04 17:00"),
        ("4/12", "en-US", "2027-04-12 17:00"),  # month first in the US only
        ("15/12", "en-US", "2026-12-15 17:00"),  # no month 15: the other order
        ("15.12.", "de-DE", "2026-12-15 17:00"),
        ("15.12.2026 9:30", "de-DE", "2026-12-15 09:30"),
        ("4/12/26", "it-IT", "2026-12-04 17:00"),
        ("15-12", "nl-NL", "2026-12-15 17:00"),
        ("15 Dec", "de-DE", "2026-12-15 17:00"),
        ("next Tuesday", "en-GB", "2026-11-24 17:00"),
        ("2026-12-15", "fr-FR", "2026-12-15 17:00"),
        ("15 déc", "fr-FR", "2026-12-15 17:00"),
        ("demain 9h30", "fr-FR", "2026-11-24 09:30"),
        ("15 de diciembre", "es-ES", "2026-12-15 17:00"),
        ("next tuesday", "fr-FR", "2026-11-24 17:00"),  # English is read in every locale
        ("1/11", "en-GB", "2027-11-01 17:00"),  # passed this year: next year's
    ],
)
def test_dates_are_read_the_way_the_locale_writes_them(
    text: str, locale: str, expected: str
) -> None:
    moment = parse_when(text, NOW, BRUSSELS, locale=locale)
    assert moment.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M") == expected


def test_a_day_is_read_the_way_the_locale_writes_it() -> None:
    assert parse_date("15.12.", NOW, BRUSSELS, locale="de-DE") == date(2026, 12, 15)
    assert parse_date("15.12", NOW, BRUSSELS, locale="de-DE") == date(2026, 12, 15)
    assert parse_date("3/12", NOW, BRUSSELS) == date(2026, 12, 3)  # en-GB by default
    assert parse_date("mardi prochain", NOW, BRUSSELS, locale="fr-FR") == date(2026, 12, 1)


def test_a_time_written_with_a_dot_stays_a_time_where_a_time_is_asked() -> None:
    assert local("18.30") == "2026-11-23 18:30"


@pytest.mark.parametrize(
    ("text", "locale"), [("31/2", "en-GB"), ("13/13", "en-US"), ("mardi prochain", "de-DE")]
)
def test_a_date_the_locale_cannot_read_says_so(text: str, locale: str) -> None:
    with pytest.raises(WhenError):
        parse_date(text, NOW, BRUSSELS, locale=locale)


@given(st.text(max_size=30), st.sampled_from(["en-GB", "en-US", "fr-FR", "es-ES", "de-DE"]))
def test_any_text_in_any_locale_is_a_day_or_a_when_error(text: str, locale: str) -> None:
    try:
        day = parse_date(text, NOW, BRUSSELS, locale=locale)
    except WhenError:
        return
    assert date(1900, 1, 1) <= day <= date(2999, 12, 31)
