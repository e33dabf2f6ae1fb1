"""Fixtures: a database per test (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
the fake Bot Connector, and the app under test. What they wrap lives in tests/harness."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from bot.web import SERVICES
from config import Settings
from tests.harness import clock, roster, teams
from tests.harness.bot import BotUnderTest
from tests.harness.card_parser import CardParser
from tests.harness.connector import FakeConnector
from tests.harness.database import POSTGRES_URL, backends, reset_postgres
from tests.harness.identity import BotFrameworkIdentity
from tests.harness.settings import settings_for


@pytest.fixture(params=backends())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    else:
        await reset_postgres(POSTGRES_URL)
        yield POSTGRES_URL


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url)


@pytest.fixture
async def identity(aiohttp_server: Any) -> AsyncIterator[BotFrameworkIdentity]:
    """A local Bot Framework token service (signing keys and OpenID metadata)."""
    fake = BotFrameworkIdentity()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    fake.release()  # a request left hanging would hold the server's shutdown


@pytest.fixture(scope="session")
def card_parser() -> Iterator[CardParser]:
    """Microsoft's Adaptive Cards parser (a node process), shared by the whole session."""
    missing = CardParser.missing()
    if missing is not None:
        pytest.fail(missing, pytrace=False)
    with CardParser.start() as parser:
        yield parser


@pytest.fixture
async def connector(aiohttp_server: Any, card_parser: CardParser) -> AsyncIterator[FakeConnector]:
    fake = FakeConnector(card_parser=card_parser)
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    # Every Adaptive Card the bot sent in the test, and every card in an invoke response, must
    # parse in Microsoft's renderer library without a single problem.
    problems = fake.check_cards()
    if problems:
        report = "\n".join(str(problem) for problem in problems)
        pytest.fail(
            f"{len(problems)} Adaptive Card(s) the bot sent have problems:\n{report}", pytrace=False
        )


@pytest.fixture
async def bot(aiohttp_client: Any, settings: Settings, connector: FakeConnector) -> BotUnderTest:
    app = create_app(settings)
    app[SERVICES].clock = clock.now  # the clock the tests date their forms by
    client = await aiohttp_client(app)
    return BotUnderTest(client, connector)


@pytest.fixture
async def rostered_bot(bot: BotUnderTest) -> BotUnderTest:
    """The bot with the test roster imported and the city and TAG channels linked."""
    await roster.load(bot.services.database)
    for conversation, who, command in (
        (teams.AARHUS_GENERAL, teams.ALICE, "link city Aarhus"),
        (teams.BRAGA_GENERAL, teams.BEATRIZ, "link city Braga"),
        (teams.GREEN_TAG, teams.MARTA, "link tag Green Buildings"),
        (teams.TOURISM_TAG, teams.PAULO, "link tag Tourism Data"),
    ):
        reply = await bot.say(command, conversation=conversation, who=who)
        assert "now" in reply.text, reply.text
    bot.connector.clear()
    return bot
