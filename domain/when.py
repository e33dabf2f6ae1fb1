"""Moments as people type them ("friday 17:00", "in 2 days", "2026-12-04", "15/12", "15.12.",
"mardi prochain"), read in their zone and the way their Teams locale writes dates.

The forms below (ISO, "in 2 days", "4 dec", weekdays, a time alone) are read by hand, as they
always were; what they do not read goes to Microsoft's recognizers (recognizers-text, the
library botbuilder's prompts use) in the writer's language, then in English. Two gaps of the
Python recognizers (1.0.2a2, the last release) are filled here: they have date models for
English, French, Spanish and Chinese only (Portuguese is registered without a parser; German,
Italian, Dutch... have none), and their English is American: "4/12" is always April 12. So
dates written in digits ("15/12", "15.12.", "4/12/2026") are read here in the order of the
locale (day first everywhere but en-US), and a locale without a model is read in English.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from recognizers_date_time import DateTimeRecognizer
from recognizers_text import Culture

from domain.text import quote

# What a turn without a locale is read as: the programme is European.
DEFAULT_LOCALE = "en-GB"
# Locales that write the month first in "4/12" (Teams' en-US; the Philippines follow it).
MONTH_FIRST = frozenset({"en-us", "en-ph"})
# The recognizers' culture per language; any other language is read in English.
_CULTURES = {"en": Culture.English, "fr": Culture.French, "es": Culture.Spanish}

WEEKDAYS = {
    name: index
    for index, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}
MONTHS = {
    name: index + 1
    for index, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
UNITS = {
    "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "d": "days", "day": "days", "days": "days",
    "w": "weeks", "wk": "weeks", "week": "weeks", "weeks": "weeks",
}  # fmt: skip

FORMS = "“friday 17:00”, “tomorrow 9:30”, “in 2 days”, “in 3 hours”, “2026-12-04”, “2026-12-04 17:00”, “4 dec 17:00”"

# Only ASCII digits are read as numbers ("٣" and "²" are digits to Unicode, not to us).
_TIME = r"(?P<hour>\d{1,2})(?:[:.h](?P<minute>\d{2}))?\s*(?P<ampm>am|pm)?"
_RELATIVE = re.compile(r"^in\s+(?P<n>\d{1,4})\s*(?P<unit>[a-z]+)$", re.ASCII)
_ISO = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})(?:[t\s]+" + _TIME + r")?$", re.ASCII
)
_DAY_MONTH = re.compile(
    r"^(?P<d>\d{1,2})\s+(?P<month>[a-z]+)\.?(?:\s+(?P<y>\d{4}))?(?:\s+(?:at\s+)?" + _TIME + r")?$",
    re.ASCII,
)
_MONTH_DAY = re.compile(
    r"^(?P<month>[a-z]+)\.?\s+(?P<d>\d{1,2})(?:,?\s+(?P<y>\d{4}))?(?:\s+(?:at\s+)?"
    + _TIME
    + r")?$",
    re.ASCII,
)
_NAMED_DAY = re.compile(r"^(?:next\s+)?(?P<day>[a-z]+)(?:\s+(?:at\s+)?" + _TIME + r")?$", re.ASCII)
_TIME_ONLY = re.compile(r"^(?:at\s+)?" + _TIME + r"$", re.ASCII)
# A date in digits: "15/12", "15.12.", "15-12-2026", "4/12/26", optionally with a time.
_NUMERIC = re.compile(
    r"^(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?:(?P=sep)(?P<y>\d{4}|\d{2}))?(?P<dot>\.)?"
    r"(?:,?\s+(?:at\s+)?" + _TIME + r")?$",
    re.ASCII,
)
_CARD_DATE = re.compile(r"(?P<y>[0-9]{4,})-(?P<mo>[0-9]{1,2})-(?P<d>[0-9]{1,2})")

# The days we keep. Python's calendar (and PostgreSQL's) holds years 1 to 9999, but a moment
# near either end overflows when moved between time zones, and nothing the programme plans or
# records lies centuries away: a year outside this range is a typing mistake.
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


class WhenError(ValueError):
    """The text names no moment we can read, or one already past; the message says which."""


def _clock(match: re.Match[str], default: time) -> time:
    if match.group("hour") is None:
        return default
    hour = int(match.group("hour"))
    minute = int(match.group("minute") or 0)
    ampm = match.group("ampm")
    if ampm:
        if not 1 <= hour <= 12:
            raise WhenError(f"{hour}{ampm} is not a time")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise WhenError(f"{hour}:{minute:02d} is not a time of day")
    return time(hour, minute)


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(keepable(day), clock, tzinfo=zone).astimezone(UTC)


def keepable(day: date) -> date:
    """`day` if it lies between EARLIEST and LATEST, else a WhenError saying so."""
    if not EARLIEST <= day <= LATEST:
        raise WhenError(_out_of_range(day.year, day.month, day.day))
    return day


def _out_of_range(year: int, month: int, day: int) -> str:
    return (
        f"{year:04d}-{month:02d}-{day:02d} is outside the dates I keep "
        f"({EARLIEST.year} to {LATEST.year})"
    )


def _date(year: int, month: int, day: int) -> date:
    if not EARLIEST.year <= year <= LATEST.year:
        raise WhenError(_out_of_range(year, month, day))
    try:
        return date(year, month, day)
    except ValueError:
        raise WhenError(f"{year}-{month:02d}-{day:02d} is not a date") from None


def card_date(
    raw: object,
    *,
    locale: str | None = None,
    now: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> date | None:
    """The day an Input.Date submits ("2026-12-15"); None when left empty. Anything else, a
    year outside the dates we keep included, is a WhenError whose message is the reply.

    Given the writer's `locale`, `now` and `zone`, a day typed as people write it is read too
    ("15/12", "15.12.", "next tuesday"): a client that draws the date input as a text box
    submits what was typed."""
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return None
    if len(text) > 10 and text[10] in "T ":  # a date-time: the day is what counts
        text = text[:10]
    match = _CARD_DATE.fullmatch(text)
    if match is None:
        if locale is not None and now is not None and zone is not None:
            return parse_date(text, now, zone, locale=locale)
        raise WhenError(f"{quote(text, 20)} is not a date")
    return _date(int(match.group("y")), int(match.group("mo")), int(match.group("d")))


def parse_when(
    text: str,
    now: datetime,
    zone: ZoneInfo,
    *,
    default_time: time = time(17, 0),
    locale: str = DEFAULT_LOCALE,
) -> datetime:
    """The moment `text` names, as aware UTC; it must lie after `now`.

    Dates without a time mean `default_time` in `zone`. A weekday means its next occurrence
    (today, if the time is still ahead). `locale` ("en-GB", "de-DE", the Teams client's) says
    how dates are written: "4/12" is 4 December, except in en-US.
    """
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    raw = " ".join(text.strip().lower().split())
    if not raw:
        raise WhenError(f"Give a time, like {FORMS}.")
    local_now = now.astimezone(zone)
    result = _parse(raw, now, local_now, zone, default_time, locale)
    if result is None:
        raise WhenError(f"I can't read {quote(text)} as a time. Try {FORMS}.")
    if result <= now:
        shown = result.astimezone(zone).strftime("%a %d %b %Y %H:%M")
        raise WhenError(f"{shown} ({zone.key}) has already passed.")
    return result


def _parse(
    raw: str,
    now: datetime,
    local_now: datetime,
    zone: ZoneInfo,
    default_time: time,
    locale: str,
    *,
    dates_only: bool = False,
) -> datetime | None:
    written = _by_hand(raw, now, local_now, zone, default_time, locale, dates_only=dates_only)
    if written is not None:
        return written
    return _recognized(raw, now, local_now, zone, default_time, locale)


def _by_hand(
    raw: str,
    now: datetime,
    local_now: datetime,
    zone: ZoneInfo,
    default_time: time,
    locale: str,
    *,
    dates_only: bool,
) -> datetime | None:
    if match := _RELATIVE.match(raw):
        unit = UNITS.get(match.group("unit"))
        if unit is None:
            return None
        amount = int(match.group("n"))
        if unit in ("days", "weeks"):
            # "in 2 days" keeps the wall-clock time, across a daylight-saving change too.
            days = amount * (7 if unit == "weeks" else 1)
            moved = (local_now.replace(tzinfo=None) + timedelta(days=days)).replace(tzinfo=zone)
            return moved.astimezone(UTC)
        return now + timedelta(**{unit: amount})
    if match := _ISO.match(raw):
        day = _date(int(match.group("y")), int(match.group("mo")), int(match.group("d")))
        return _at(day, _clock(match, default_time), zone)
    try:
        iso = datetime.fromisoformat(raw.upper().replace(" ", "T"))
    except ValueError:
        iso = None
    if iso is not None:
        keepable(iso.date())
        return (iso if iso.tzinfo else iso.replace(tzinfo=zone)).astimezone(UTC)
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        if (match := pattern.match(raw)) and match.group("month") in MONTHS:
            month = MONTHS[match.group("month")]
            day_number = int(match.group("d"))
            clock = _clock(match, default_time)
            if match.group("y"):
                return _at(_date(int(match.group("y")), month, day_number), clock, zone)
            candidate = _at(_date(local_now.year, month, day_number), clock, zone)
            if candidate <= now:
                candidate = _at(_date(local_now.year + 1, month, day_number), clock, zone)
            return candidate
    if match := _NAMED_DAY.match(raw):
        word = match.group("day")
        clock = _clock(match, default_time)
        if word in ("today", "tonight"):
            return _at(local_now.date(), clock, zone)
        if word == "tomorrow":
            return _at(local_now.date() + timedelta(days=1), clock, zone)
        if word in WEEKDAYS:
            ahead = (WEEKDAYS[word] - local_now.weekday()) % 7
            candidate = _at(local_now.date() + timedelta(days=ahead), clock, zone)
            if candidate <= now or raw.startswith("next "):
                candidate = _at(local_now.date() + timedelta(days=ahead or 7), clock, zone)
            return candidate
        return None
    if (match := _NUMERIC.match(raw)) and (
        # "15.12" alone is a time of day where a time is asked for; "15.12." is a date.
        dates_only or match.group("sep") != "." or match.group("y") or match.group("dot")
    ):
        return _numeric(match, now, local_now, zone, default_time, locale)
    if match := _TIME_ONLY.match(raw):
        clock = _clock(match, default_time)
        candidate = _at(local_now.date(), clock, zone)
        return (
            candidate if candidate > now else _at(local_now.date() + timedelta(days=1), clock, zone)
        )
    return None


def parse_date(text: str, now: datetime, zone: ZoneInfo, *, locale: str = DEFAULT_LOCALE) -> date:
    """The calendar day `text` names in `zone` ("today", "friday", "2026-12-15", "4 dec",
    "15/12", "15.12."), past or future (the caller decides which it accepts); digits are
    read in the order of `locale` (see parse_when)."""
    raw = " ".join(text.strip().lower().split())
    if not raw:
        raise WhenError(f"Give a date, like {DATE_FORMS}.")
    if raw == "yesterday":
        return now.astimezone(zone).date() - timedelta(days=1)
    # End of day: a weekday named on that very day means that day.
    result = _parse(raw, now, now.astimezone(zone), zone, time(23, 59), locale, dates_only=True)
    if result is None:
        raise WhenError(f"I can't read {quote(text)} as a date. Try {DATE_FORMS}.")
    return result.astimezone(zone).date()


def day_first(locale: str | None) -> bool:
    """Whether `locale` writes "4/12" for 4 December (all but en-US)."""
    return (locale or DEFAULT_LOCALE).strip().lower().replace("_", "-") not in MONTH_FIRST


def _numeric(
    match: re.Match[str],
    now: datetime,
    local_now: datetime,
    zone: ZoneInfo,
    default_time: time,
    locale: str,
) -> datetime | None:
    first, second = int(match.group("a")), int(match.group("b"))
    # The locale's order first; the other one when that is no date at all ("15/12" in en-US).
    orders = [(first, second), (second, first)]
    if not day_first(locale):
        orders.reverse()
    day_number, month = next(((d, m) for d, m in orders if 1 <= m <= 12), orders[0])
    clock = _clock(match, default_time)
    if year := match.group("y"):
        whole = int(year) + (2000 if len(year) == 2 else 0)
        return _at(_date(whole, month, day_number), clock, zone)
    candidate = _at(_date(local_now.year, month, day_number), clock, zone)
    if candidate <= now:
        candidate = _at(_date(local_now.year + 1, month, day_number), clock, zone)
    return candidate


@cache
def _model(culture: str) -> Any:
    """The recognizers' date-time model of a culture (built once: a quarter of a second)."""
    return DateTimeRecognizer(culture).get_datetime_model(culture)


def _cultures(locale: str) -> list[str]:
    """The recognizer cultures to read `locale`'s text in: its language's, then English."""
    language = (locale or DEFAULT_LOCALE).strip().lower().replace("_", "-").split("-")[0]
    own = _CULTURES.get(language, Culture.English)
    return [own] if own == Culture.English else [own, Culture.English]


def _recognized(
    raw: str,
    now: datetime,
    local_now: datetime,
    zone: ZoneInfo,
    default_time: time,
    locale: str,
) -> datetime | None:
    """What the recognizers read in the whole of `raw` as a date, or a date and a time: the
    first of their readings that lies after `now` (else the last)."""
    if any(char.isdigit() and not char.isascii() for char in raw):
        return None  # "٣" is a digit to the recognizers, not to us
    reference = local_now.replace(tzinfo=None, second=0, microsecond=0)
    for culture in _cultures(locale):
        results = _model(culture).parse(raw, reference)
        if len(results) != 1 or results[0].text != raw:
            continue  # nothing, or only a part of the text ("15." of "15.12.")
        found = results[0]
        if found.type_name not in ("datetimeV2.date", "datetimeV2.datetime"):
            continue
        moments = [
            _at_text(str(value["value"]), default_time, zone)
            for value in (found.resolution or {}).get("values", [])
            # A day without its month ("XXXX-XX-03") is a guess: "in 3 fortnights" is not the 3rd.
            if value.get("value") and "-XX-" not in str(value.get("timex", ""))
        ]
        if moments:
            return next((m for m in moments if m > now), moments[-1])
    return None


def _at_text(value: str, default_time: time, zone: ZoneInfo) -> datetime:
    """A recognizer's resolved value ("2026-12-15" or "2026-12-15 09:30:00") in `zone`."""
    day_text, _, clock_text = value.partition(" ")
    try:
        day = date.fromisoformat(day_text)
        clock = time.fromisoformat(clock_text) if clock_text else default_time
    except ValueError:
        raise WhenError(f"{quote(value)} is not a date") from None
    return _at(day, clock, zone)


DATE_FORMS = "“today”, “friday”, “15/12”, “15 dec”, “2026-12-15”, “in 2 weeks”"


def describe(moment: datetime, zone: ZoneInfo) -> str:
    """A moment for a chat reply: "Fri 4 Dec 2026, 17:00 (Europe/Brussels)"."""
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({zone.key})"
