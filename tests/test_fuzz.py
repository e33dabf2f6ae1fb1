"""Fuzzing /api/messages with hypothesis: whatever arrives, no 5xx, no unhandled exception,
and a rejected activity changes nothing.

The app and a fake connector run on their own event loop in a thread, so hypothesis (which
drives plain functions) can post to them over real HTTP.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from config import load_settings
from tests.harness import teams
from tests.harness.connector import FakeConnector
from tests.harness.hostile import json_values
from tests.harness.process import free_port

VERBS = ["poll.vote", "poll.close", "poll.voters", "poll.refresh", "minutes.export", "actions.set",
         "agenda.rsvp", "agenda.propose", "agenda.decide", "command", "dialog",
         "no.such.verb"]  # fmt: skip
STATE_TABLES = ("polls", "poll_ballots", "minutes", "action_items", "stakeholders", "agendas",
                "agenda_responses", "reminder_series", "tag_summaries", "people")  # fmt: skip


class Failures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class LiveBot:
    url: str
    connector_url: str
    database: Path
    failures: Failures

    def post(self, body: bytes, content_type: str = "application/json") -> int:
        request = urllib.request.Request(
            f"{self.url}/api/messages", data=body, headers={"Content-Type": content_type}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def state(self) -> dict[str, int]:
        with sqlite3.connect(self.database) as connection:
            return {
                table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in STATE_TABLES
            }


@pytest.fixture(scope="module")
def live_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBot]:
    database = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    runners: list[web.AppRunner] = []
    port, connector_port = free_port(), free_port()
    connector = FakeConnector(url=f"http://127.0.0.1:{connector_port}")

    async def start() -> None:
        for app, at in (
            (connector.app(), connector_port),
            (
                create_app(
                    load_settings(
                        {},
                        database_url=f"sqlite+aiosqlite:///{database}",
                        run_scheduler=False,
                        pacing="off",
                    )
                ),
                port,
            ),
        ):
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", at).start()
            runners.append(runner)
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=60)
    ready.wait(60)
    failures = Failures()
    logging.getLogger().addHandler(failures)
    try:
        yield LiveBot(f"http://127.0.0.1:{port}", connector.url, database, failures)
    finally:
        logging.getLogger().removeHandler(failures)

        async def stop() -> None:
            for runner in reversed(runners):
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@st.composite
def activities(draw: st.DrawFn, connector_url: str) -> dict[str, Any]:
    conversation = draw(
        st.sampled_from([teams.AARHUS_GENERAL, teams.GREEN_TAG, teams.personal(teams.ALICE)])
    )
    who = draw(st.sampled_from([teams.ALICE, teams.OSCAR, teams.MARTA]))
    shape = draw(st.sampled_from(["text", "submit", "invoke", "other"]))
    if shape == "text":
        text = draw(
            st.one_of(
                st.text(max_size=300),
                st.sampled_from(
                    [
                        "help",
                        "poll",
                        "minutes",
                        "agenda",
                        "remind setup",
                        "actions mine",
                        "poll a | b | c",
                        "summary",
                    ]
                ).map(lambda c: c + draw(st.text(max_size=40))),
                st.just("y" * 120_000),
            )
        )
        activity = teams.message(
            text, service_url=connector_url, conversation=conversation, who=who
        )
    elif shape == "submit":
        value = draw(st.dictionaries(st.text(max_size=12), json_values, max_size=6))
        if draw(st.booleans()):
            value["verb"] = draw(st.sampled_from(VERBS))
        activity = teams.submit(
            value, service_url=connector_url, conversation=conversation, who=who
        )
    elif shape == "invoke":
        data = draw(st.dictionaries(st.text(max_size=12), json_values, max_size=6))
        activity = teams.execute(
            draw(st.sampled_from(VERBS)),
            data,
            service_url=connector_url,
            conversation=conversation,
            who=who,
        )
        if draw(st.booleans()):
            activity["value"] = draw(json_values)
    else:
        activity = teams.message(
            "help", service_url=connector_url, conversation=conversation, who=who
        )
        activity["type"] = draw(
            st.sampled_from(
                [
                    "conversationUpdate",
                    "installationUpdate",
                    "typing",
                    "event",
                    "messageReaction",
                    "bogus",
                ]
            )
        )
    # Break it: drop fields, or put the wrong kind of value in them.
    for field in draw(
        st.lists(
            st.sampled_from(
                [
                    "conversation",
                    "from",
                    "recipient",
                    "serviceUrl",
                    "type",
                    "channelData",
                    "entities",
                    "value",
                    "text",
                    "id",
                ]
            ),
            max_size=3,
            unique=True,
        )
    ):
        if draw(st.booleans()):
            activity.pop(field, None)
        else:
            activity[field] = draw(json_values)
    return activity


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_no_activity_gets_a_5xx_and_rejected_ones_change_nothing(
    live_bot: LiveBot, data: st.DataObject
) -> None:
    activity = data.draw(activities(live_bot.connector_url))
    before = live_bot.state()
    status = live_bot.post(json.dumps(activity).encode())
    assert status < 500, (status, activity)
    if 400 <= status < 500:
        assert live_bot.state() == before
    unhandled = [
        r for r in live_bot.failures.records if "turn failed" in r.getMessage() or r.exc_info
    ]
    assert not unhandled, [r.getMessage() for r in unhandled]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/json; charset=utf-8", ""]
    ),
)
def test_raw_bytes_are_refused_cleanly(live_bot: LiveBot, body: bytes, content_type: str) -> None:
    before = live_bot.state()
    status = live_bot.post(body, content_type)
    assert status < 500
    if status >= 400:
        assert live_bot.state() == before
