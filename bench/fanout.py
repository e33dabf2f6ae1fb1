"""Reminder fan-out and scheduler start-up, measured against the real bot process.

    python -m bench.fanout [--channels 1000] [--series 10000] [--postgres URL | --no-postgres]

1. Fan-out: N channels each with a reminder due at the same minute; the fake connector answers
   every 10th call with 429 (Retry-After 1 s) or 503. Prints the achieved send rate (requests
   to the connector, which is what Teams' budget counts) as a ratio of the rate budget (50
   requests/s per app per tenant), the delivery rate beside it (at most 0.9 of the budget when
   a tenth of the requests are refused), and lost/duplicate counts. Targets: ≥ 0.9, 0, 0.
2. Start-up: M series in the job store; time from process start until the scheduler holds all
   their jobs, and the process's RSS then. Targets: ≤ 3 s, ≤ 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bench.load import ROOT, add_database_arguments, bot, free_port, server, wait_ready
from bench.poll_votes import connector_stats, reset_connector, versions
from domain.ratelimit import PER_TENANT
from tests.harness.reminders import seed_due_reminders

TENANT_BUDGET = PER_TENANT[0][0] / PER_TENANT[0][1]


async def reset(url: str) -> None:
    if url.startswith("postgresql"):
        from tests.harness.database import reset_postgres

        await reset_postgres(url)


async def fanout(url: str, connector_url: str, channels: int) -> str:
    await reset(url)
    now = datetime.now(UTC)
    due = now.replace(second=0, microsecond=0) + timedelta(minutes=1 if now.second < 30 else 2)
    await seed_due_reminders(url, connector_url, channels, due=due)
    await reset_connector(connector_url, fail_every=10)
    port = free_port()
    with bot(port, url, ICC_RUN_SCHEDULER="true") as child:
        await wait_ready(f"http://127.0.0.1:{port}/healthz", child)
        await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
        deadline = time.monotonic() + channels / TENANT_BUDGET * 3 + 60
        while time.monotonic() < deadline:
            stats = await connector_stats(connector_url)
            if len(stats["delivered"]) >= channels:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(3.0)  # anything late or duplicated arrives now
        stats = await connector_stats(connector_url)
    delivered: dict[str, int] = stats["delivered"]
    times = sorted(stats["post_times"])
    elapsed = times[-1] - times[0] if len(times) > 1 else float("nan")
    successes = sum(delivered.values())
    rate = (successes - 1) / elapsed if elapsed else float("nan")
    requests_rate = (stats["posts"] - 1) / elapsed if elapsed else float("nan")
    lost = channels - len(delivered)
    duplicates = successes - len(delivered)
    # Teams' budget counts requests, answered 429 or not: with a tenth of the calls refused,
    # deliveries can reach at most (successes / calls) of the budget.
    ceiling = successes / stats["posts"] if stats["posts"] else float("nan")
    return (
        f"{channels} channels, {stats['failed']} injected 429/503 of {stats['posts']} calls in "
        f"{elapsed:.1f} s: send rate {requests_rate:.1f}/s = {requests_rate / TENANT_BUDGET:.2f} of the "
        f"{TENANT_BUDGET:.0f}/s budget (target ≥ 0.9); deliveries {rate:.1f}/s = "
        f"{rate / TENANT_BUDGET:.2f} of the budget, of at most {ceiling:.2f} with those refusals; "
        f"lost {lost}, duplicates {duplicates}"
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def startup(url: str, connector_url: str, series: int) -> str:
    await reset(url)
    # Due far ahead: nothing is sent; the scheduler only has to hold the jobs.
    await seed_due_reminders(
        url,
        connector_url,
        series,
        due=datetime.now(UTC) + timedelta(days=3),
        nudges=("day_before", "morning_of", "minutes_missing"),
    )
    port = free_port()
    jobs_expected = series  # one job per series, firing at each of its three nudges
    started = time.monotonic()
    with bot(port, url, ICC_RUN_SCHEDULER="true") as child:
        async with aiohttp.ClientSession() as http:
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        body = await response.json()
                        if body.get("scheduler", {}).get("jobs", 0) >= jobs_expected:
                            break
                except aiohttp.ClientError:
                    pass
                if child.poll() is not None:
                    raise RuntimeError("the bot exited during start-up")
                await asyncio.sleep(0.05)
        seconds = time.monotonic() - started
        memory = rss_mb(child.pid)
    imports = await import_seconds()
    return (
        f"{series} series (3 nudges each): scheduler holding every job {seconds:.2f} s after the process "
        f"started (target ≤ 3 s), of which {imports:.2f} s is Python importing the bot's modules; "
        f"RSS {memory:.0f} MB (target ≤ 250 MB)"
    )


async def import_seconds() -> float:
    """How long a bare `import app` takes on this machine (the floor of any start-up)."""
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", "import app", cwd=ROOT)
    await process.wait()
    return time.monotonic() - started


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--series", type=int, default=10_000)
    add_database_arguments(parser)
    args = parser.parse_args(argv)
    print(f"cores: {os.cpu_count()}; {versions()}\n")
    connector_port = free_port()
    connector_url = f"http://127.0.0.1:{connector_port}"
    with server("connector", connector_port) as connector, tempfile.TemporaryDirectory() as folder:
        await wait_ready(f"{connector_url}/_stats", connector)
        backends = [("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'fanout.sqlite3'}")]
        if not args.no_postgres:
            backends.append(("PostgreSQL", args.postgres))
        for label, url in backends:
            if label == "SQLite":
                (Path(folder) / "fanout.sqlite3").unlink(missing_ok=True)
            print(f"fan-out ({label}): {await fanout(url, connector_url, args.channels)}")
            if label == "SQLite":
                (Path(folder) / "fanout.sqlite3").unlink(missing_ok=True)
            print(f"start-up ({label}): {await startup(url, connector_url, args.series)}")


if __name__ == "__main__":
    asyncio.run(main())
