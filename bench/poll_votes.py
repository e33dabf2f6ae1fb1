"""Vote turns against the floor and the limit, in one run, on the same machine.

    python -m bench.poll_votes [--seconds 10] [--clients 50] [--postgres URL | --no-postgres]

Measures, with the same fake connector and the same concurrent clients:
  1. the limit: aiohttp alone (parse the activity, post one reply over a shared session);
  2. the floor: botbuilder 4.17.1's echo bot (CloudAdapter, stock authentication);
  3. our vote turn, Action.Execute and Action.Submit, on SQLite and PostgreSQL;
  4. our `help` turn;
then a burst of 40 votes in one second on one poll: the card's final tally and the most card
updates seen in any one second. Prints throughput, p50, p99 and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import aiohttp

from bench.load import (
    Result,
    add_load_arguments,
    bot,
    free_port,
    run_load,
    server,
    table,
    wait_ready,
)
from tests.harness import teams

CHANNEL = teams.AARHUS_GENERAL


def versions() -> str:
    names = ["botbuilder-core", "aiohttp", "SQLAlchemy", "aiosqlite", "asyncpg", "APScheduler"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return f"Python {platform.python_version()}; " + ", ".join(found)


async def connector_stats(url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/_stats") as response:
        return dict(await response.json())


async def reset_connector(url: str, **options: Any) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/_reset", json=options) as response,
    ):
        await response.read()


def card_strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [
            s
            for key, value in node.items()
            for s in ([value] if key == "text" and isinstance(value, str) else card_strings(value))
        ]
    if isinstance(node, list):
        return [s for item in node for s in card_strings(item)]
    return []


async def create_poll(bot_url: str, connector_url: str, options: int = 3) -> int:
    text = "poll Bench question? | " + " | ".join(f"Option {i}" for i in range(options))
    activity = teams.message(text, service_url=connector_url, conversation=CHANNEL)
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{bot_url}/api/messages", json=activity) as response,
    ):
        assert response.status < 300, await response.text()
    for _ in range(100):  # turns answered at the deadline may still be replying
        stats = await connector_stats(connector_url)
        for card in reversed(stats["recent_cards"]):  # newest first
            match = re.search(r"Poll #(\d+)", " ".join(card_strings(card)))
            if match and "Bench question?" in " ".join(card_strings(card)):
                return int(match.group(1))
        await asyncio.sleep(0.1)
    raise RuntimeError("the poll card never arrived")


def voter(n: int) -> teams.User:
    return teams.User(
        id=f"29:bench-voter-{n}",
        name=f"Voter {n}",
        aad_object_id=f"00000000-0000-0000-0000-{n:012d}",
    )


def execute_vote(connector_url: str, poll_id: int) -> Any:
    def make(index: int, counter: int) -> dict[str, Any]:
        return teams.execute(
            "poll.vote", {"poll_id": poll_id, "choice": str(random.randrange(3))},
            service_url=connector_url, conversation=CHANNEL, who=voter(counter % 5000),
        )  # fmt: skip

    return make


def submit_vote(connector_url: str, poll_id: int) -> Any:
    def make(index: int, counter: int) -> dict[str, Any]:
        return teams.submit(
            {"verb": "poll.vote", "poll_id": poll_id, "choice": str(random.randrange(3))},
            service_url=connector_url, conversation=CHANNEL, who=voter(counter % 5000),
        )  # fmt: skip

    return make


def retenant(activity: dict[str, Any], index: int) -> dict[str, Any]:
    """`activity` as if sent from a tenant of its own (number `index`)."""
    tenant = f"{teams.TENANT[:-6]}{index:06d}"
    activity["conversation"]["tenantId"] = tenant
    activity["channelData"]["tenant"]["id"] = tenant
    return activity


def message(connector_url: str, text: str, *, tenant_per_client: bool = False) -> Any:
    """Messages from many people, each in their own 1:1 chat: Teams allows a bot about 7
    sends per second per conversation, so one shared conversation would measure the limiter.

    Teams also allows a bot 50 sends per second per tenant, which our sender keeps: with one
    tenant, a turn that replies (help) cannot go faster. `tenant_per_client` gives each client
    a tenant of its own, so that the turn's own cost is measured."""

    def make(index: int, counter: int) -> dict[str, Any]:
        who = voter(counter % 5000)
        activity = teams.message(
            text, service_url=connector_url, conversation=teams.personal(who), who=who
        )
        return retenant(activity, index) if tenant_per_client else activity

    return make


