"""Only the tenants the bot serves, through Teams' own service URLs, reach any state.

An activity from another tenant, or naming a serviceUrl outside the allow-list, is answered
403 after authentication and before the turn: no conversation recorded, no dialog state,
nothing sent — so it cannot replace the address a channel's reminders go to.

Protocol tests: the Teams emulator sends every activity from one tenant and its own loopback
serviceUrl, so another tenant or a foreign service URL cannot be shown there."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import time
from typing import Any

import aiohttp
import pytest
from sqlalchemy import inspect, select, text, update

from app import create_app
from bot.outbound import DeliveryRefused, Outbound, Target
from bot.service_urls import ServiceUrlCheck
from config import DEFAULT_SERVICE_URL_HOSTS, Settings, load_settings
from dialogs.remind.service import deliver_due
from domain.recurrence import Nudge
from storage.models import Channel, ReminderDelivery
from tests.harness import teams
from tests.harness.bot import BotUnderTest
from tests.harness.connector import FakeConnector
from tests.harness.identity import (
    APP_ID,
    APP_PASSWORD,
    BotFrameworkIdentity,
    KnownTokenCredentialsFactory,
)
from tests.harness.remind import at, first_meeting, set_up

OTHER_TENANT = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
OWN_TENANT = "0d3b6a3e-1f4c-4e8a-9b2d-5c6f7a8b9c0d"
LOOPBACK = ("127.0.0.1",)

MakeBot = Callable[..., Awaitable[BotUnderTest]]


@pytest.fixture
def make_bot(aiohttp_client: Any, settings: Settings, connector: FakeConnector) -> MakeBot:
    """The app with authentication on (unless `authenticated=False`) and these settings."""

    async def make(*, authenticated: bool = True, **overrides: Any) -> BotUnderTest:
        configured = settings.with_overrides(**overrides)
        factory = None
        if authenticated:
            configured = configured.with_overrides(app_id=APP_ID, app_password=APP_PASSWORD)
            factory = KnownTokenCredentialsFactory()
        app = create_app(configured, credentials_factory=factory)
        return BotUnderTest(await aiohttp_client(app), connector)

    return make


def help_message(
    bot: BotUnderTest, service_url: str | None = None, tenant: str | None = teams.TENANT
) -> dict[str, Any]:
    activity = teams.message(
        "help", service_url=service_url or bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    activity["channelData"]["tenant"] = {"id": tenant} if tenant else None
    activity["conversation"]["tenantId"] = tenant
    return activity


def signed(identity: BotFrameworkIdentity, activity: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {identity.token(activity['serviceUrl'])}"}


async def row_counts(bot: BotUnderTest) -> dict[str, int]:
    async with bot.services.database.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        return {
            table: int(
                (await connection.execute(text(f'SELECT count(*) FROM "{table}"'))).scalar_one()
            )
            for table in tables
            if table != "alembic_version"
        }


async def assert_refused_untouched(
    bot: BotUnderTest, activity: dict[str, Any], headers: dict[str, str] | None, error: str
) -> None:
    # An earlier reply's outbox row goes once it is delivered, which can be after its turn
    # answered (PostgreSQL): counted before that, it would look like a change made here.
    await bot.services.require_outbox().wait_empty()
    before = await row_counts(bot)
    reply = await bot.post(activity, headers=headers)
    assert reply.status == 403, reply.body
    assert reply.body == {"error": error}
    assert reply.calls == []
    assert await row_counts(bot) == before


# --- tenants ---------------------------------------------------------------------------------


async def test_an_activity_from_a_tenant_not_allowed_is_403_and_touches_nothing(
    make_bot: MakeBot,
    identity: BotFrameworkIdentity,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = await make_bot(
        openid_metadata_url=identity.metadata_url,
        service_url_hosts=LOOPBACK,
        allowed_tenants=frozenset({OWN_TENANT}),
    )
    activity = help_message(bot, tenant=OTHER_TENANT)
    with caplog.at_level(logging.WARNING, logger="bot.web"):
        await assert_refused_untouched(
            bot, activity, signed(identity, activity), "tenant not allowed"
        )
    (line,) = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert OTHER_TENANT in line

    allowed = help_message(bot, tenant=OWN_TENANT)
    reply = await bot.post(allowed, headers=signed(identity, allowed))
    assert reply.status in (200, 201)
    assert reply.cards


async def test_the_tenant_is_read_from_the_conversation_when_channel_data_has_none(
    make_bot: MakeBot, identity: BotFrameworkIdentity
) -> None:
    bot = await make_bot(
        openid_metadata_url=identity.metadata_url,
        service_url_hosts=LOOPBACK,
        allowed_tenants=frozenset({OWN_TENANT}),
    )
    activity = help_message(bot, tenant=OWN_TENANT)
    activity["channelData"].pop("tenant")
    reply = await bot.post(activity, headers=signed(identity, activity))
    assert reply.status in (200, 201)

    activity = help_message(bot, tenant=OTHER_TENANT)
    activity["channelData"].pop("tenant")
    reply = await bot.post(activity, headers=signed(identity, activity))
    assert reply.status == 403


async def test_an_activity_without_any_tenant_is_403_once_tenants_are_listed(
    make_bot: MakeBot, identity: BotFrameworkIdentity
) -> None:
    bot = await make_bot(
        openid_metadata_url=identity.metadata_url,
        service_url_hosts=LOOPBACK,
        allowed_tenants=frozenset({OWN_TENANT}),
    )
    activity = help_message(bot, tenant=None)
    await assert_refused_untouched(bot, activity, signed(identity, activity), "tenant not allowed")


async def test_a_single_tenant_app_serves_its_own_tenant_only(
    aiohttp_client: Any,
    connector: FakeConnector,
    identity: BotFrameworkIdentity,
    database_url: str,
) -> None:
    single = load_settings(
        {
            "MicrosoftAppId": APP_ID,
            "MicrosoftAppPassword": APP_PASSWORD,
            "MicrosoftAppType": "SingleTenant",
            "MicrosoftAppTenantId": OWN_TENANT.upper(),
            "ICC_SECRET_KEY": "k" * 64,
            "ICC_SERVICE_URL_HOSTS": "127.0.0.1",
            "BotOpenIdMetadata": identity.metadata_url,
        },
        database_url=database_url,
        run_scheduler=False,
    )
    bot = BotUnderTest(
        await aiohttp_client(
            create_app(single, credentials_factory=KnownTokenCredentialsFactory())
        ),
        connector,
    )
    own = help_message(bot, tenant=OWN_TENANT)
    reply = await bot.post(own, headers=signed(identity, own))
    assert reply.status in (200, 201)
    other = help_message(bot, tenant=teams.TENANT)
    reply = await bot.post(other, headers=signed(identity, other))
    assert reply.status == 403


async def test_without_authentication_a_tenant_list_still_applies(make_bot: MakeBot) -> None:
    bot = await make_bot(authenticated=False, allowed_tenants=frozenset({OWN_TENANT}))
    await assert_refused_untouched(bot, help_message(bot), None, "tenant not allowed")
    reply = await bot.post(help_message(bot, tenant=OWN_TENANT))
    assert reply.status in (200, 201)


# --- service URLs ----------------------------------------------------------------------------


async def test_with_authentication_loopback_is_refused_unless_listed(
    make_bot: MakeBot, identity: BotFrameworkIdentity
) -> None:
    unlisted = await make_bot(openid_metadata_url=identity.metadata_url)
    activity = help_message(unlisted)
    await assert_refused_untouched(
        unlisted, activity, signed(identity, activity), "serviceUrl not allowed"
    )
    listed = await make_bot(openid_metadata_url=identity.metadata_url, service_url_hosts=LOOPBACK)
    reply = await listed.post(activity, headers=signed(identity, activity))
    assert reply.status in (200, 201)


@pytest.mark.parametrize(
    "service_url",
    [
        "https://attacker.example/",
        "https://smba.trafficmanager.net.attacker.example/teams/",
        "https://smba.trafficmanager.net@attacker.example/teams/",
        "http://smba.trafficmanager.net/teams/",  # Teams only ever names https
        "https://10.0.0.5/",
        "https://169.254.169.254/latest/",
        # getaddrinfo stops at the NUL: the token would go to this machine.
        "https://localhost\x00.webchat.botframework.com/",
        "https://smba.trafficmanager.net:8443/teams/",
    ],
)
async def test_a_signed_activity_naming_another_service_url_is_403(
    make_bot: MakeBot, identity: BotFrameworkIdentity, service_url: str
) -> None:
    bot = await make_bot(openid_metadata_url=identity.metadata_url)
    activity = help_message(bot, service_url=service_url)
    await assert_refused_untouched(
        bot, activity, signed(identity, activity), "serviceUrl not allowed"
    )


async def test_a_foreign_service_url_cannot_replace_a_channels_stored_address(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(authenticated=False)
    reply = await bot.post(help_message(bot))
    assert reply.status in (200, 201)
    activity = help_message(bot, service_url="https://attacker.example/teams/")
    await assert_refused_untouched(bot, activity, None, "serviceUrl not allowed")
    async with bot.services.database.unit_of_work() as session:
        stored = (await session.scalars(select(Channel.service_url))).all()
    assert stored == [bot.connector.url]


async def test_without_authentication_loopback_by_name_or_address_is_served(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(authenticated=False)
    port = bot.connector.url.rsplit(":", 1)[1]
    for host in ("localhost", "127.0.0.1"):
        reply = await bot.post(help_message(bot, service_url=f"http://{host}:{port}"))
        assert reply.status in (200, 201), host
        assert reply.cards, host


# --- the sender ------------------------------------------------------------------------------


async def test_the_sender_never_posts_to_a_service_url_outside_the_allow_list(
    connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    # With authentication on, the fake connector's loopback address is not Teams'.
    check = ServiceUrlCheck(DEFAULT_SERVICE_URL_HOSTS, allow_loopback=False)
    async with aiohttp.ClientSession() as http:
        sender = Outbound(http, allowed=check, sleep=sleep)
        target = Target(connector.url, teams.AARHUS_GENERAL.id, teams.TENANT)
        with caplog.at_level(logging.ERROR, logger="bot.outbound"), pytest.raises(DeliveryRefused):
            await sender.send(target, {"type": "message", "text": "hello"})
        with pytest.raises(DeliveryRefused):
            await sender.update(target, "1", {"type": "message", "text": "hello"})
        # A member lookup carries the bot's token too: it never leaves for a foreign host.
        with pytest.raises(DeliveryRefused):
            await sender.get_member(connector.url, teams.AARHUS_GENERAL.id, teams.ALICE.id)
    assert connector.calls == []
    assert connector.member_lookups == []
    assert slept == []  # refused at once, never retried
    assert sender.sent_count == 0
    assert [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]


async def test_a_reminder_to_a_tampered_channel_address_is_recorded_failed_and_not_retried(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    series_id = await set_up(bot)
    bot.connector.clear()
    async with bot.services.database.unit_of_work() as session:
        await session.execute(
            update(Channel)
            .where(Channel.conversation_id == teams.AARHUS_GENERAL.id)
            .values(service_url="https://attacker.example/teams/")
        )
    due = at(first_meeting(), time(8, 0, 5))
    assert await deliver_due(bot.services, series_id, Nudge.MORNING_OF, due) == "failed"
    async with bot.services.database.unit_of_work() as session:
        (delivery,) = (await session.scalars(select(ReminderDelivery))).all()
    assert delivery.status == "failed"
    assert "not allowed" in (delivery.error or "")
    assert await deliver_due(bot.services, series_id, Nudge.MORNING_OF, due) != "sent"
    assert bot.connector.calls == []
