"""Dialog turns under load: each client walks the minutes (or agenda) dialog again and again.

    python -m bench.dialog_turns [--seconds 10] [--clients 50] [--postgres URL | --no-postgres]

Every request of a dialog (its cards, typed answers, the final save) is one turn; throughput
and p50/p99 are printed against botbuilder's echo bot (the floor) measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.load import (
    Measurement,
    Result,
    add_load_arguments,
    bot,
    errors_logged,
    free_port,
    log_of,
    run_load,
    server,
    table,
    wait_ready,
)
from bench.poll_votes import message, reset_postgres, retenant, versions
from domain.roster import parse_yaml
from storage.db import Database
from storage.migrate import migrate
from storage.roster import import_roster
from tests.harness import teams

CITY = "Benchford"
TAG = "Bench TAG"


def worker_user(n: int) -> teams.User:
    return teams.User(
        id=f"29:bench-rep-{n}",
        name=f"Bench Rep {n}",
        aad_object_id=f"00000000-0000-0000-0001-{n:012d}",
    )


def chat_of(
    connector_url: str, who: teams.User, tenant: int | None = None
) -> tuple[Callable[[str], dict[str, Any]], Callable[[dict[str, Any]], dict[str, Any]]]:
    """Typing and clicking as `who` in their 1:1 chat with the bot (in a tenant of their own
    when `tenant` is given: see `bench.poll_votes.message`)."""
    chat = teams.personal(who)

    def placed(activity: dict[str, Any]) -> dict[str, Any]:
        return activity if tenant is None else retenant(activity, tenant)

    def say(text: str) -> dict[str, Any]:
        return placed(teams.message(text, service_url=connector_url, conversation=chat, who=who))

    def click(value: dict[str, Any]) -> dict[str, Any]:
        return placed(teams.submit(value, service_url=connector_url, conversation=chat, who=who))

    return say, click


async def seed_roster(url: str, clients: int) -> None:
    people = "\n".join(
        f"  - {{name: {worker_user(n).name}, aad_object_id: {worker_user(n).aad_object_id}, "
        f"roles: [{{role: city_rep, city: {CITY}}}, {{role: mentor, tag: {TAG}}}]}}"
        for n in range(clients)
    )
    roster = f"cities:\n  - {{name: {CITY}}}\ntags:\n  - {{name: {TAG}, cities: [{CITY}]}}\npeople:\n{people}\n"
    database = Database(url)
    try:
        await migrate(database.engine)
        async with database.unit_of_work() as session:
            await import_roster(session, parse_yaml(roster))
    finally:
        await database.dispose()


def minutes_script(
    connector_url: str, *, tenant_per_client: bool = False
) -> Callable[[int, int], list[dict[str, Any]]]:
    today = datetime.now(UTC).date().isoformat()
    due = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()

    def script(worker: int, round_: int) -> list[dict[str, Any]]:
        who = worker_user(worker)
        say, click = chat_of(connector_url, who, worker if tenant_per_client else None)
        return [
            say("minutes"),
            click({"verb": "dialog", "step": "setup", "meeting_type": "complete_ecosystem", "date": today,
                   "group": f"Group {worker}", "new_stakeholders": "Energy Agency, Port Authority", "reps": ""}),
            click({"verb": "dialog", "step": "recap"}),  # answered only when open items exist
            click({"verb": "dialog", "step": "meeting", "t0_progress": "On track",
                   "t0_agreed": "shares data", "x0_what": f"Share the data {round_}",
                   "x0_owner": "s0", "x0_due": due}),
            click({"verb": "dialog", "step": "closing", "next_steps": "Next call"}),
        ]  # fmt: skip

    return script


def agenda_script(
    connector_url: str, *, tenant_per_client: bool = False
) -> Callable[[int, int], list[dict[str, Any]]]:
    day = (datetime.now(UTC).date() + timedelta(days=7)).isoformat()

    def script(worker: int, round_: int) -> list[dict[str, Any]]:
        who = worker_user(worker)
        say, click = chat_of(connector_url, who, worker if tenant_per_client else None)
        orders = {f"order{i}": i + 1 for i in range(6)}
        return [
            say(f"agenda {TAG}"),
            click({"verb": "dialog", "step": "when", "session": 1, "day": day, "time": "10:00", "timezone": "Europe/Brussels", "length": 60}),
            click({"verb": "dialog", "step": "edit", **orders, "new_title": f"Item {round_}", "new_minutes": 5, "do": "update"}),
            click({"verb": "dialog", "step": "edit", **orders, "do": "post"}),
        ]  # fmt: skip

    return script


async def run_script(
    name: str,
    url: str,
    script: Callable[[int, int], list[dict[str, Any]]],
    *,
    clients: int,
    seconds: float,
    warmup: float = 2.0,
) -> Result:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients * 2)) as http:
        measurement = Measurement(seconds, warmup)

        async def worker(index: int) -> None:
            round_ = 0
            while measurement.running():
                round_ += 1
                for activity in script(index, round_):
                    await measurement.post(http, url, activity)

        await asyncio.gather(*(worker(i) for i in range(clients)))
    return measurement.result(name)


async def measure(
    label: str, url: str, connector_url: str, args: argparse.Namespace
) -> list[Result]:
    await seed_roster(url, args.clients)
    port = free_port()
    with bot(port, url) as child:
        await wait_ready(f"http://127.0.0.1:{port}/healthz", child)
        endpoint = f"http://127.0.0.1:{port}/api/messages"
        results = [
            await run_script(f"ours: minutes-dialog turn, one tenant ({label})", endpoint, minutes_script(connector_url), clients=args.clients, seconds=args.seconds),
            await run_script(f"ours: minutes-dialog turn, tenant per client ({label})", endpoint, minutes_script(connector_url, tenant_per_client=True), clients=args.clients, seconds=args.seconds),
            await run_script(f"ours: agenda-dialog turn, one tenant ({label})", endpoint, agenda_script(connector_url), clients=args.clients, seconds=args.seconds),
            await run_script(f"ours: agenda-dialog turn, tenant per client ({label})", endpoint, agenda_script(connector_url, tenant_per_client=True), clients=args.clients, seconds=args.seconds),
        ]  # fmt: skip
        if errors_logged(child):
            print(f"!! the bot logged {errors_logged(child)} error(s) on {label}; its log:")
            print(log_of(child)[-3000:])
        return results


async def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_load_arguments(parser)
    args = parser.parse_args(argv)
    print(f"cores: {os.cpu_count()}; {versions()}")
    connector_port = free_port()
    connector_url = f"http://127.0.0.1:{connector_port}"
    with server("connector", connector_port) as connector, tempfile.TemporaryDirectory() as folder:
        await wait_ready(f"{connector_url}/_stats", connector)
        floor_port = free_port()
        with server("echo-botbuilder", floor_port) as echo:
            await wait_ready(f"http://127.0.0.1:{floor_port}/", echo)
            floor = await run_load("floor: botbuilder echo bot (stock)", f"http://127.0.0.1:{floor_port}/api/messages",
                                   message(connector_url, "hi"), clients=args.clients, seconds=args.seconds)  # fmt: skip
        results = [
            floor,
            *await measure(
                "SQLite",
                f"sqlite+aiosqlite:///{Path(folder) / 'dialogs.sqlite3'}",
                connector_url,
                args,
            ),
        ]
        if not args.no_postgres:
            await reset_postgres(args.postgres)
            results += await measure("PostgreSQL", args.postgres, connector_url, args)
    print(table(results, floor, None))
    print("\ntargets (issue 8): ≥ 0.8× the floor's throughput, p99 ≤ 2× the floor's p99")
    return results


if __name__ == "__main__":
    asyncio.run(main())