async def burst(bot_url: str, connector_url: str, votes: int = 40) -> str:
    """40 votes inside one second on one fresh poll; then the card's final state."""
    poll_id = await create_poll(bot_url, connector_url)
    await reset_connector(connector_url)
    async with aiohttp.ClientSession() as http:

        async def one(n: int) -> int:
            await asyncio.sleep(n / votes)  # spread over one second
            activity = execute_vote(connector_url, poll_id)(0, 100_000 + n)
            async with http.post(f"{bot_url}/api/messages", json=activity) as response:
                await response.read()
                return response.status

        statuses = await asyncio.gather(*(one(n) for n in range(votes)))
    previous = -1
    for _ in range(100):  # until the card stops changing
        await asyncio.sleep(1.0)
        stats = await connector_stats(connector_url)
        if stats["puts"] == previous:
            break
        previous = stats["puts"]
    times = sorted(stats["put_times"])
    worst = max((sum(1 for t in times if start <= t < start + 1.0) for start in times), default=0)
    final = " ".join(card_strings(stats["last_card"]))
    exact = f"{votes} voters" in final
    return (
        f"burst of {votes} votes in 1 s: statuses ok={sum(s == 200 for s in statuses)}/{votes}, "
        f"card updates={stats['puts']}, most in any 1 s={worst} (limit 7), final card exact={'yes' if exact else 'NO'}"
    )


async def reset_postgres(url: str) -> None:
    from tests.harness.database import reset_postgres as reset

    await reset(url)


async def bench_backend(
    label: str, database_url: str, connector_url: str, args: argparse.Namespace
) -> tuple[list[Result], str]:
    port = free_port()
    bot_url = f"http://127.0.0.1:{port}"
    with bot(port, database_url) as child:
        await wait_ready(f"{bot_url}/healthz", child)
        poll_id = await create_poll(bot_url, connector_url)
        endpoint = f"{bot_url}/api/messages"
        results = [
            await run_load(f"ours: vote, Action.Execute ({label})", endpoint, execute_vote(connector_url, poll_id),
                           clients=args.clients, seconds=args.seconds),
            await run_load(f"ours: vote, Action.Submit ({label})", endpoint, submit_vote(connector_url, poll_id),
                           clients=args.clients, seconds=args.seconds),
            await run_load(f"ours: help, one tenant ({label})", endpoint, message(connector_url, "help"),
                           clients=args.clients, seconds=args.seconds),
            await run_load(f"ours: help, tenant per client ({label})", endpoint,
                           message(connector_url, "help", tenant_per_client=True),
                           clients=args.clients, seconds=args.seconds),
        ]  # fmt: skip
        burst_line = await burst(bot_url, connector_url)
    return results, f"{label}: {burst_line}"


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_load_arguments(parser)
    args = parser.parse_args(argv)

    print(f"cores: {os.cpu_count()}; {versions()}")
    print(
        f"{args.clients} concurrent clients, {args.seconds:.0f} s per measurement (after 2 s warm-up)\n"
    )
    connector_port = free_port()
    connector_url = f"http://127.0.0.1:{connector_port}"
    with server("connector", connector_port) as connector:
        await wait_ready(f"{connector_url}/_stats", connector)

        async def baseline(kind: str, name: str) -> Result:
            port = free_port()
            with server(kind, port) as child:
                await wait_ready(f"http://127.0.0.1:{port}/", child)
                return await run_load(name, f"http://127.0.0.1:{port}/api/messages", message(connector_url, "hi"),
                                      clients=args.clients, seconds=args.seconds)  # fmt: skip

        limit = await baseline("echo-aiohttp", "limit: aiohttp alone")
        floor = await baseline("echo-botbuilder", "floor: botbuilder echo bot (stock)")
        results = [limit, floor]
        bursts = []
        with tempfile.TemporaryDirectory() as folder:
            sqlite_url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
            rows, line = await bench_backend("SQLite", sqlite_url, connector_url, args)
            results += rows
            bursts.append(line)
        if not args.no_postgres:
            await reset_postgres(args.postgres)
            rows, line = await bench_backend("PostgreSQL", args.postgres, connector_url, args)
            results += rows
            bursts.append(line)
    print(table(results, floor, limit))
    print()
    for line in bursts:
        print(line)
    print(
        "\ntargets (issue 10): vote ≥ 3× floor throughput and p99 ≤ floor p99; (issue 3): ≥ 0.8×, p99 ≤ 2×"
    )


if __name__ == "__main__":
    asyncio.run(main())
