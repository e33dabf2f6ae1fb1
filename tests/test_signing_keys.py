"""The keys that sign Teams' tokens come from Microsoft's key endpoint; when it is slow, down or
rotating keys, the bot goes on answering: a token it cannot check yet gets 503 with
Retry-After (Teams re-sends), a bad one 401, and the endpoint is asked once, not per request.

Every request goes through /api/messages as Teams sends it; the key endpoint is the local
token service of tests/harness/identity.py, on the same event loop as the bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from bot.sdk.adapter import authentication
from bot.sdk.web import ADAPTER
from bot.signing_keys import KeyTimes, SigningKeySets
from tests.harness import teams
from tests.harness.bot import BotUnderTest, Reply
from tests.harness.connector import FakeConnector
from tests.harness.identity import (
    APP_ID,
    APP_PASSWORD,
    BotFrameworkIdentity,
    KnownTokenCredentialsFactory,
    new_key,
)
from tests.harness.settings import settings_for

FETCH_TIMEOUT = 1.0
TIMES = KeyTimes(
    timeout=FETCH_TIMEOUT,
    refresh_after=600.0,
    max_age=1200.0,
    retry_after_failure=30.0,
    unknown_kid_interval=300.0,
)


class Clock:
    """Monotonic seconds that move only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def secured_bot(
    aiohttp_client: Any,
    tmp_path: Path,
    connector: FakeConnector,
    identity: BotFrameworkIdentity,
    clock: Clock,
) -> BotUnderTest:
    # The database plays no part here: SQLite only.
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}").with_overrides(
        app_id=APP_ID,
        app_password=APP_PASSWORD,
        openid_metadata_url=identity.metadata_url,
        service_url_hosts=("127.0.0.1",),
    )
    app = create_app(settings, credentials_factory=KnownTokenCredentialsFactory())
    keys = signing_keys(app)
    keys.times = TIMES
    keys.clock = clock
    return BotUnderTest(await aiohttp_client(app), connector)


def signing_keys(app: Any) -> SigningKeySets:
    return authentication(app[ADAPTER]).signing_keys


