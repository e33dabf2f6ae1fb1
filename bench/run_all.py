"""Every benchmark in one run, then a memory soak; prints the tables and the figures.

    python -m bench.run_all [--seconds 10] [--soak-minutes 10] [--no-postgres]

Not part of the test suite. Each figure is a ratio against a baseline measured in the same
run on the same machine (see the individual modules for what each measures).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench import dialog_turns, fanout, poll_votes
from bench.load import bot, free_port, server, wait_ready
from tests.harness import teams


async def soak(minutes: float, clients: int = 20) -> str:
    """Mixed traffic (help, polls, votes, unknown commands) for `minutes`; RSS sampled every
    10 s; its trend should be flat.

    Each client talks to 500 people in their 1:1 chats. The bot keeps a little per
    conversation for a while (its sends of the last hour for Teams' rate limits, the
    reference it last stored for five minutes), so a soak that kept meeting new chats would
    measure that, bounded, instead of a leak: the warm-up writes once to every chat the soak
    will use, and the trend is taken over the mixed traffic after it."""
    connector_port = free_port()
    connector_url = f"http://127.0.0.1:{connector_port}"
    with server("connector", connector_port) as connector, tempfile.TemporaryDirectory() as folder:
        await wait_ready(f"{connector_url}/_stats", connector)
        port = free_port()
        url = f"http://127.0.0.1:{port}/api/messages"
        with bot(port, f"sqlite+aiosqlite:///{Path(folder) / 'soak.sqlite3'}") as child:
            await wait_ready(f"http://127.0.0.1:{port}/healthz", child)
            poll_id = None
            samples: list[tuple[float, float]] = []
            statuses: dict[int, int] = {}
            started = time.monotonic()
            people = 500
            async with aiohttp.ClientSession() as http:

                async def post(activity: dict[str, Any]) -> None:
                    async with http.post(url, json=activity) as response:
                        await response.read()
                        statuses[response.status] = statuses.get(response.status, 0) + 1

                async def worker(n: int) -> None:
                    nonlocal poll_id
                    counter = 0
                    while time.monotonic() < stop_at:
                        counter += 1
                        who = poll_votes.voter(n * 100_000 + counter % people)
                        chat = teams.personal(who)
                        kind = random.random()
                        if kind < 0.4 and poll_id is not None:
                            await post(teams.execute("poll.vote", {"poll_id": poll_id, "choice": str(counter % 3)},
                                                     service_url=connector_url, conversation=teams.AARHUS_GENERAL, who=who))  # fmt: skip
                        elif kind < 0.6:
                            await post(
                                teams.message(
                                    "help", service_url=connector_url, conversation=chat, who=who
                                )
                            )
                        elif kind < 0.7:
                            await post(
                                teams.message(
                                    "what is this",
                                    service_url=connector_url,
                                    conversation=chat,
                                    who=who,
                                )
                            )
                        elif kind < 0.8:
                            await post(
                                teams.message(
                                    f"poll Soak {counter}? | a | b | c",
                                    service_url=connector_url,
                                    conversation=chat,
                                    who=who,
                                )
                            )
                        else:
                            await post(
                                teams.message(
                                    "timezone Europe/Rome",
                                    service_url=connector_url,
                                    conversation=chat,
                                    who=who,
                                )
                            )

                async def meet_everyone(n: int) -> None:
                    for person in range(people):
                        who = poll_votes.voter(n * 100_000 + person)
                        await post(teams.message("help", service_url=connector_url,
                                                 conversation=teams.personal(who), who=who))  # fmt: skip

                async def sampler() -> None:
                    while time.monotonic() < stop_at:
                        samples.append((time.monotonic() - started, fanout.rss_mb(child.pid)))
                        await asyncio.sleep(10)

                await asyncio.gather(*(meet_everyone(n) for n in range(clients)))
                warm_up = time.monotonic() - started
                started = time.monotonic()
                stop_at = started + minutes * 60
                poll_id = await poll_votes.create_poll(f"http://127.0.0.1:{port}", connector_url)
                await asyncio.gather(sampler(), *(worker(n) for n in range(clients)))
    if len(samples) < 3:
        return f"soak too short to judge ({len(samples)} samples)"
    xs, ys = [t for t, _ in samples], [m for _, m in samples]
    slope = statistics.linear_regression(xs, ys).slope * 60  # MB per minute
    return (
        f"warm-up: {clients * people} 1:1 chats written to once in {warm_up:.0f} s; then "
        f"{minutes:.0f}-minute soak, {clients} clients of mixed traffic: RSS {ys[0]:.0f} MB at its start, "
        f"{max(ys):.0f} MB peak, {ys[-1]:.0f} MB at the end; trend {slope:+.2f} MB/min "
        f"({'flat' if abs(slope) < 0.5 else 'GROWING'}); {sum(statuses.values())} turns, "
        f"HTTP statuses {dict(sorted(statuses.items()))}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--soak-minutes", type=float, default=10.0)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    postgres = [] if not args.no_postgres else ["--no-postgres"]
    print("== vote and help turns against the floor and the limit (bench/poll_votes.py)")
    await poll_votes.main(["--seconds", str(args.seconds), *postgres])
    print("\n== dialog turns (bench/dialog_turns.py)")
    await dialog_turns.main(["--seconds", str(args.seconds), *postgres])
    print("\n== reminder fan-out and scheduler start-up (bench/fanout.py)")
    await fanout.main(postgres)
    print("\n== memory soak")
    print(await soak(args.soak_minutes))
    print(f"\n(cores: {os.cpu_count()})")


if __name__ == "__main__":
    asyncio.run(main())
