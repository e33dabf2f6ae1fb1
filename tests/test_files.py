"""Files the way real Teams takes them from a bot: the file consent flow in the 1:1 chat, the
asker's 1:1 chat for a file asked for in a channel, and signed download links served by the bot.

All through /api/messages with the fake connector, which opens 1:1 chats and stands in for
OneDrive's upload session. The Teams emulator shows no consent card, file card or upload
(TEAMS_TOOLS.md): only the download link is clicked there (tests/e2e/test_files.py).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app import create_app
from bot.web import BACKGROUND, SERVICES
from config import DEFAULT_UPLOAD_HOSTS, Settings
from storage.models import ExportedFile
from tests.harness import clock, teams
from tests.harness.bot import BotUnderTest, Reply
from tests.harness.connector import FakeConnector, Fault
from tests.harness.files import (
    FILE_INFO_CARD,
    Delivered,
    consent_cards,
    consent_invoke,
    delivered,
    fetch,
    links_in,
)
from tests.harness.polls import create, settle, vote

ALICE_CHAT = teams.personal(teams.ALICE)


async def exported(bot: BotUnderTest, conversation: teams.Conversation = ALICE_CHAT) -> Any:
    """Alice creates a poll in Aarhus, Bob votes, and Alice asks for its CSV in `conversation`."""
    poll_id, _ = await create(bot, "Which day? | Monday | Tuesday")
    await vote(bot, poll_id, "1", who=teams.BOB)
    await settle(bot)
    bot.connector.clear()
    reply = await bot.say(f"poll export {poll_id}", conversation=conversation)
    return reply, await delivered(bot, bot.connector.calls)


async def kept_files(bot: BotUnderTest) -> int:
    async with bot.services.database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(ExportedFile)) or 0)


async def test_a_file_asked_for_in_the_1to1_chat_comes_as_a_consent_card_and_a_link(
    bot: BotUnderTest,
) -> None:
    reply, file = await exported(bot)
    assert reply.status in (200, 201)
    assert file.conversation_id == ALICE_CHAT.id
    assert file.content_type == "text/csv"
    assert file.name.startswith("poll-")
    assert file.name.endswith(".csv")
    assert "Tuesday" in file.text
    consent = file.consent
    assert consent is not None
    assert consent["name"] == file.name
    assert consent["content"]["sizeInBytes"] == len(file.content)
    assert consent["content"]["acceptContext"] == consent["content"]["declineContext"]
    assert "Results of poll" in consent["content"]["description"]
    # Nothing went as a data: URI: real Teams refuses those for anything but images.
    for call in bot.connector.sent():
        for attachment in call.attachments:
            assert not str(attachment.get("contentUrl", "")).startswith("data:")


async def test_accepting_uploads_the_bytes_to_onedrive_and_sends_the_file_card_once(
    bot: BotUnderTest,
) -> None:
    _, file = await exported(bot)
    bot.connector.clear()
    accept = consent_invoke(bot, "accept", {"file": file.file_id}, who=teams.ALICE, name=file.name)
    reply = await bot.post(accept)
    assert reply.status == 200
    (upload,) = bot.connector.uploads
    assert upload.content == file.content
    size = len(file.content)
    assert upload.headers["Content-Range"] == f"bytes 0-{size - 1}/{size}"
    assert "Authorization" not in upload.headers  # no bot token leaves for OneDrive
    (card_call,) = [c for c in reply.calls if c.kind == "send"]
    assert card_call.conversation_id == ALICE_CHAT.id
    (info,) = card_call.attachments
    assert info["contentType"] == FILE_INFO_CARD
    assert info["name"] == file.name
    assert info["contentUrl"].startswith(bot.connector.upload_url(file.name))
    assert info["content"] == {"uniqueId": "1A2B3C", "fileType": "csv"}
    # Teams delivers the same click again: no second upload, a plain answer.
    again = await bot.post(accept)
    assert again.status == 200
    assert len(bot.connector.uploads) == 1
    assert "already in your OneDrive" in again.text


async def test_the_same_accept_delivered_twice_at_once_uploads_once_and_sends_one_file_card(
    bot: BotUnderTest,
) -> None:
    """Teams re-sends an invoke it got no answer to; a slow upload means the second arrives
    while the first is still putting the bytes in OneDrive."""
    _, file = await exported(bot)
    bot.connector.clear()
    bot.connector.hang(1.0, match="/upload/", method="PUT")
    accept = consent_invoke(bot, "accept", {"file": file.file_id}, who=teams.ALICE, name=file.name)
    first, second = await asyncio.gather(bot.post(accept), bot.post(dict(accept)))
    assert (first.status, second.status) == (200, 200)
    assert len(bot.connector.uploads) == 1
    cards = [a for c in bot.connector.sent() for a in c.attachments]
    assert [a["contentType"] for a in cards] == [FILE_INFO_CARD]
    assert "already" in first.text + second.text


async def declined_while_uploading(bot: BotUnderTest, file: Delivered) -> tuple[Reply, Reply]:
    """Alice allows `file`, and declines it 0.4 s later, while the (slow) upload is under way."""
    accept = consent_invoke(bot, "accept", {"file": file.file_id}, who=teams.ALICE, name=file.name)
    decline = consent_invoke(bot, "decline", {"file": file.file_id}, who=teams.ALICE)

    async def decline_meanwhile() -> Reply:
        await asyncio.sleep(0.4)
        return await bot.post(decline)

    accepted, declined = await asyncio.gather(bot.post(accept), decline_meanwhile())
    return accepted, declined


async def test_a_decline_while_the_accept_is_uploading_leaves_no_half_state(
    bot: BotUnderTest,
) -> None:
    _, file = await exported(bot)
    bot.connector.clear()
    bot.connector.hang(1.0, match="/upload/", method="PUT")
    accepted, declined = await declined_while_uploading(bot, file)
    assert (accepted.status, declined.status) == (200, 200)
    assert "deleted my copy" in declined.text
    # The bytes reached OneDrive before the decline could stop them: the person gets its card.
    assert len(bot.connector.uploads) == 1
    cards = [a for c in bot.connector.sent() for a in c.attachments]
    assert [a["contentType"] for a in cards] == [FILE_INFO_CARD]
    assert await kept_files(bot) == 0
    status, _, _ = await fetch(bot, file.link)
    assert status == 404


async def test_a_decline_while_an_upload_fails_does_not_promise_a_link(bot: BotUnderTest) -> None:
    _, file = await exported(bot)
    bot.connector.faults.append(Fault(500, 1, hang_seconds=1.0, match="/upload/", method="PUT"))
    accepted, declined = await declined_while_uploading(bot, file)
    assert (accepted.status, declined.status) == (200, 200)
    assert "deleted my copy" in declined.text
    assert [u.status for u in bot.connector.uploads] == [500]
    assert "you declined it meanwhile" in accepted.text
    assert "still works" not in accepted.text
    assert not links_in(accepted.calls)
    assert await kept_files(bot) == 0


async def test_declining_says_so_and_keeps_nothing(bot: BotUnderTest) -> None:
    _, file = await exported(bot)
    assert await kept_files(bot) == 1
    reply = await bot.post(consent_invoke(bot, "decline", {"file": file.file_id}, who=teams.ALICE))
    assert reply.status == 200
    assert "did not save" in reply.text
    assert "deleted my copy" in reply.text
    assert bot.connector.uploads == []
    assert await kept_files(bot) == 0
    status, _, _ = await fetch(bot, file.link)
    assert status == 404
    # Accepting afterwards finds nothing to upload.
    late = await bot.post(consent_invoke(bot, "accept", {"file": file.file_id}, who=teams.ALICE))
    assert "expired or was deleted" in late.text
    assert bot.connector.uploads == []


@pytest.mark.parametrize(
    "upload_url",
    [
        "https://evil.example.com/upload/poll.csv",
        "http://contoso-my.sharepoint.com/upload/poll.csv",  # not https
        "https://contoso-my.sharepoint.com.evil.example/upload/poll.csv",
        "https://user@contoso-my.sharepoint.com/upload/poll.csv",
        "https://contoso-my.sharepoint.com:8443/upload/poll.csv",  # not the https port
        "https://contoso-my.sharepoint.com./upload/poll.csv",
        "file:///etc/passwd",
        "",
    ],
)
async def test_an_upload_url_outside_the_allow_list_is_never_called(
    bot: BotUnderTest, upload_url: str
) -> None:
    _, file = await exported(bot)
    accept = consent_invoke(
        bot, "accept", {"file": file.file_id}, who=teams.ALICE, upload_url=upload_url or None
    )
    if not upload_url:
        del accept["value"]["uploadInfo"]["uploadUrl"]
    reply = await bot.post(accept)
    assert reply.status == 200
    assert bot.connector.uploads == []
    assert "did not upload" in reply.text
    assert links_in(reply.calls), "the refusal gives the download link instead"
    status, _, _ = await fetch(bot, file.link)
    assert status == 200  # the file is kept


async def test_an_upload_answered_with_a_redirect_is_not_followed(bot: BotUnderTest) -> None:
    """A PUT redirected (307 keeps the method and the body) would carry the file to wherever
    the answer points, past the allow-list: the bot treats it as a failed upload."""
    _, file = await exported(bot)
    bot.connector.upload_redirect = f"{bot.connector.url}/upload/elsewhere.csv"
    accept = consent_invoke(bot, "accept", {"file": file.file_id}, who=teams.ALICE, name=file.name)
    reply = await bot.post(accept)
    assert reply.status == 200
    assert [(u.name, u.status) for u in bot.connector.uploads] == [(file.name, 307)]
    assert "could not save" in reply.text
    assert not any(a["contentType"] == FILE_INFO_CARD for c in reply.calls for a in c.attachments)


async def test_a_slow_upload_is_answered_at_the_deadline_and_the_file_card_follows(
    aiohttp_client: Any, settings: Settings, connector: FakeConnector
) -> None:
    """Teams re-sends an invoke it has no answer to within about 15 s: the claim is committed
    before the upload, so the turn is answered at `ack_seconds` and finishes afterwards."""
    app = create_app(settings.with_overrides(ack_seconds=0.5))
    app[SERVICES].clock = clock.now
    bot = BotUnderTest(await aiohttp_client(app), connector)
    _, file = await exported(bot)
    connector.clear()
    connector.hang(2.0, match="/upload/", method="PUT")
    accept = consent_invoke(bot, "accept", {"file": file.file_id}, who=teams.ALICE, name=file.name)
    started = asyncio.get_running_loop().time()
    reply = await bot.post(accept)
    assert asyncio.get_running_loop().time() - started < 1.5
    assert reply.status == 200
    assert connector.uploads == []  # still uploading
    background: set[asyncio.Future[Any]] = bot.app[BACKGROUND]
    await asyncio.wait(background, timeout=10)
    await bot.services.require_outbox().wait_empty()
    assert len(connector.uploads) == 1
    cards = [a for c in connector.sent() for a in c.attachments]
    assert [a["contentType"] for a in cards] == [FILE_INFO_CARD]


async def test_loopback_is_refused_unless_listed(
    aiohttp_client: Any, settings: Settings, connector: FakeConnector
) -> None:
    """The default allow-list: SharePoint hosts only (the tests list the fake OneDrive)."""
    app = create_app(settings.with_overrides(upload_hosts=DEFAULT_UPLOAD_HOSTS))
    app[SERVICES].clock = clock.now
    bot = BotUnderTest(await aiohttp_client(app), connector)
    _, file = await exported(bot)
    reply = await bot.post(consent_invoke(bot, "accept", {"file": file.file_id}, who=teams.ALICE))
    assert connector.uploads == []
    assert "did not upload" in reply.text


async def test_a_failed_upload_keeps_the_file_and_a_second_try_works(bot: BotUnderTest) -> None:
    _, file = await exported(bot)
    bot.connector.fail(500, match="/upload/")
    accept = consent_invoke(bot, "accept", {"file": file.file_id}, who=teams.ALICE, name=file.name)
    reply = await bot.post(accept)
    assert reply.status == 200
    assert "could not save" in reply.text
    assert "still works" in reply.text
    assert [u.status for u in bot.connector.uploads] == [500]
    again = await bot.post(accept)
    assert [u.status for u in bot.connector.uploads] == [500, 201]
    assert any(a["contentType"] == FILE_INFO_CARD for c in again.calls for a in c.attachments)


async def test_someone_else_cannot_accept_or_decline_my_file(bot: BotUnderTest) -> None:
    _, file = await exported(bot)
    for action in ("accept", "decline"):
        reply = await bot.post(consent_invoke(bot, action, {"file": file.file_id}, who=teams.BOB))
        assert reply.status == 200
        assert "prepared for someone else" in reply.text
    assert bot.connector.uploads == []
    assert await kept_files(bot) == 1


@pytest.mark.parametrize("action", ["accept", "decline"])
@pytest.mark.parametrize(
    "where", [teams.AARHUS_GENERAL, teams.Conversation("19:group-chat@thread.v2", "groupChat")]
)
async def test_a_consent_invoke_outside_the_1to1_chat_changes_nothing_and_shows_no_link(
    bot: BotUnderTest, action: str, where: teams.Conversation
) -> None:
    """Teams shows consent cards in 1:1 chats only: an answer to one from a channel is forged
    or misrouted, and what it would get back (the link when an upload fails, the file card) is
    for the owner's eyes only."""
    _, file = await exported(bot)
    bot.connector.clear()
    invoke = consent_invoke(
        bot,
        action,
        {"file": file.file_id},
        who=teams.ALICE,
        conversation=where,
        upload_url="https://evil.example.com/upload/poll.csv",
    )
    reply = await bot.post(invoke)
    assert reply.status == 200
    assert "1:1 chat" in reply.text
    assert not links_in(bot.connector.calls)
    assert bot.connector.uploads == []
    assert await kept_files(bot) == 1


