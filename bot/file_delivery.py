"""Files the way Teams takes them from a bot: the file consent flow in the 1:1 chat, and a
signed download link for everything.

Real Teams accepts `data:` URIs only for images, so a file is kept as a row (storage/files.py)
and reaches its asker in two ways at once:

- a **download link** served by the bot (`GET /files/<token>`, bot/file_links.py), valid for
  ICC_FILE_LINK_DAYS days: to forward to stakeholders who are not Teams users, and what works
  where the consent flow does not (the Teams emulator, a mobile client);
- a **file consent card** in the asker's 1:1 chat with the bot: on accept Teams names an upload
  URL in their OneDrive (`fileConsent/invoke`), the bot PUTs the bytes there — only to a host of
  ICC_UPLOAD_HOSTS — and sends the file card; on decline the kept copy is deleted.

Asked in a channel or a group chat, the file goes to the asker's 1:1 chat (created through the
Bot Connector for a member of a team the bot is in) and the channel gets a short note; when
Teams will not open that chat, the asker is told to ask in a 1:1 chat, and nothing is kept: the
file and its link never appear where others read them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot import file_links
from bot.files import File
from bot.outbound import DeliveryError, RetryPolicy, Target
from bot.service_urls import allowed_service_url
from storage import files
from storage.models import ExportedFile

if TYPE_CHECKING:
    from bot.turn import Turn
    from config import Settings

log = logging.getLogger(__name__)

_MARKDOWN_SYNTAX = re.compile(r"[\[\]()<>*_`\\#|~]")

CONSENT_CARD = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO_CARD = "application/vnd.microsoft.teams.card.file.info"
# Opening the 1:1 chat happens inside a turn, which Teams re-sends if it is not answered in
# about 15 s: a short retry, then the asker is told to ask in the 1:1 chat.
_OPEN_CHAT_RETRY = RetryPolicy(attempts=2, base_delay=0.5, max_delay=2.0)


def upload_check(settings: Settings) -> Callable[[str], bool]:
    """Whether an upload (or file card) URL is https on an ICC_UPLOAD_HOSTS host (loopback
    only where listed: the tests' stand-in for OneDrive)."""

    def allowed(url: str) -> bool:
        return allowed_service_url(url, settings.upload_hosts, allow_loopback=False)

    return allowed


def link_of(settings: Settings, row: ExportedFile) -> str:
    token = file_links.sign(settings.secret_key, row.id, row.expires_at)
    return file_links.url(settings.link_origin, token)


def shown(name: str) -> str:
    """A file name in a chat message: our names are slugs; anything Markdown would read as
    syntax is dropped rather than backslash-escaped (Teams shows the backslashes)."""
    return _MARKDOWN_SYNTAX.sub("", name)


def _link_line(settings: Settings, row: ExportedFile) -> str:
    return (
        f"[{shown(row.name)}]({link_of(settings, row)}) — a download link you can "
        f"forward; it works until {row.expires_at:%d %b %Y}."
    )


def _consent_message(row: ExportedFile, description: str) -> dict[str, Any]:
    context = {"file": row.id}
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": CONSENT_CARD,
                "name": row.name,
                "content": {
                    "description": description,
                    "sizeInBytes": len(row.content),
                    "acceptContext": context,
                    "declineContext": context,
                },
            }
        ],
    }


async def deliver(turn: Turn, file: File, text: str) -> None:
    """Keep `file` for its asker and send it to them (see the module's docstring)."""
    settings = turn.services.settings
    now = turn.now()
    chat: str | None = None
    if not turn.is_personal:
        # Before anything is written: a slow connector must not hold the turn's transaction.
        await turn.commit()
        try:
            chat = await turn.services.require_outbound().create_personal_conversation(
                turn.service_url,
                bot_id=turn.bot_id,
                user_id=turn.sender.user_id,
                tenant_id=turn.tenant_id,
                retry=_OPEN_CHAT_RETRY,
            )
        except DeliveryError as error:
            log.warning(
                "1:1 chat with %s not opened from %s: %s",
                turn.sender.user_id,
                turn.conversation_id,
                error,
            )
            # Not the link here instead: others read this conversation, and some may not be
            # meant to have the file (a city's tracker is not a mentor's); nothing is kept.
            await turn.reply(
                f"{text}\n\nI could not open our 1:1 chat to send it to you there, and I do not "
                "post files where others read them: open a chat with me and ask there."
            )
            return
    row = await files.add(
        turn.session,
        name=_fitting(file.name),
        content_type=file.content_type,
        content=file.content,
        owner_user_id=turn.sender.user_id,
        tenant_id=turn.tenant_id,
        now=now,
        expires_at=_expiry(now, settings.file_link_days),
    )
    link_line = _link_line(settings, row)
    if turn.is_personal:
        await turn.reply(f"{text}\n\n{link_line}")
        here = Target(turn.service_url, turn.conversation_id, turn.tenant_id)
        await turn.post_activity(here, _consent_message(row, text))
        return
    assert chat is not None
    there = Target(turn.service_url, chat, turn.tenant_id)
    await turn.post_activity(there, {"type": "message", "text": f"{text}\n\n{link_line}"})
    await turn.post_activity(there, _consent_message(row, text))
    await turn.reply(f"I've sent “{shown(row.name)}” to you in our 1:1 chat.")


