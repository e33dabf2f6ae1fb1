"""The sender's pacing, on a clock the test moves: Teams' per-conversation windows and the
per-tenant budget, kept apart per tenant, and nothing remembered for conversations gone idle."""

from __future__ import annotations

import asyncio
import heapq
import time
from collections import Counter
from collections.abc import Awaitable
from typing import TypeVar

import aiohttp

from bot.outbound import Outbound, Target
from domain.ratelimit import PER_CONVERSATION, SlidingWindows
from tests.harness.bot import BotUnderTest
from tests.harness.connector import FakeConnector
from tests.harness.polls import create, settle, vote
from tests.harness.teams import TENANT

START = 1000.0
T = TypeVar("T")


class FakeTime:
    """A monotonic clock that moves only when every sender is asleep, to the earliest wake-up.

    `run(work)` drives it: whenever the loop has had a moment with nothing to do but wait for
    the clock, the earliest sleepers wake, with the clock at their hour.
    """

    def __init__(self) -> None:
        self.now = START
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, id(future), future))
        await future

    async def run(self, work: Awaitable[T]) -> T:
        task = asyncio.ensure_future(work)
        while not task.done():
            await asyncio.sleep(0.002)  # let whatever is not sleeping on this clock go on
            if self._sleepers:
                wake_at = self._sleepers[0][0]
                self.now = max(self.now, wake_at)
                while self._sleepers and self._sleepers[0][0] <= wake_at:
                    heapq.heappop(self._sleepers)[2].set_result(None)
        return task.result()


def most_in_any(times: list[float], window: float) -> int:
    ordered = sorted(times)
    return max(
        sum(1 for other in ordered[i:] if other < moment + window - 1e-9)
        for i, moment in enumerate(ordered)
    )


async def send_all(outbound: Outbound, targets: list[Target], fake: FakeTime) -> list[float]:
    """Send to every target at once; the moments at which the pacing let each one leave."""
    moments: list[float] = []

    async def leaving() -> bool:
        moments.append(fake.now)
        return True

    await asyncio.gather(
        *(outbound.send(t, {"type": "message", "text": "hi"}, reserve=leaving) for t in targets)
    )
    return moments


async def test_one_conversation_gets_at_most_7_per_second_and_8_per_2_seconds(
    connector: FakeConnector,
) -> None:
    fake = FakeTime()
    async with aiohttp.ClientSession() as http:
        outbound = Outbound(http, clock=fake.clock, sleep=fake.sleep)
        target = Target(connector.url, "19:chat@thread.v2", TENANT)
        moments = await fake.run(send_all(outbound, [target] * 20, fake))
        assert len(connector.sent()) == 20
        assert most_in_any(moments, 1.0) == 7
        assert most_in_any(moments, 2.0) == 8
        assert outbound.pacing_state() == (0, 1)  # no lock left behind


async def test_each_tenant_has_its_own_50_per_second(connector: FakeConnector) -> None:
    fake = FakeTime()
    async with aiohttp.ClientSession() as http:
        outbound = Outbound(http, clock=fake.clock, sleep=fake.sleep)
        moments: dict[str, list[float]] = {}

        async def tenant_sends(tenant: str) -> None:
            targets = [Target(connector.url, f"a:{tenant}-{n}", tenant) for n in range(120)]
            moments[tenant] = await send_all(outbound, targets, fake)

        await fake.run(asyncio.gather(tenant_sends("tenant-a"), tenant_sends("tenant-b")))
        assert len(connector.sent()) == 240
        for times in moments.values():
            assert most_in_any(times, 1.0) == 50
        # One tenant waiting for its budget does not hold up the other's first second.
        first_second = Counter(
            tenant for tenant, times in moments.items() for t in times if t < START + 1.0
        )
        assert first_second == {"tenant-a": 50, "tenant-b": 50}
        assert outbound.pacing_state() == (0, 240)


async def test_a_reply_counts_against_the_tenant_of_its_turn(bot: BotUnderTest) -> None:
    outbound = bot.services.require_outbound()
    await bot.say("help")
    assert bot.connector.sent()
    assert outbound.tenants.count_within(TENANT, time.monotonic(), 60.0) == len(
        bot.connector.sent()
    )
    assert outbound.tenants.count_within("-", time.monotonic(), 60.0) == 0


def test_conversations_idle_for_an_hour_are_forgotten_without_being_asked_about() -> None:
    windows = SlidingWindows(PER_CONVERSATION)
    for n in range(1000):
        windows.record(f"chat-{n}", float(n))
    assert len(windows) == 1000
    windows.record("still-talking", 1000.0 + 3600.0)
    assert len(windows) == 1  # everyone else's sends have left the hour-long window


async def test_a_card_update_counts_against_the_tenant_of_its_conversation(
    bot: BotUnderTest,
) -> None:
    outbound = bot.services.require_outbound()
    poll_id, _ = await create(bot)
    await vote(bot, poll_id, "0")
    await settle(bot)
    assert bot.connector.updates()
    assert outbound.tenants.count_within(TENANT, time.monotonic(), 60.0) == len(
        bot.connector.ok_calls
    )
    assert outbound.tenants.count_within("-", time.monotonic(), 60.0) == 0
