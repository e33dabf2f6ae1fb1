"""Fault drills: the database goes away, the connector is slow, hostile and huge input."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from app import create_app
from bot.sdk.adapter import APOLOGY
from config import Settings
from storage.models import Poll, PollBallot
from tests.harness import teams
from tests.harness.bot import BotUnderTest
from tests.harness.cards import card_text
from tests.harness.connector import FakeConnector
from tests.harness.database import POSTGRES_URL, reset_postgres
from tests.harness.files import delivered
from tests.harness.minutes import run_minutes
from tests.harness.polls import ONE_LINER, create, settle
from tests.harness.settings import settings_for
from tests.harness.tcp_proxy import TcpProxy


@pytest.mark.skipif(
    not POSTGRES_URL, reason="TEST_DATABASE_URL is not set (the drill cuts a PostgreSQL connection)"
)
async def test_the_database_going_away_gives_503_then_the_bot_recovers_by_itself(
    aiohttp_client: Any, settings: Settings, connector: FakeConnector
) -> None:
    await reset_postgres(POSTGRES_URL)
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    url = POSTGRES_URL.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    bot = BotUnderTest(
        await aiohttp_client(create_app(settings.with_overrides(database_url=url))), connector
    )
    poll_id, _ = await create(bot)
    reply = await bot.execute("poll.vote", {"poll_id": poll_id, "choice": "1"})
    assert reply.status == 200

    await proxy.cut()
    for activity in (
        teams.message("help", service_url=connector.url, conversation=teams.AARHUS_GENERAL),
        teams.execute("poll.vote", {"poll_id": poll_id, "choice": "2"}, service_url=connector.url,
                      conversation=teams.AARHUS_GENERAL, who=teams.BOB),
        teams.message(f"poll {ONE_LINER}", service_url=connector.url, conversation=teams.AARHUS_GENERAL),
    ):  # fmt: skip
        outage = await bot.post(activity)
        assert outage.status == 503, outage.body  # Teams retries a 503; a 500 it would not
        assert outage.calls == []
    health = await bot.client.get("/healthz")
    assert health.status == 503

    await proxy.restore()
    for _ in range(50):  # the pool notices the dead connections and reconnects on its own
        reply = await bot.say("help")
        if reply.status in (200, 201):
            break
        await asyncio.sleep(0.2)
    assert reply.cards
    # Nothing half-written: the vote and the poll sent during the outage left no trace.
    async with bot.services.database.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(Poll)) == 1
        assert await session.scalar(select(func.count()).select_from(PollBallot)) == 1
        poll = await session.get(Poll, poll_id)
        assert poll is not None
        assert poll.counts == [0, 1, 0]
    # Teams re-sends the vote that got a 503: now it counts.
    reply = await bot.execute("poll.vote", {"poll_id": poll_id, "choice": "2"}, who=teams.BOB)
    assert reply.status == 200
    await proxy.cut()
    await bot.client.close()


async def post_until_accepted(bot: BotUnderTest, activity: dict[str, Any]) -> list[Any]:
    """Post an activity as Teams does: a 503 must say when to retry, and the same activity (same
    id) is sent again until it is accepted. Returns every answer's (status, body)."""
    answers: list[Any] = []
    while True:
        response = await bot.client.post("/api/messages", json=activity)
        body = await response.json() if response.content_type == "application/json" else None
        answers.append((response.status, body))
        if response.status != 503:
            return answers
        assert response.headers.get("Retry-After"), "a 503 without Retry-After"
        assert len(answers) < 200, f"{activity['id']} never accepted: {answers[-3:]}"
        # Teams waits Retry-After (5 s); the drill compresses it: a restart lasts 0.5 s.
        await asyncio.sleep(0.1)


@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="TEST_DATABASE_URL is not set (the drill restarts PostgreSQL behind a proxy)",
)
async def test_postgresql_restarted_ten_times_during_300_votes_keeps_the_tally_exact(
    aiohttp_client: Any, connector: FakeConnector
) -> None:
    await reset_postgres(POSTGRES_URL)
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    url = POSTGRES_URL.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    settings = settings_for(url)
    bot = BotUnderTest(await aiohttp_client(create_app(settings)), connector)
    poll_id, _ = await create(bot)
    voters = [teams.user(f"Voter {n}") for n in range(300)]
    votes = [
        teams.execute(
            "poll.vote",
            {"poll_id": poll_id, "choice": str(n % 3)},
            service_url=connector.url,
            conversation=teams.AARHUS_GENERAL,
            who=voter,
        )
        for n, voter in enumerate(voters)
    ]
    answers: list[Any] = []
    restarts = 0
    for batch, start in enumerate(range(0, 300, 10)):
        sending = [post_until_accepted(bot, vote) for vote in votes[start : start + 10]]
        restart = None
        if batch % 3 == 1:  # a restart while ten votes are in flight, ten times in all
            restarts += 1
            restart = asyncio.create_task(proxy.restart(0.5))
        for result in await asyncio.gather(*sending):
            answers.extend(result)
        if restart is not None:
            await restart
    assert restarts == 10
    await settle(bot)

    statuses = {status for status, _ in answers}
    assert statuses <= {200, 503}, statuses
    refused = sum(status == 503 for status, _ in answers)
    assert refused, "no vote met a restart: the drill did not drill"
    assert proxy.refused_while_starting, "no connection met a starting database"
    accepted = [body for status, body in answers if status == 200]
    assert len(accepted) == 300
    assert not any(APOLOGY in json.dumps(body) for body in accepted)
    assert not any(APOLOGY in call.text for call in connector.calls)
    async with bot.services.database.unit_of_work() as session:
        poll = await session.get(Poll, poll_id)
        assert poll is not None
        assert poll.counts == [100, 100, 100]
        ballots = (
            await session.scalars(select(PollBallot).where(PollBallot.poll_id == poll_id))
        ).all()
    assert sorted(ballot.voter_key for ballot in ballots) == sorted(v.id for v in voters)
    await proxy.cut()
    await bot.client.close()


