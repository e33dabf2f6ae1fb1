"""The bot as a new user starts it: `python app.py` in a real process, then `help`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.harness import teams
from tests.harness.connector import FakeConnector
from tests.harness.process import ROOT, free_port, start_until_exit, wait_healthy


@pytest.fixture
def bot_process(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
    env.update(PORT=str(port), DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}")
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
async def test_python_app_py_serves_help_on_a_fresh_sqlite_file(
    bot_process: tuple[str, subprocess.Popen[str]], connector: FakeConnector
) -> None:
    url, process = bot_process
    health = await wait_healthy(url, process)
    assert health["database"] == "ok"
    assert health["authentication"] == "off"
    activity = teams.message("help", service_url=connector.url, conversation=teams.AARHUS_GENERAL)
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/api/messages", json=activity) as response,
    ):
        assert response.status in (200, 201)
    assert connector.sent(), "no reply reached the connector"
    card = connector.last().card
    assert card["type"] == "AdaptiveCard"
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=15)
    assert "WITHOUT AUTHENTICATION" in output


def test_a_bad_configuration_stops_start_up_with_one_line(tmp_path: Path) -> None:
    env = dict(os.environ, DATABASE_URL="mysql://nope", PORT=str(free_port()))
    result = start_until_exit(env)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "DATABASE_URL" in lines[0]


def test_half_set_credentials_stop_start_up_with_one_line() -> None:
    env = dict(os.environ, MicrosoftAppId="abc", PORT=str(free_port()))
    env.pop("MicrosoftAppPassword", None)
    result = start_until_exit(env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "MicrosoftAppPassword is missing" in result.stderr


def test_an_unreachable_database_stops_start_up_with_one_line() -> None:
    env = dict(
        os.environ,
        DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        PORT=str(free_port()),
    )
    result = start_until_exit(env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot reach the database" in result.stderr
