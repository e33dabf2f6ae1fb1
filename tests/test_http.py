"""The HTTP edge: malformed requests get 4xx, never 5xx, and the process keeps serving."""

from __future__ import annotations

import io
import json

from storage.db import Database
from tests.harness import teams
from tests.harness.bot import BotUnderTest
from tests.harness.hostile import nested_body


async def assert_still_serving(bot: BotUnderTest) -> None:
    reply = await bot.say("help")
    assert reply.status in (200, 201)
    assert reply.cards


async def test_body_that_is_not_json_is_a_400(bot: BotUnderTest) -> None:
    response = await bot.client.post(
        "/api/messages", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    await assert_still_serving(bot)


async def test_wrong_content_type_is_a_415(bot: BotUnderTest) -> None:
    response = await bot.client.post(
        "/api/messages", data=b"hello", headers={"Content-Type": "text/plain"}
    )
    assert response.status == 415
    await assert_still_serving(bot)


async def test_body_over_the_limit_is_a_413(bot: BotUnderTest) -> None:
    activity = teams.message(
        "help", service_url=bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    activity["text"] = "x" * (2 * 1024 * 1024)
    response = await bot.client.post(
        "/api/messages",
        data=io.BytesIO(json.dumps(activity).encode()),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 413
    assert bot.connector.calls == []
    await assert_still_serving(bot)


async def test_activity_without_conversation_is_a_400(bot: BotUnderTest) -> None:
    activity = teams.message(
        "help", service_url=bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    del activity["conversation"]
    reply = await bot.post(activity)
    assert reply.status == 400
    assert "conversation" in reply.body["error"]
    assert reply.calls == []
    await assert_still_serving(bot)


async def test_activity_without_type_or_service_url_is_a_400(bot: BotUnderTest) -> None:
    for field in ("type", "serviceUrl", "recipient"):
        activity = teams.message(
            "help", service_url=bot.connector.url, conversation=teams.AARHUS_GENERAL
        )
        del activity[field]
        reply = await bot.post(activity)
        assert reply.status == 400, field
    await assert_still_serving(bot)


async def test_a_json_array_or_scalar_is_a_400(bot: BotUnderTest) -> None:
    for body in ("[]", "42", '"text"', "null"):
        response = await bot.client.post(
            "/api/messages", data=body, headers={"Content-Type": "application/json"}
        )
        assert response.status == 400, body
    await assert_still_serving(bot)


async def test_wrongly_typed_fields_are_a_4xx_not_a_crash(bot: BotUnderTest) -> None:
    activity = teams.message(
        "help", service_url=bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    activity["conversation"] = "not an object"
    reply = await bot.post(activity)
    assert 400 <= reply.status < 500
    activity = teams.message(
        "help", service_url=bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    activity["entities"] = "nope"
    reply = await bot.post(activity)
    assert reply.status < 500
    await assert_still_serving(bot)


async def test_a_body_nested_a_hundred_thousand_deep_is_a_400_not_a_500(bot: BotUnderTest) -> None:
    activity = teams.message(
        "help", service_url=bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    response = await bot.client.post(
        "/api/messages",
        data=nested_body(activity, 100_000),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 400
    assert "deeper than 64" in (await response.json())["error"]
    assert bot.connector.calls == []
    await assert_still_serving(bot)


async def test_nesting_past_64_levels_is_a_400_and_up_to_it_is_served(bot: BotUnderTest) -> None:
    activity = teams.message(
        "help", service_url=bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    headers = {"Content-Type": "application/json"}
    # The activity object is level 1, its `value` level 2: 63 arrays reach level 64.
    served = await bot.client.post("/api/messages", data=nested_body(activity, 63), headers=headers)
    assert served.status in (200, 201)
    refused = await bot.client.post(
        "/api/messages", data=nested_body(activity, 64), headers=headers
    )
    assert refused.status == 400


async def test_get_on_the_messages_endpoint_is_a_405(bot: BotUnderTest) -> None:
    response = await bot.client.get("/api/messages")
    assert response.status == 405


async def test_healthz_reports_the_database(bot: BotUnderTest) -> None:
    response = await bot.client.get("/healthz")
    assert response.status == 200
    body = await response.json()
    assert body["database"] == "ok"
    assert body["authentication"] == "off"


async def test_healthz_is_503_when_the_database_is_unreachable(bot: BotUnderTest) -> None:
    healthy = bot.services.database
    unreachable = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    bot.services.database = unreachable
    try:
        response = await bot.client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["database"] == "unreachable"
    finally:
        bot.services.database = healthy
        await unreachable.dispose()
