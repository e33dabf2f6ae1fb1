"""The calendar files a turn delivered, read back (downloaded by their links,
tests/harness/files.py)."""

from __future__ import annotations

from icalendar import Calendar, Event

from tests.harness.bot import BotUnderTest, Reply
from tests.harness.files import delivered_files


async def received_invite(bot: BotUnderTest, reply: Reply) -> tuple[str, Event]:
    """The one .ics file the turn sent, parsed: its name and its one event."""
    files = await delivered_files(bot, reply)
    assert len(files) == 1, (reply.text, files)
    ((name, content_type, content),) = [(f.name, f.content_type, f.content) for f in files]
    assert content_type == "text/calendar"
    assert name.endswith(".ics")
    calendar = Calendar.from_ical(content)
    assert str(calendar["method"]) == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert isinstance(event, Event)
    assert len(calendar.walk("VTIMEZONE")) == 1
    return name, event