@pytest.mark.parametrize(
    "context",
    [None, "1", {"file": "1"}, {"file": True}, {"file": -1}, {"file": 10**30}, [1], {"file": {}}],
)
async def test_a_forged_consent_context_changes_nothing(bot: BotUnderTest, context: Any) -> None:
    await exported(bot)
    reply = await bot.post(consent_invoke(bot, "accept", context, who=teams.ALICE))
    assert reply.status == 200
    assert "not one I can act on" in reply.text or "expired or was deleted" in reply.text
    assert bot.connector.uploads == []
    assert await kept_files(bot) == 1


async def test_a_file_asked_for_in_a_channel_goes_to_the_askers_1to1_chat(
    bot: BotUnderTest,
) -> None:
    reply, file = await exported(bot, conversation=teams.AARHUS_GENERAL)
    (create_chat,) = [c for c in bot.connector.calls if c.kind == "create_conversation"]
    assert create_chat.body["members"] == [{"id": teams.ALICE.id}]
    assert create_chat.body["bot"] == {"id": teams.BOT_ID}
    assert create_chat.body["isGroup"] is False
    assert create_chat.body["tenantId"] == teams.TENANT
    assert file.conversation_id == ALICE_CHAT.id
    assert file.consent is not None
    assert consent_cards(reply.calls) == [(ALICE_CHAT.id, file.consent)]
    in_channel = [c for c in reply.calls if c.conversation_id.startswith(teams.AARHUS_GENERAL.id)]
    assert [c.text for c in in_channel] == [f"I've sent “{file.name}” to you in our 1:1 chat."]
    # The file's bytes and its link stay out of the channel.
    assert not links_in(in_channel)


