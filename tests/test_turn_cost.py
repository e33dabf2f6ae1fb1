"""The SDK seam and coalesced card updates: clients reused, tokens carried, Teams' per-
conversation budget kept, and a card that fell behind always catches up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event

from app import create_app
from bot.sdk.adapter import authentication
from bot.sdk.web import ADAPTER
from config import Settings
from tests.harness import teams
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text
from tests.harness.connector import FakeConnector
from tests.harness.identity import (
    APP_ID,
    APP_PASSWORD,
    OUTBOUND_TOKEN,
    BotFrameworkIdentity,
    KnownTokenCredentialsFactory,
)
from tests.harness.polls import ONE_LINER, create, settle, tally_in, vote


def most_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if start <= t < start + 1.0) for start in times), default=0)


async def test_connector_clients_are_built_once_per_service_url(bot: BotUnderTest) -> None:
    auth = authentication(bot.app[ADAPTER])
    for conversation in (teams.AARHUS_GENERAL, teams.GREEN_TAG, teams.personal(teams.BOB)):
        for _ in range(3):
            reply = await bot.say("help", conversation=conversation)
            assert reply.cards
    assert auth.clients.created == 1
    assert auth.user_token_clients_created == 1


async def test_with_credentials_every_outbound_call_carries_the_token(
    aiohttp_client: Any,
    settings: Settings,
    connector: FakeConnector,
    identity: BotFrameworkIdentity,
) -> None:
    factory = KnownTokenCredentialsFactory()
    secured = settings.with_overrides(
        app_id=APP_ID,
        app_password=APP_PASSWORD,
        openid_metadata_url=identity.metadata_url,
        # The fake connector listens on loopback, which authentication on does not allow unlisted.
        service_url_hosts=("127.0.0.1",),
    )
    bot = BotUnderTest(
        await aiohttp_client(create_app(secured, credentials_factory=factory)), connector
    )
    headers = {"Authorization": f"Bearer {identity.token(connector.url)}"}
    create_activity = teams.message(
        f"poll {ONE_LINER}", service_url=connector.url, conversation=teams.AARHUS_GENERAL
    )
    reply = await bot.post(create_activity, headers=headers)
    assert reply.status in (200, 201)
    poll_id = int(card_text(reply.cards[0]).split("Poll #", 1)[1].split(" ", 1)[0])
    vote_activity = teams.execute(
        "poll.vote",
        {"poll_id": poll_id, "choice": "0"},
        service_url=connector.url,
        conversation=teams.AARHUS_GENERAL,
    )
    reply = await bot.post(vote_activity, headers=headers)
    assert reply.status == 200
    await settle(bot)
    assert connector.updates(), "the card was not updated"
    for call in connector.calls:
        assert call.headers.get("Authorization") == f"Bearer {OUTBOUND_TOKEN}", call.kind
    # One credentials object for the Bot Connector's audience, shared by the turn replies and
    # the card updates; the user-token client (built once) holds the only other one.
    assert authentication(bot.app[ADAPTER]).credentials.count == 1
    assert len(factory.created) == 2


async def test_a_burst_of_votes_stays_inside_the_per_conversation_budget(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot)
    bot.connector.clear()
    voters = [teams.user(f"Burst voter {n}") for n in range(40)]
    await asyncio.gather(*(vote(bot, poll_id, str(n % 3), who=v) for n, v in enumerate(voters)))
    await settle(bot)
    updates = bot.connector.updates()
    assert 1 <= len(updates) < 40
    assert most_in_any_second([u.at for u in bot.connector.calls]) <= 7
    assert tally_in(updates[-1].card) == ["14 · 35%", "13 · 32%", "13 · 32%"]
    assert "40 voters" in card_text(updates[-1].card)


async def test_a_throttled_card_update_is_retried_after_retry_after(bot: BotUnderTest) -> None:
    poll_id, _ = await create(bot)
    bot.connector.fail(429, retry_after=0.3, method="PUT")
    await vote(bot, poll_id, "2")
    await settle(bot)
    puts = [call for call in bot.connector.calls if call.method == "PUT"]
    assert [call.status for call in puts] == [429, 200]
    assert puts[1].at - puts[0].at >= 0.29
    assert tally_in(puts[1].card) == ["0 · 0%", "0 · 0%", "1 · 100%"]


@pytest.mark.parametrize("status", [500, 502, 503, 504, 412])
async def test_transient_failures_of_a_card_update_are_retried(
    bot: BotUnderTest, status: int
) -> None:
    poll_id, _ = await create(bot)
    bot.connector.fail(status, times=2, retry_after=0.05, method="PUT")
    await vote(bot, poll_id, "1")
    await settle(bot)
    puts = [call for call in bot.connector.calls if call.method == "PUT"]
    assert [call.status for call in puts] == [status, status, 200]


async def test_a_card_left_behind_by_a_crash_catches_up_at_start(
    aiohttp_client: Any, settings: Settings, connector: FakeConnector
) -> None:
    first = BotUnderTest(await aiohttp_client(create_app(settings)), connector)
    poll_id, activity_id = await create(first)
    connector.hang(60, method="PUT")  # the update never completes before the process dies
    for n, who in enumerate((teams.ALICE, teams.BOB, teams.MARTA)):
        reply = await vote(first, poll_id, str(n), who=who)
        assert reply.status == 200  # every vote was acknowledged
    await connector.wait_for(lambda c: not c.faults)  # the hanging update has begun
    await first.client.close()  # "killed" with the card behind the votes
    connector.faults.clear()
    connector.clear()

    second = BotUnderTest(await aiohttp_client(create_app(settings)), connector)
    # Under load the first app's hanging update is the drain loop's, and its close waits for it
    # up to the connector timeout + 5 s before releasing the row: the update comes after that
    # (two CI runs on PostgreSQL missed a 10 s wait; see the closing note of issue 17).
    await connector.wait_for(
        lambda c: any(u.activity_id == activity_id for u in c.updates()), within=60
    )
    await settle(second)
    final = connector.updates()[-1]
    assert final.activity_id == activity_id
    assert tally_in(final.card) == ["1 · 33%", "1 · 33%", "1 · 33%"]
    assert "3 voters" in card_text(final.card)


class Transactions:
    """The statements of each committed transaction on an engine, in order."""

    def __init__(self, engine: Any) -> None:
        self.committed: list[list[str]] = []
        self._engine = engine.sync_engine
        self._listeners: list[tuple[str, Callable[..., Any]]] = [
            ("begin", self._begin),
            ("before_cursor_execute", self._statement),
            ("commit", self._commit),
        ]
        for name, listener in self._listeners:
            event.listen(self._engine, name, listener)

    def close(self) -> None:
        for name, listener in self._listeners:
            event.remove(self._engine, name, listener)

    def _begin(self, connection: Any) -> None:
        connection.info["statements"] = []

    def _statement(self, connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        connection.info.setdefault("statements", []).append(" ".join(statement.split()))

    def _commit(self, connection: Any) -> None:
        self.committed.append(connection.info.pop("statements", []))

    def writing(self, table: str) -> list[list[str]]:
        return [t for t in self.committed if any(f"INSERT INTO {table}" in s for s in t)]


@pytest.mark.parametrize("options", [3, 10])
async def test_a_vote_is_one_transaction_of_a_fixed_few_statements(
    bot: BotUnderTest, options: int
) -> None:
    names = " | ".join(f"Option {n}" for n in range(options))
    poll_id, _ = await create(bot, f"Which one? | {names}")
    for n in range(20):  # ballots already there: the vote's work must not grow with them
        await vote(bot, poll_id, str(n % options), who=teams.user(f"Earlier voter {n}"))
    await settle(bot)
    transactions = Transactions(bot.services.database.engine)
    try:
        await vote(bot, poll_id, "1", who=teams.BOB)
        await vote(bot, poll_id, "2", who=teams.BOB)  # a changed vote replaces the ballot
        await settle(bot)
    finally:
        transactions.close()
    votes = transactions.writing("poll_ballots")
    assert len(votes) == 2, transactions.committed
    postgres = bot.services.database.dialect == "postgresql"
    for statements in votes:
        # the poll row (locked on PostgreSQL), the ballot with its activity claim and the
        # voter's previous choices (one statement on PostgreSQL, three on SQLite), the tally
        assert len(statements) == (3 if postgres else 5), statements
        assert statements[0].startswith("SELECT")
        assert "FROM polls" in statements[0]
        assert ("FOR UPDATE" in statements[0]) == postgres
        assert statements[-1].startswith("UPDATE polls SET")
        assert "counts=" in statements[-1]
    earlier = [sum(1 for n in range(20) if n % options == i) for i in range(options)]
    tally = tally_in(bot.connector.updates()[-1].card)
    assert tally[1].startswith(f"{earlier[1]} ·")  # Bob's first choice was replaced
    assert tally[2].startswith(f"{earlier[2] + 1} ·")