@pytest.mark.skipif(
    not POSTGRES_URL, reason="TEST_DATABASE_URL is not set (the drill hangs a PostgreSQL proxy)"
)
async def test_healthz_answers_within_a_second_when_postgresql_stops_answering(
    aiohttp_client: Any, connector: FakeConnector
) -> None:
    await reset_postgres(POSTGRES_URL)
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    url = POSTGRES_URL.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    settings = settings_for(url)
    bot = BotUnderTest(await aiohttp_client(create_app(settings)), connector)
    assert (await bot.client.get("/healthz")).status == 200

    proxy.hang()
    loop = asyncio.get_running_loop()
    for _ in range(3):  # later checks wait for the same ping, they do not pile up connections
        started = loop.time()
        response = await bot.client.get("/healthz")
        assert loop.time() - started < 1.5
        assert response.status == 503
        assert (await response.json())["database"] == "unreachable"
    await bot.client.close()
    await proxy.cut()


@pytest.mark.slow
async def test_a_slow_connector_does_not_keep_teams_waiting(
    aiohttp_client: Any, settings: Settings, connector: FakeConnector
) -> None:
    """10 s per reply, two replies in one turn: answered at the 10 s deadline (Teams waits 15)."""
    bot = BotUnderTest(await aiohttp_client(create_app(settings)), connector)
    chat = teams.personal(teams.ALICE)
    await bot.say("poll", conversation=chat)
    await bot.say("Which day?", conversation=chat)
    await bot.say("Monday\nTuesday", conversation=chat)
    connector.hang(10.0, times=2, method="POST")
    loop = asyncio.get_running_loop()
    started = loop.time()
    reply = await bot.submit(
        {"verb": "dialog", "mode": "single", "anonymous": "false", "closes": "in 3 days"},
        conversation=chat,
    )
    answered = loop.time() - started
    assert reply.status in (201, 202)
    assert answered < 12.0, f"Teams waited {answered:.1f} s"
    # The turn finishes on its own: both replies are delivered afterwards.
    later = [call for call in connector.calls if call.at >= started]
    await connector.wait_for(
        lambda c: (
            len([call for call in c.calls if call.at >= started and call.method == "POST"]) >= 2
        ),
        within=25,
    )
    later = [call for call in connector.calls if call.at >= started and call.method == "POST"]
    assert later[0].cards  # the poll card
    assert "It closes" in later[1].text
    async with bot.services.database.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(Poll)) == 1


HOSTILE = [
    'quote " and \' and `backtick` {"json": "breakout"} }]}',
    "<at>ICC Bot</at> <at>Someone Else</at> <script>alert(1)</script>",
    "[click me](https://evil.example) ![img](https://evil.example/x.png) **bold** # heading",
    "{{DATE(2026-01-01T00:00:00Z, SHORT)}} ${expression}",
    "line one\r\nline two\u0000nul\u202eright-to-left",
]


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_hostile_text_stays_literal_in_cards_and_exports(
    rostered_bot: BotUnderTest, hostile: str
) -> None:
    bot = rostered_bot
    reply = await run_minutes(bot, agreements=f"Energy Agency: {hostile}")
    card = reply.cards[0]
    shown = card_text(card)
    assert "[click me](https" not in shown  # Markdown links are disarmed
    assert "**bold**" not in shown
    assert "<at>" not in shown or "\\<at\\>" in shown
    assert json.loads(json.dumps(card)) == card  # still one well-formed card
    reply = await bot.say("minutes export 1")
    markdown = (await delivered(bot, reply.calls)).text
    assert "[click me](https" not in markdown
    assert "<script>" not in markdown.replace("\\<script>", "")  # escaped where it stands


async def test_huge_input_is_bounded_and_long_minutes_are_split_under_teams_message_size(
    rostered_bot: BotUnderTest,
) -> None:
    bot = rostered_bot
    reply = await bot.say("poll " + "Q" * 100_000 + " | A | B")
    assert "keep it under" in reply.text
    assert len(reply.text) < 500
    reply = await bot.say("x" * 100_000)
    assert len(reply.text) < 500
    agreements = "\n".join(
        f"Energy Agency: agreement {n} " + "z" * 450 for n in range(250)
    )  # ~120 KB
    reply = await run_minutes(bot, agreements=agreements)
    parts = [call for call in reply.calls if call.cards]
    assert len(parts) >= 2
    for call in parts:
        assert len(json.dumps(call.body).encode()) <= 80_000
    shown = "\n".join(card_text(call.card) for call in parts)
    assert "agreement 0 " in shown
    assert "agreement 249 " in shown
    assert "Export (Word)" in card_text(parts[-1].card)  # the buttons ride on the last part