async def test_when_teams_will_not_open_the_1to1_chat_the_channel_gets_no_link(
    bot: BotUnderTest,
) -> None:
    """Others read the channel, and some may not be meant to have the file (a city's tracker
    is not a mentor's): the asker is told to ask in a 1:1 chat, and nothing is kept."""
    bot.connector.unreachable.add(teams.ALICE.id)
    poll_id, _ = await create(bot, "Which day? | Monday | Tuesday")
    await settle(bot)
    bot.connector.clear()
    reply = await bot.say(f"poll export {poll_id}")
    assert reply.status in (200, 201)
    assert "could not open our 1:1 chat" in reply.text
    assert "ask there" in reply.text
    assert not links_in(bot.connector.calls)
    assert not consent_cards(bot.connector.calls)
    assert await kept_files(bot) == 0


async def test_a_redirect_from_the_connector_is_not_followed_with_the_file(
    bot: BotUnderTest,
) -> None:
    """aiohttp re-sends a POST answered 307 to its Location, and the chat id the bot then used
    came from whatever answered there: the file's link went to that conversation."""
    poll_id, _ = await create(bot, "Which day? | Monday | Tuesday")
    await settle(bot)
    bot.connector.clear()
    bot.connector.redirects["/v3/conversations"] = (
        f"{bot.connector.url}/v3/conversations/19:elsewhere@thread.v2/activities"
    )
    reply = await bot.say(f"poll export {poll_id}")
    assert reply.status in (200, 201)
    await settle(bot)
    assert "could not open our 1:1 chat" in reply.text
    assert [c for c in bot.connector.calls if "elsewhere" in c.path] == []
    assert not links_in(bot.connector.calls)


