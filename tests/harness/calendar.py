"""The calendar files a turn delivered, read back. How a file reaches a person is the lead's
to change (file consent in a 1:1 chat, a signed link in a channel): this is the one place
that knows it (for now an attachment with a data: URI on the reply)."""

from __future__ import annotations

import base64

from icalendar import Calendar, Event

from tests.harness.bot import Reply


def delivered_files(reply: Reply) -> list[tuple[str, str, bytes]]:
    """Every file the turn sent: its name, content type and bytes."""
    files = []
    for call in reply.calls:
        for attachment in call.attachments:
            url = attachment.get("contentUrl") or ""
            if url.startswith("data:"):
                content = base64.b64decode(url.split(",", 1)[1])
                files.append((attachment["name"], attachment["contentType"], content))
    return files


def received_invite(reply: Reply) -> tuple[str, Event]:
    """The one .ics file the turn sent, parsed: its name and its one event."""
    files = delivered_files(reply)
    assert len(files) == 1, (reply.text, files)
    ((name, content_type, content),) = files
    assert content_type == "text/calendar"
    assert name.endswith(".ics")
    calendar = Calendar.from_ical(content)
    assert str(calendar["method"]) == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert isinstance(event, Event)
    assert len(calendar.walk("VTIMEZONE")) == 1
    return name, event
