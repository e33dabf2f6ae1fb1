"""The outbox's rules, one at a time, on SQLite and PostgreSQL (the drills run the real process):
two senders share one queue, a dead sender's claim, expiry, the latest card state, one probe
while Teams is down, capped backoff."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.outbound import Target
from bot.outbox import Backoff, Message, Outbox, Outcome
from storage.models import OutboxMessage
from tests.harness.bot import BotUnderTest
from tests.harness.database import POSTGRES_URL
from tests.harness.teams import TENANT


def target(bot: BotUnderTest, n: int = 0) -> Target:
    return Target(bot.connector.url, f"19:outbox-{n}@thread.tacv2", TENANT)


def text(n: int) -> dict[str, Any]:
    return {"type": "message", "text": f"message {n}"}


async def queue(bot: BotUnderTest, messages: list[Message]) -> None:
    """Rows as a turn writes them, but left to the drain loop (not sent in line)."""
    outbox = bot.services.require_outbox()
    async with bot.services.database.unit_of_work() as session:
        for message in messages:
            outbox.stage(session, message, claim=False)


async def depth(bot: BotUnderTest) -> int:
    async with bot.services.database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def second_sender(bot: BotUnderTest) -> Outbox:
    services = bot.services
    return Outbox(services.database, services.require_outbound(), services.clock)


# Replicas share a queue on PostgreSQL only: SQLite is one process's database (its sender
# takes any other owner's claim for a dead process's).
@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param(
            "postgres",
            marks=pytest.mark.skipif(
                not POSTGRES_URL, reason="TEST_DATABASE_URL is not set (replicas need PostgreSQL)"
            ),
        )
    ],
    indirect=True,
)
async def test_two_senders_on_one_queue_deliver_each_message_once(bot: BotUnderTest) -> None:
    other = second_sender(bot)
    await other.start()
    try:
        await queue(bot, [Message("send", target(bot, n % 40), text(n)) for n in range(200)])
        bot.services.require_outbox().wake()
        other.wake()
        await bot.connector.wait_for(lambda c: len(c.sent()) >= 200, within=30)
        await bot.services.require_outbox().wait_empty()
        await other.wait_empty()
    finally:
        await other.close()
    sent = [call.text for call in bot.connector.sent()]
    assert sorted(sent) == sorted(f"message {n}" for n in range(200))  # each once
    # Each conversation's messages left in the order they were queued.
    for n in range(40):
        mine = [
            c.text
            for c in bot.connector.sent()
            if c.conversation_id == f"19:outbox-{n}@thread.tacv2"
        ]
        assert mine == [f"message {i}" for i in range(n, 200, 40)]
    assert other.stats.delivered > 0  # both took part
    assert bot.services.require_outbox().stats.delivered > 0


async def claim_as_dead_sender(bot: BotUnderTest, kind: str) -> None:
    now = bot.services.clock()
    async with bot.services.database.unit_of_work() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == kind)
            .values(claimed_by="a-sender-that-died", claimed_until=now - timedelta(seconds=1))
        )


async def test_a_message_a_dead_sender_had_under_way_is_recorded_uncertain_not_resent(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    told: list[tuple[str, Outcome]] = []

    async def handler(_session: Any, argument: str, outcome: Outcome) -> None:
        told.append((argument, outcome))

    outbox = bot.services.require_outbox()
    outbox.on("test", handler)
    bot.connector.down = True  # nothing gets through while the rows are set up
    await queue(bot, [Message("send", target(bot), text(1), on_sent="test:1")])
    await claim_as_dead_sender(bot, "send")
    bot.connector.down = False
    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        outbox.wake()
        await outbox.wait_empty()
    assert bot.connector.sent() == []  # it may have reached Teams: never sent twice
    assert [(argument, outcome.status) for argument, outcome in told] == [("1", "uncertain")]
    assert "uncertain" in caplog.text


async def test_a_card_update_a_dead_sender_had_under_way_is_sent_again(bot: BotUnderTest) -> None:
    bot.connector.down = True
    outbox = bot.services.require_outbox()
    async with bot.services.database.unit_of_work() as session:
        await outbox.stage_card(
            session,
            Message("update", target(bot), text(7), activity_id="act-1", card_key="test:1"),
        )
    await claim_as_dead_sender(bot, "update")
    bot.connector.down = False
    outbox.wake()
    await bot.connector.wait_for(lambda c: c.updates(), within=20)
    await outbox.wait_empty()
    assert [call.text for call in bot.connector.updates()] == ["message 7"]


async def test_a_reply_too_old_to_matter_is_given_up_with_a_log_line_saying_why(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    past = bot.services.clock() - timedelta(seconds=1)
    with caplog.at_level(logging.WARNING, logger="bot.outbox"):
        await queue(bot, [Message("send", target(bot), text(1), expires_at=past)])
        bot.services.require_outbox().wake()
        await bot.services.require_outbox().wait_empty()
    assert bot.connector.sent() == []
    assert "given up" in caplog.text
    assert "too old to matter" in caplog.text


async def test_a_queued_card_update_is_replaced_by_the_newer_state(bot: BotUnderTest) -> None:
    outbox = bot.services.require_outbox()
    bot.connector.down = True
    for n in range(5):
        async with bot.services.database.unit_of_work() as session:
            ticket = await outbox.stage_card(
                session,
                Message("update", target(bot), text(n), activity_id="act-1", card_key="test:1"),
            )
        assert await outbox.try_now(ticket) is None  # refused: stays queued
    assert await depth(bot) == 1  # one row per card
    bot.connector.down = False
    outbox.wake()
    await bot.connector.wait_for(lambda c: c.updates(), within=40)
    await outbox.wait_empty()
    assert [call.text for call in bot.connector.updates()] == ["message 4"]


async def test_while_teams_is_down_one_request_probes_it_then_everything_goes(
    bot: BotUnderTest,
) -> None:
    outbox = bot.services.require_outbox()
    bot.connector.down = True
    await queue(bot, [Message("send", target(bot, n), text(n)) for n in range(100)])
    outbox.wake()
    await asyncio.sleep(4.0)
    refused = len(bot.connector.calls)
    # 100 queued messages, 4 s down: the first wave (at most the 32 requests under way at once,
    # before any answer came back), then a probe per backoff step (1 s, 2 s…) — not a request
    # per message and per retry.
    assert 1 <= refused <= 32 + 3, refused
    bot.connector.down = False
    await bot.connector.wait_for(lambda c: len(c.sent()) == 100, within=30)
    await outbox.wait_empty()
    assert sorted(c.text for c in bot.connector.sent()) == sorted(
        f"message {n}" for n in range(100)
    )


def test_backoff_grows_exponentially_up_to_its_cap() -> None:
    backoff = Backoff(base=1.0, cap=30.0)
    for attempts, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (20, 30.0)]:
        delays = [backoff.delay(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempts, delays)


async def test_healthz_reports_the_queue_and_its_oldest_message(bot: BotUnderTest) -> None:
    bot.connector.down = True
    await queue(bot, [Message("send", target(bot, n), text(n)) for n in range(3)])
    await asyncio.sleep(1.1)
    response = await bot.client.get("/healthz")
    body = await response.json()
    assert response.status == 200
    assert body["outbox"]["queued"] == 3
    assert body["outbox"]["oldest_queued_seconds"] >= 1.0
    assert "503" in body["outbox"]["last_error"]  # what Teams answered the probe
    bot.connector.down = False
    await bot.connector.wait_for(lambda c: len(c.sent()) == 3, within=20)
    await bot.services.require_outbox().wait_empty()
    body = await (await bot.client.get("/healthz")).json()
    assert body["outbox"]["queued"] == 0
    assert body["outbox"]["oldest_queued_seconds"] is None
    assert body["outbox"]["delivered"] == 3


def card_row(bot: BotUnderTest, body: dict[str, Any]) -> OutboxMessage:
    now = bot.services.clock()
    return OutboxMessage(
        kind="update", service_url=bot.connector.url, conversation_id="19:outbox-0@thread.tacv2",
        activity_id="act-1", body=body, card_key="test:1", revision=0, attempts=0,
        next_attempt_at=now, claimed_until=now + timedelta(seconds=60), created_at=now,
    )  # fmt: skip


async def test_a_card_row_the_drain_loop_is_about_to_send_is_not_taken_in_line(
    bot: BotUnderTest,
) -> None:
    """The drain loop marks a row under way before it claims it; a newer card state arriving
    then must leave the row to it (taking it left it claimed and sent by nobody for a lease)."""
    from storage import outbox as store

    async with bot.services.database.unit_of_work() as session:
        staged, taken = await store.put_card(
            session, card_row(bot, text(1)), claimed_by="me", under_way=set(), take=False
        )
    assert not taken
    async with bot.services.database.unit_of_work() as session:
        again, taken = await store.put_card(
            session, card_row(bot, text(2)), claimed_by="me", under_way={staged.id}
        )
    assert again.id == staged.id
    assert again.revision == 1
    assert not taken
    async with bot.services.database.unit_of_work() as session:
        row = await session.get(OutboxMessage, staged.id)
        assert row is not None
        assert row.claimed_by is None  # still the drain loop's to claim
        assert row.body == text(2)


async def test_a_handler_that_fails_costs_its_own_record_not_the_queue(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_session: Any, _argument: str, _outcome: Outcome) -> None:
        raise ValueError("a feature's bug")

    outbox = bot.services.require_outbox()
    outbox.on("broken", broken)
    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        await queue(
            bot,
            [
                Message("send", target(bot), text(1), on_sent="broken:1"),
                Message("send", target(bot), text(2)),
                Message("send", target(bot, 1), text(3), on_sent="broken:3"),
            ],
        )
        outbox.wake()
        await bot.connector.wait_for(lambda c: len(c.sent()) == 3, within=20)
        await outbox.wait_empty()
    assert [
        c.text for c in bot.connector.sent() if c.conversation_id == target(bot).conversation_id
    ] == [
        "message 1",
        "message 2",
    ]
    assert await depth(bot) == 0
    assert "a feature's bug" in caplog.text