async def test_a_connector_outage_while_opening_the_chat_loses_nothing(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot, "Which day? | Monday | Tuesday")
    await settle(bot)
    bot.connector.fail(503, times=5, match="/v3/conversations", method="POST")
    reply = await bot.say(f"poll export {poll_id}")
    assert reply.status in (200, 201)
    assert "could not open our 1:1 chat" in reply.text
    assert not links_in(reply.calls)
    # Once Teams answers again, asking again works.
    bot.connector.faults.clear()
    bot.connector.clear()
    await bot.say(f"poll export {poll_id}")
    await settle(bot)
    file = await delivered(bot, bot.connector.calls)
    assert file.conversation_id == ALICE_CHAT.id
    assert "Which day?" in file.text


async def test_a_signed_link_serves_the_file_with_its_type_and_name(bot: BotUnderTest) -> None:
    _, file = await exported(bot)
    status, headers, content = await fetch(bot, file.link)
    assert status == 200
    assert headers["Content-Type"] == "text/csv"
    assert headers["Content-Disposition"].startswith(f'attachment; filename="{file.name}"')
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in headers["Cache-Control"]
    assert content == file.content


async def test_a_tampered_link_is_not_found(bot: BotUnderTest) -> None:
    _, file = await exported(bot)
    token = file.link.rsplit("/", 1)[1]
    file_id, expires, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for forged in (
        f"{file_id}.{expires}.{flipped}",
        f"{int(file_id) + 1}.{expires}.{signature}",
        f"{file_id}.{int(expires) + 86400}.{signature}",
        f"{file_id}.{expires}",
        f"{file_id}.{expires}.{signature}.x",
        "../../etc/passwd",
        "%00",
    ):
        status, _, content = await fetch(bot, file.link.rsplit("/", 1)[0] + "/" + forged)
        assert status == 404, forged
        assert file.content not in content