# What ExportedFile.name holds: a name built from a city's or TAG's (up to 200 characters
# themselves) is longer, and PostgreSQL refuses it rather than cut it.
NAME_LIMIT = 200


def _fitting(name: str) -> str:
    """`name` cut to NAME_LIMIT characters, its extension kept."""
    if len(name) <= NAME_LIMIT:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 10:
        return name[:NAME_LIMIT]
    return f"{stem[: NAME_LIMIT - len(extension) - 1].rstrip('-')}.{extension}"


def _expiry(now: datetime, days: int) -> datetime:
    # Whole seconds: the link carries the expiry in Unix seconds and must name the same moment.
    return (now + timedelta(days=days)).replace(microsecond=0)


def _text(value: object, limit: int = 2000) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


async def answer_consent(turn: Turn, value: object) -> None:
    """A `fileConsent/invoke`: the person accepted or declined a consent card of ours."""
    settings = turn.services.settings
    if not turn.is_personal:
        # Teams shows consent cards in 1:1 chats only; what an answer gets back (the link when
        # an upload fails, the file card) must not land where others read it.
        log.warning("fileConsent/invoke outside a 1:1 chat: %s", turn.conversation_id)
        await turn.reply("File cards work in our 1:1 chat only: answer the one I sent you there.")
        return
    value = value if isinstance(value, dict) else {}
    action = value.get("action")
    context = value.get("context")
    file_id = context.get("file") if isinstance(context, dict) else None
    if action not in ("accept", "decline") or type(file_id) is not int or not 0 < file_id < 2**31:
        await turn.reply("That file card is not one I can act on.")
        return
    row = await files.live(turn.session, file_id, turn.now())
    if row is None:
        await turn.reply(
            "That file has expired or was deleted: ask for the export again to get a new one."
        )
        return
    if row.owner_user_id != turn.sender.user_id or (
        row.tenant_id is not None and row.tenant_id != turn.tenant_id
    ):
        log.warning("consent for file %d by %s, not its owner", row.id, turn.sender.user_id)
        await turn.reply("That file was prepared for someone else: ask for the export yourself.")
        return
    if action == "decline":
        await files.drop(turn.session, row.id)
        await turn.reply(
            f"OK, I did not save “{shown(row.name)}”, and I deleted my copy: its download link "
            "no longer works either."
        )
        return
    if row.uploaded_at is not None:
        await turn.reply(f"“{shown(row.name)}” is already in your OneDrive.")
        return
    await _upload(turn, row, value.get("uploadInfo"), upload_check(settings))


async def _upload(
    turn: Turn, row: ExportedFile, info: object, allowed: Callable[[str], bool]
) -> None:
    settings = turn.services.settings
    info = info if isinstance(info, dict) else {}
    upload_url, content_url = _text(info.get("uploadUrl")), _text(info.get("contentUrl"))
    name = _text(info.get("name"), 400) or row.name
    if (
        upload_url is None
        or content_url is None
        or not (allowed(upload_url) and allowed(content_url))
    ):
        log.warning(
            "file %d: upload refused, not an allowed upload host: %r",
            row.id,
            str(info.get("uploadUrl"))[:200],
        )
        await turn.reply(
            f"I did not upload “{shown(row.name)}”: Teams named a place to put it that I do not "
            f"upload to. {_link_line(settings, row)}"
        )
        return
    # Claimed and committed before the upload, which may take a while (not inside the turn's
    # transaction): a second delivery of this accept finds it taken; a decline meanwhile
    # deletes the row, and the claim (a conditional update) cannot resurrect or trip on it.
    claimed_at = turn.now()
    if not await files.claim_upload(turn.session, row.id, claimed_at):
        await turn.reply(f"“{shown(row.name)}” is already in (or on its way to) your OneDrive.")
        return
    await turn.commit()
    try:
        await turn.services.require_outbound().upload(upload_url, row.content, allowed=allowed)
    except DeliveryError as error:
        log.warning("file %d: upload failed: %s", row.id, error)
        if not await files.release_upload(turn.session, row.id, claimed_at):
            await turn.reply(
                f"I could not save “{shown(row.name)}” to your OneDrive, and you declined it "
                "meanwhile, so I kept no copy: ask for the export again if you want it."
            )
            return
        await turn.reply(
            f"I could not save “{shown(row.name)}” to your OneDrive just now. The download link "
            f"still works: {_link_line(settings, row)}"
        )
        return
    card = {
        "contentType": FILE_INFO_CARD,
        "contentUrl": content_url,
        "name": name,
        "content": {
            "uniqueId": _text(info.get("uniqueId"), 200) or "",
            "fileType": _text(info.get("fileType"), 20) or "",
        },
    }
    here = Target(turn.service_url, turn.conversation_id, turn.tenant_id)
    await turn.post_activity(here, {"type": "message", "attachments": [card]})
