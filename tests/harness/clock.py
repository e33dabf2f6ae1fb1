"""The clock the app under test runs on, and the dates the tests read from it.

Tests take "now" and a city's "today" from here, never from the wall clock on their own: the
`bot` fixture gives the app this same clock (Services.clock), so a test dates its forms and its
expectations exactly as the app it talks to does, in the city's own zone (between 23:00 and
00:00 UTC, Lisbon is a day behind Copenhagen).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services import system_clock


def now() -> datetime:
    """The app's clock: what Services.clock reads unless a test moves the app's clock."""
    return system_clock()


def today(zone: ZoneInfo) -> date:
    """The date in `zone` by the app's clock."""
    return now().astimezone(zone).date()


def in_days(days: int, zone: ZoneInfo) -> str:
    """The date `days` after today in `zone`, as a card's date input gives it."""
    return (today(zone) + timedelta(days=days)).isoformat()
