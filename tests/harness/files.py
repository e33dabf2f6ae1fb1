"""Files the bot delivered, as a person gets them: the download link in a message, fetched
from the bot's own /files/ endpoint, and the file consent card beside it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.files import File
from tests.harness.bot import BotUnderTest, Reply
from tests.harness.connector import Call

CONSENT_CARD = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO_CARD = "application/vnd.microsoft.teams.card.file.info"
_LINK = re.compile(r"\]\((https?://[^)\s]+/files/[^)\s]+)\)")


@dataclass(frozen=True)
class Delivered:
    link: str
    name: str
    content_type: str
    content: bytes
    # The consent card's attachment sent with it (None where none was sent).
    consent: dict[str, Any] | None
    # The conversation the link and the consent card went to.
    conversation_id: str

    @property
    def text(self) -> str:
        return self.content.decode("utf-8-sig")

    @property
    def file_id(self) -> int:
        consent = self.consent
        assert consent is not None, "no consent card was sent"
        file_id = consent["content"]["acceptContext"]["file"]
        assert isinstance(file_id, int)
        return file_id


def links_in(calls: Iterable[Call]) -> list[tuple[str, str]]:
    """(conversation id, link) of every download link in the messages of `calls`."""
    return [
        (call.conversation_id, match.group(1))
        for call in calls
        if call.kind in ("send", "reply")
        for match in _LINK.finditer(call.text)
    ]


def consent_cards(calls: Iterable[Call]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (call.conversation_id, attachment)
        for call in calls
        if call.kind in ("send", "reply")
        for attachment in call.attachments
        if attachment.get("contentType") == CONSENT_CARD
    ]


async def fetch(bot: BotUnderTest, link: str) -> tuple[int, dict[str, str], bytes]:
    """GET a download link from the app under test (its path: the test server's own origin)."""
    parts = urlsplit(link)
    response = await bot.client.get(parts.path)
    return response.status, dict(response.headers), await response.read()


async def delivered_files(bot: BotUnderTest, reply: Reply) -> list[File]:
    """Every file a turn delivered, downloaded by its link (wherever the link went: a file
    asked for in a channel is sent to the asker's 1:1 chat)."""
    files = []
    for _, link in links_in(reply.calls):
        status, headers, content = await fetch(bot, link)
        assert status == 200, f"the download link answered {status}"
        name = re.search(r'filename="([^"]*)"', headers["Content-Disposition"])
        assert name is not None
        files.append(File(name.group(1), headers["Content-Type"], content))
    return files


async def delivered(bot: BotUnderTest, calls: Iterable[Call]) -> Delivered:
    """The last file delivered by `calls`, downloaded by its link (which must work)."""
    calls = list(calls)
    links = links_in(calls)
    assert links, f"no download link was sent: {[c.text for c in calls]}"
    conversation_id, link = links[-1]
    status, headers, content = await fetch(bot, link)
    assert status == 200, f"the download link answered {status}"
    disposition = headers.get("Content-Disposition", "")
    name = re.search(r'filename="([^"]*)"', disposition)
    consents = [c for where, c in consent_cards(calls) if where == conversation_id]
    return Delivered(
        link=link,
        name=name.group(1) if name else "",
        content_type=headers.get("Content-Type", "").split(";")[0],
        content=content,
        consent=consents[-1] if consents else None,
        conversation_id=conversation_id,
    )


def consent_invoke(
    bot: BotUnderTest,
    action: str,
    context: Any,
    *,
    who: Any,
    upload_url: str | None = None,
    content_url: str | None = None,
    name: str = "export.csv",
    conversation: Any = None,
) -> dict[str, Any]:
    """The `fileConsent/invoke` Teams sends when `who` clicks Allow or Decline on a consent card
    in their 1:1 chat (or, forged, in `conversation`); on accept, `uploadInfo` names where (by
    default the fake OneDrive)."""
    from tests.harness import teams

    activity = teams.submit(
        {},
        service_url=bot.connector.url,
        conversation=conversation or teams.personal(who),
        who=who,
    )
    activity["type"] = "invoke"
    activity["name"] = "fileConsent/invoke"
    value: dict[str, Any] = {"type": "fileUpload", "action": action, "context": context}
    if action == "accept":
        value["uploadInfo"] = {
            "contentUrl": content_url or bot.connector.upload_url(name) + "?view=1",
            "name": name,
            "uploadUrl": upload_url or bot.connector.upload_url(name),
            "uniqueId": "1A2B3C",
            "fileType": name.rsplit(".", 1)[-1],
        }
    activity["value"] = value
    return activity
