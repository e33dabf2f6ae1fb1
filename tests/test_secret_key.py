"""The key of anonymous ballots: never in the database, and the same after a restart.

Without ICC_SECRET_KEY (no authentication) the app keeps a random key in a file beside its
data; anyone holding only the database cannot re-identify a ballot."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text

from app import create_app
from config import Settings
from domain.polls import anonymous_voter_key
from tests.harness import teams
from tests.harness.bot import BotUnderTest
from tests.harness.connector import FakeConnector
from tests.harness.polls import ONE_LINER, ballots, create, settle, vote
from tests.harness.process import free_port, start_until_exit


def keyed_by_file(settings: Settings, tmp_path: Path) -> Settings:
    return settings.with_overrides(secret_key="", secret_key_file=str(tmp_path / "secret.key"))


async def test_a_restart_keeps_the_key_so_an_anonymous_re_vote_still_replaces_the_ballot(
    aiohttp_client: Any, settings: Settings, connector: FakeConnector, tmp_path: Path
) -> None:
    keyed = keyed_by_file(settings, tmp_path)
    first = BotUnderTest(await aiohttp_client(create_app(keyed)), connector)
    poll_id, _ = await create(first, ONE_LINER + " --anonymous", who=teams.MARTA)
    await vote(first, poll_id, "0", who=teams.ALICE)
    await settle(first)
    await first.client.close()

    second = BotUnderTest(await aiohttp_client(create_app(keyed)), connector)
    reply = await vote(second, poll_id, "1", who=teams.ALICE)
    assert reply.status == 200
    (ballot,) = await ballots(second, poll_id)
    assert ballot.choices == [1]
    key = (tmp_path / "secret.key").read_text().strip()
    assert ballot.voter_key == anonymous_voter_key(key, poll_id, teams.ALICE.id)
    await settle(second)


async def test_no_table_holds_the_key_or_anything_derived_from_the_database_url(
    aiohttp_client: Any, settings: Settings, connector: FakeConnector, tmp_path: Path
) -> None:
    bot = BotUnderTest(
        await aiohttp_client(create_app(keyed_by_file(settings, tmp_path))), connector
    )
    poll_id, _ = await create(bot, ONE_LINER + " --anonymous", who=teams.MARTA)
    await vote(bot, poll_id, "2", who=teams.ALICE)
    await settle(bot)
    key = (tmp_path / "secret.key").read_text().strip()
    assert bot.services.settings.secret_key == key
    (ballot,) = await ballots(bot, poll_id)
    # The key the bot used to derive from DATABASE_URL would re-identify Alice from the rows.
    derived = anonymous_voter_key("icc-bot:" + settings.database_url, poll_id, teams.ALICE.id)
    assert ballot.voter_key != derived

    async with bot.services.database.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        dump = []
        for table in tables:
            rows = await connection.execute(text(f'SELECT * FROM "{table}"'))
            dump += [str(value) for row in rows for value in row]
    assert "ballots" in " ".join(tables)
    assert not [value for value in dump if key in value]


def test_with_authentication_on_start_up_refuses_without_icc_secret_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "ICC_"))}
    env.update(
        MicrosoftAppId="app",
        MicrosoftAppPassword="secret",
        ICC_ALLOWED_TENANTS="*",
        PORT=str(free_port()),
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
    )
    result = start_until_exit(env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "ICC_SECRET_KEY must be set when authentication is on" in result.stderr
    assert os.listdir(tmp_path) == []
