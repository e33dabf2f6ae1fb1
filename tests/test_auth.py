"""With credentials configured, only Bot Framework-signed requests reach the bot, and what
the bot sends carries its own token. Authentication runs for real against a local token
service (tests/harness/identity.py): the signing keys are ours, the checks are botbuilder's."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from app import create_app
from config import Settings
from storage.models import Channel
from tests.harness import teams
from tests.harness.bot import BotUnderTest
from tests.harness.connector import FakeConnector
from tests.harness.hostile import nested_body
from tests.harness.identity import (
    APP_ID,
    APP_PASSWORD,
    OUTBOUND_TOKEN,
    BotFrameworkIdentity,
    KnownTokenCredentialsFactory,
)


@pytest.fixture
async def secured_bot(
    aiohttp_client: Any,
    settings: Settings,
    connector: FakeConnector,
    identity: BotFrameworkIdentity,
) -> BotUnderTest:
    secured = settings.with_overrides(
        app_id=APP_ID,
        app_password=APP_PASSWORD,
        openid_metadata_url=identity.metadata_url,
        # The fake connector listens on loopback, which authentication on does not allow unlisted.
        service_url_hosts=("127.0.0.1",),
    )
    app = create_app(secured, credentials_factory=KnownTokenCredentialsFactory())
    return BotUnderTest(await aiohttp_client(app), connector)


async def stored_channels(bot: BotUnderTest) -> int:
    async with bot.services.database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(Channel)) or 0)


def signed(bot: BotUnderTest, identity: BotFrameworkIdentity, **token_args: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {identity.token(bot.connector.url, **token_args)}"}


async def test_a_signed_request_is_served_and_the_reply_carries_the_bots_token(
    secured_bot: BotUnderTest, identity: BotFrameworkIdentity
) -> None:
    activity = teams.message(
        "help", service_url=secured_bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    reply = await secured_bot.post(activity, headers=signed(secured_bot, identity))
    assert reply.status in (200, 201)
    (call,) = reply.calls
    assert call.headers.get("Authorization") == f"Bearer {OUTBOUND_TOKEN}"
    assert call.cards


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz"],
)
async def test_request_without_a_valid_token_is_401_and_reaches_no_handler(
    secured_bot: BotUnderTest, authorization: str | None
) -> None:
    activity = teams.message(
        "help", service_url=secured_bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    headers = {"Authorization": authorization} if authorization is not None else None
    reply = await secured_bot.post(activity, headers=headers)
    assert reply.status == 401
    assert reply.calls == []
    assert await stored_channels(secured_bot) == 0


@pytest.mark.parametrize(
    "forgery",
    [
        {"key": rsa.generate_private_key(public_exponent=65537, key_size=2048)},  # unknown signer
        {
            "key": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "kid": "no-such-key",
        },
        {"audience": "some-other-bot"},
        {"expires_in": -3600},
    ],
    ids=["wrong-key", "unknown-key-id", "other-audience", "expired"],
)
async def test_forged_or_stale_tokens_are_401(
    secured_bot: BotUnderTest, identity: BotFrameworkIdentity, forgery: dict[str, Any]
) -> None:
    activity = teams.message(
        "help", service_url=secured_bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    reply = await secured_bot.post(activity, headers=signed(secured_bot, identity, **forgery))
    assert reply.status == 401
    assert reply.calls == []
    assert await stored_channels(secured_bot) == 0


async def test_a_token_for_another_service_url_is_401(
    secured_bot: BotUnderTest, identity: BotFrameworkIdentity
) -> None:
    activity = teams.message(
        "help", service_url=secured_bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    token = identity.token("https://elsewhere.example/")
    reply = await secured_bot.post(activity, headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 401


async def test_a_deeply_nested_body_is_a_400_before_authentication(
    secured_bot: BotUnderTest,
) -> None:
    activity = teams.message(
        "help", service_url=secured_bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    response = await secured_bot.client.post(
        "/api/messages",
        data=nested_body(activity, 100_000),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 400
    assert secured_bot.connector.calls == []
    assert await stored_channels(secured_bot) == 0


async def test_healthz_says_authentication_is_on(secured_bot: BotUnderTest) -> None:
    response = await secured_bot.client.get("/healthz")
    assert (await response.json())["authentication"] == "on"
