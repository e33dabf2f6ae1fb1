"""Draining the outbox after Teams was down for a minute, measured against the real bot process.

    python -m bench.outbox_drain [--channels 1000] [--replies 200] [--outage 60]
                                 [--postgres URL | --no-postgres]

The fake connector refuses everything (503) while N channels' reminders fall due and M people
each get a reply (a `help` in their own 1:1 chat), all in one tenant; after `--outage` seconds
it answers again. Prints the time from that recovery until the outbox is empty, the send rate
while draining as a ratio of Teams' budget (50 requests/s per app per tenant; target ≥ 0.9),
and lost/duplicate counts (targets 0, 0). The drain's lower bound is (N + M) / 50 s; the rest
is the time the bot takes to notice Teams is back (one probe at most every 10 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bench.fanout import TENANT_BUDGET, reset
from bench.load import add_database_arguments, bot, free_port, server, wait_ready
from bench.poll_votes import connector_stats, reset_connector, versions
from storage.db import Database
from storage.models import OutboxMessage
from tests.harness import teams
from tests.harness.reminders import seed_due_reminders


async def depth(url: str) -> int:
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
    finally:
        await database.dispose()


async def set_down(connector_url: str, down: bool) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{connector_url}/_down", json={"down": down}) as response,
    ):
        await response.read()


async def drain(url: str, connector_url: str, channels: int, replies: int, outage: float) -> str:
    await reset(url)
    now = datetime.now(UTC)
    due = now.replace(second=0, microsecond=0) + timedelta(minutes=1 if now.second < 30 else 2)
    await seed_due_reminders(url, connector_url, channels, due=due, tenant=teams.TENANT)
    await reset_connector(connector_url, down=True)
    port = free_port()
    bot_url = f"http://127.0.0.1:{port}"
    with bot(port, url, ICC_RUN_SCHEDULER="true") as child:
        await wait_ready(f"{bot_url}/healthz", child)
        began = time.monotonic()
        async with aiohttp.ClientSession() as http:
            for n in range(replies):
                who = teams.user(f"Bench person {n}")
                activity = teams.message(
                    "help", service_url=connector_url, conversation=teams.personal(who), who=who
                )
                async with http.post(f"{bot_url}/api/messages", json=activity) as response:
                    if response.status >= 300:
                        raise RuntimeError(f"help answered {response.status}")
        # The reminders fall due during the outage too.
        await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds() + 2))
        await asyncio.sleep(max(0.0, outage - (time.monotonic() - began)))
        expected = channels + replies
        for _ in range(1200):  # the outage lasts until every message is queued
            queued = await depth(url)
            if queued >= expected:
                break
            await asyncio.sleep(0.1)
        outage = time.monotonic() - began
        await set_down(connector_url, False)
        recovered = time.monotonic()
        deadline = recovered + (channels + replies) / TENANT_BUDGET * 4 + 60
        while time.monotonic() < deadline:
            if not await depth(url):
                break
            await asyncio.sleep(0.1)
        drained = time.monotonic() - recovered
        await asyncio.sleep(3.0)  # anything duplicated arrives now
        stats = await connector_stats(connector_url)
    delivered: dict[str, int] = stats["delivered"]
    times = sorted(stats["post_times"])
    elapsed = times[-1] - times[0] if len(times) > 1 else float("nan")
    rate = (len(times) - 1) / elapsed if elapsed else float("nan")
    successes = sum(delivered.values())
    floor = expected / TENANT_BUDGET
    return (
        f"{queued} queued after a {outage:.0f} s outage ({stats['refused']} requests refused "
        f"meanwhile); empty {drained:.1f} s after recovery (lower bound {floor:.1f} s: "
        f"×{drained / floor:.2f}); drain send rate {rate:.1f}/s = {rate / TENANT_BUDGET:.2f} of the "
        f"{TENANT_BUDGET:.0f}/s budget (target ≥ 0.9); lost {expected - len(delivered)}, "
        f"duplicates {successes - len(delivered)}"
    )


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--outage", type=float, default=60.0)
    add_database_arguments(parser)
    args = parser.parse_args(argv)
    print(f"cores: {os.cpu_count()}; {versions()}\n")
    connector_port = free_port()
    connector_url = f"http://127.0.0.1:{connector_port}"
    with server("connector", connector_port) as connector, tempfile.TemporaryDirectory() as folder:
        await wait_ready(f"{connector_url}/_stats", connector)
        backends = [("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'drain.sqlite3'}")]
        if not args.no_postgres:
            backends.append(("PostgreSQL", args.postgres))
        for label, url in backends:
            result = await drain(url, connector_url, args.channels, args.replies, args.outage)
            print(f"outbox drain ({label}): {result}")


if __name__ == "__main__":
    asyncio.run(main())