async def post_signed(
    bot: BotUnderTest, identity: BotFrameworkIdentity, **token_args: Any
) -> Reply:
    activity = teams.message(
        "help", service_url=bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    token = identity.token(bot.connector.url, **token_args)
    return await bot.post(activity, headers={"Authorization": f"Bearer {token}"})


async def eventually(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within the time")


async def timed_post(bot: BotUnderTest, identity: BotFrameworkIdentity) -> tuple[int, str, float]:
    """Status, Retry-After and seconds taken, of one request with a self-made token."""
    activity = teams.message(
        "help", service_url=bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    headers = {"Authorization": f"Bearer {identity.token(bot.connector.url)}"}
    started = time.perf_counter()
    response = await bot.client.post("/api/messages", json=activity, headers=headers)
    await response.read()
    return response.status, response.headers.get("Retry-After", ""), time.perf_counter() - started


async def test_fifty_requests_while_the_key_endpoint_hangs_leave_healthz_responsive(
    secured_bot: BotUnderTest, identity: BotFrameworkIdentity
) -> None:
    identity.answer = "hang"
    requests = asyncio.gather(*(timed_post(secured_bot, identity) for _ in range(50)))
    healthz: list[float] = []
    while not requests.done():
        started = time.perf_counter()
        response = await secured_bot.client.get("/healthz")
        assert response.status == 200
        healthz.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)
    answers = await requests
    assert len(healthz) >= 10, "the requests ended before /healthz could be measured"
    assert max(healthz) < 1.0, f"slowest /healthz {max(healthz):.3f} s"
    assert {status for status, _, _ in answers} == {503}
    assert all(int(retry_after) >= 1 for _, retry_after, _ in answers)
    # Nobody waits longer than the one fetch they all share.
    assert max(seconds for _, _, seconds in answers) < FETCH_TIMEOUT + 1.0
    assert identity.fetches == 1
    assert secured_bot.connector.calls == []


async def test_keys_are_fetched_once_and_serve_many_requests(
    secured_bot: BotUnderTest, identity: BotFrameworkIdentity
) -> None:
    replies = await asyncio.gather(*(post_signed(secured_bot, identity) for _ in range(10)))
    replies += [await post_signed(secured_bot, identity) for _ in range(10)]
    assert all(reply.status in (200, 201) for reply in replies)
    assert identity.hits == {"/v1/.well-known/openidconfiguration": 1, "/v1/.well-known/keys": 1}


async def test_a_failing_key_endpoint_is_asked_again_only_after_a_pause_then_recovers(
    secured_bot: BotUnderTest, identity: BotFrameworkIdentity, clock: Clock
) -> None:
    identity.answer = "fail"
    for _ in range(5):
        reply = await post_signed(secured_bot, identity)
        assert reply.status == 503
    clock.advance(TIMES.retry_after_failure - 1)
    response = await secured_bot.client.post(
        "/api/messages",
        json=teams.message(
            "help", service_url=secured_bot.connector.url, conversation=teams.AARHUS_GENERAL
        ),
        headers={"Authorization": f"Bearer {identity.token(secured_bot.connector.url)}"},
    )
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    assert identity.fetches == 1

    identity.answer = "ok"
    assert (await post_signed(secured_bot, identity)).status == 503  # still paused
    clock.advance(1)
    assert (await post_signed(secured_bot, identity)).status in (200, 201)
    assert (await post_signed(secured_bot, identity)).status in (200, 201)
    assert identity.fetches == 2


async def test_an_unknown_key_id_refreshes_the_keys_once_then_is_401(
    secured_bot: BotUnderTest, identity: BotFrameworkIdentity, clock: Clock
) -> None:
    assert (await post_signed(secured_bot, identity)).status in (200, 201)
    secured_bot.connector.clear()
    stranger = new_key()
    # Just after a fetch, the keys are known to be current: no refresh.
    reply = await post_signed(secured_bot, identity, key=stranger, kid="stranger")
    assert reply.status == 401
    assert identity.fetches == 1

    clock.advance(TIMES.unknown_kid_interval)
    replies = await asyncio.gather(
        *(post_signed(secured_bot, identity, key=stranger, kid=f"stranger-{n}") for n in range(20))
    )
    assert {reply.status for reply in replies} == {401}
    assert identity.fetches == 2
    replies = [await post_signed(secured_bot, identity, key=stranger, kid="x") for _ in range(5)]
    assert {reply.status for reply in replies} == {401}
    assert identity.fetches == 2
    assert secured_bot.connector.calls == []


async def test_a_key_published_later_is_found_by_one_refresh(
    secured_bot: BotUnderTest, identity: BotFrameworkIdentity, clock: Clock
) -> None:
    assert (await post_signed(secured_bot, identity)).status in (200, 201)
    rotated = new_key()
    identity.more_keys["rotated-in"] = rotated
    clock.advance(TIMES.unknown_kid_interval)
    reply = await post_signed(secured_bot, identity, key=rotated, kid="rotated-in")
    assert reply.status in (200, 201)
    assert identity.fetches == 2
    # A forged token naming the new key id is still refused: the signature is checked.
    reply = await post_signed(secured_bot, identity, key=new_key(), kid="rotated-in")
    assert reply.status == 401


async def test_keys_are_refreshed_in_the_background_before_they_go_stale(
    secured_bot: BotUnderTest, identity: BotFrameworkIdentity, clock: Clock
) -> None:
    assert (await post_signed(secured_bot, identity)).status in (200, 201)
    clock.advance(TIMES.refresh_after)
    identity.answer = "hang"
    # The old keys serve while the refresh hangs.
    assert (await post_signed(secured_bot, identity)).status in (200, 201)
    assert (await post_signed(secured_bot, identity)).status in (200, 201)
    await eventually(lambda: identity.fetches == 2)
    identity.answer = "ok"
    identity.release()
    clock.advance(TIMES.max_age - TIMES.refresh_after)
    # The old keys are now past their age; the refreshed ones serve.
    assert (await post_signed(secured_bot, identity)).status in (200, 201)
    identity.answer = "fail"
    assert (await post_signed(secured_bot, identity)).status in (200, 201)
    assert identity.fetches == 2


async def test_keys_past_their_age_are_not_used_when_no_new_ones_come(
    secured_bot: BotUnderTest, identity: BotFrameworkIdentity, clock: Clock
) -> None:
    assert (await post_signed(secured_bot, identity)).status in (200, 201)
    identity.answer = "fail"
    clock.advance(TIMES.max_age)
    assert (await post_signed(secured_bot, identity)).status == 503


async def test_tokens_are_checked_as_before_with_the_keys_at_hand(
    secured_bot: BotUnderTest, identity: BotFrameworkIdentity
) -> None:
    assert (await post_signed(secured_bot, identity)).status in (200, 201)
    for forgery in (
        {"audience": "some-other-bot"},
        {"expires_in": -3600},
        {"key": new_key()},
    ):
        assert (await post_signed(secured_bot, identity, **forgery)).status == 401
    token = identity.token("https://elsewhere.example/")
    activity = teams.message(
        "help", service_url=secured_bot.connector.url, conversation=teams.AARHUS_GENERAL
    )
    reply = await secured_bot.post(activity, headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 401
    assert identity.fetches == 1