async def test_a_link_expires_after_its_lifetime(
    aiohttp_client: Any, settings: Settings, connector: FakeConnector
) -> None:
    app = create_app(settings.with_overrides(file_link_days=2))
    app[SERVICES].clock = clock.now
    bot = BotUnderTest(await aiohttp_client(app), connector)
    _, file = await exported(bot)
    bot.services.clock = lambda: clock.now() + timedelta(days=1, hours=23)
    status, _, _ = await fetch(bot, file.link)
    assert status == 200
    bot.services.clock = lambda: clock.now() + timedelta(days=2, minutes=1)
    status, _, _ = await fetch(bot, file.link)
    assert status == 404
    # An expired file is deleted when the next one is kept.
    assert await kept_files(bot) == 1
    await bot.say("poll export 1", conversation=ALICE_CHAT)
    assert await kept_files(bot) == 1  # the new one only


async def test_the_default_lifetime_is_seven_days(bot: BotUnderTest) -> None:
    _, file = await exported(bot)
    expires = int(file.link.rsplit("/", 1)[1].split(".")[1])
    made = clock.now().timestamp()
    assert 7 * 86400 - 120 <= expires - made <= 7 * 86400 + 1


def test_start_up_warns_when_links_would_name_this_machine_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from app import _announce
    from config import load_settings

    env = {
        "MicrosoftAppId": "00000000-0000-0000-0000-000000000001",
        "MicrosoftAppPassword": "secret",
        "ICC_ALLOWED_TENANTS": "*",
        "ICC_SECRET_KEY": "k" * 40,
    }
    with caplog.at_level("WARNING", logger="icc-bot"):
        _announce(load_settings(env))
    assert "ICC_PUBLIC_URL is not set" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="icc-bot"):
        _announce(load_settings({**env, "ICC_PUBLIC_URL": "https://icc-bot.example.org"}))
    assert "ICC_PUBLIC_URL" not in caplog.text
