"""The processes a real-client scenario runs: the bot (`python app.py`) and the Teams emulator.

`running_stack(...)` starts both on free ports with a fresh SQLite file and the emulator's user in
the roster, and stops them afterwards. The suite shares one stack (tests/e2e/conftest.py); a
scenario that needs a differently configured bot (reminders: other `ICC_*` settings) starts its
own with `running_stack(workdir, env={...})`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE_PROJECT = ROOT / "tests" / "e2e"
EMULATOR_CLI = NODE_PROJECT / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
CHROMIUM = Path("/usr/bin/chromium")
ROSTER = NODE_PROJECT / "roster.yaml"

INSTALL_HINT = (
    "The end-to-end tests need Debian's Chromium (`apt-get install -y chromium "
    "fonts-noto-color-emoji`), Node.js 20 with the pinned packages (`npm ci --prefix tests/e2e`) "
    "and Playwright for Python (`.venv/bin/pip install -e '.[test]'`); `scripts/test` installs "
    "them all."
)
# An emoji the bot's cards use (📊, the poll card's first line): without a font that has it,
# Chromium draws empty boxes and the screenshots show a defect the cards do not have.
EMOJI_PROBE = "1f4ca"


@dataclass(frozen=True)
class EmulatorUser:
    id: str
    name: str
    aad_object_id: str


# The one person the emulator (Agents Playground 0.2.28) lets you be: the `currentUser` of its
# built-in configuration, sent as `from` of every activity (seen in its Log Panel). The roster
# in tests/e2e/roster.yaml gives this person their roles.
ALEX = EmulatorUser(
    id="user-id-0", name="Alex Wilber", aad_object_id="00000000-0000-0000-0000-0000000000020"
)


def prerequisites_missing() -> str | None:
    """Why the emulator scenarios cannot run on this machine, or None."""
    problems = []
    if not CHROMIUM.is_file():
        problems.append(f"{CHROMIUM} is missing")
    fc_list = shutil.which("fc-list")
    if fc_list is not None:
        found = subprocess.run(
            [fc_list, f":charset={EMOJI_PROBE}", "family"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        if not found.strip():
            problems.append("no colour emoji font is installed (fonts-noto-color-emoji)")
    if shutil.which("node") is None:
        problems.append("node (Node.js 20) is not installed")
    if not EMULATOR_CLI.is_file():
        problems.append(f"{EMULATOR_CLI.relative_to(ROOT)} is missing")
    try:
        import playwright.sync_api  # noqa: F401 - only asking whether it is installed
    except ImportError:
        problems.append("the Python package playwright is not installed")
    if not problems:
        return None
    return "; ".join(problems) + ". " + INSTALL_HINT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This environment without the Bot Framework credentials (the emulator needs no auth) and
    without settings that would point the emulator at another configuration or browser."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("Microsoft", "M365_AGENTS_PLAYGROUND", "TEAMSAPPTESTER", "TEAMS_APP")
        )
    }
    env.update(extra)
    return env


def _tail(path: Path, lines: int = 40, *, since: int = 0) -> str:
    """The last `lines` lines of the log at `path`, from byte `since` on."""
    try:
        with path.open("rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
    except FileNotFoundError:
        return "(no output)"
    return "\n".join(text.splitlines()[-lines:])


def _stop(process: subprocess.Popen[bytes], first: signal.Signals) -> None:
    if process.poll() is None:
        process.send_signal(first)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def import_roster(database_url: str, roster: Path, log: Path) -> None:
    """`icc-bot roster import`, as the programme admin would run it."""
    command = [sys.executable, "-m", "cli", "roster", "import", str(roster)]
    with log.open("ab") as out:
        result = subprocess.run(
            [*command, "--database-url", database_url],
            cwd=ROOT,
            env=_clean_env({}),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"roster import failed:\n{_tail(log)}")


@contextmanager
def bot_process(
    database_url: str, log: Path, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """`python app.py` on a free port; yields its /api/messages URL once /healthz answers."""
    port = free_port()
    settings = {"PORT": str(port), "HOST": "127.0.0.1", "DATABASE_URL": database_url}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env=_clean_env({**settings, **(env or {})}),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while _get(f"http://127.0.0.1:{port}/healthz") != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"app.py did not become healthy:\n{_tail(log)}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/api/messages"
    finally:
        _stop(process, signal.SIGINT)


@contextmanager
def emulator_process(bot_endpoint: str, workdir: Path, log: Path) -> Iterator[str]:
    """The Teams emulator (Agents Playground) for `bot_endpoint`; yields the URL of its web UI.

    It runs in `workdir` (it writes `devTools/` there and would read a
    `.m365agentsplayground.yml` from it: there is none, so its built-in users are the ones)."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError(INSTALL_HINT)
    workdir.mkdir(parents=True, exist_ok=True)
    wanted = free_port()
    command = [node, str(EMULATOR_CLI), "-e", bot_endpoint, "-c", "msteams", "--dt"]
    command += ["-p", str(wanted)]
    start = log.stat().st_size if log.exists() else 0
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            # No browser of its own: Playwright drives the one the tests launch.
            env=_clean_env({"TEAMSAPPTESTER_BROWSER": "none"}),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        # It falls back to a random port when the wanted one was taken meanwhile, and says which.
        deadline = time.monotonic() + 60
        port = None
        while port is None:
            found = re.search(r"Listening on (\d+)", _tail(log, 200, since=start))
            if found:
                port = int(found.group(1))
            elif process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Teams emulator did not start:\n{_tail(log, since=start)}")
            else:
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        while _get(url) != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the Teams emulator does not serve its UI:\n{_tail(log, since=start)}"
                )
            time.sleep(0.1)
        yield url
    finally:
        _stop(process, signal.SIGTERM)


@dataclass(frozen=True)
class Stack:
    emulator_url: str
    bot_endpoint: str
    database_url: str
    bot_log: Path
    emulator_log: Path


@contextmanager
def running_stack(
    workdir: Path,
    *,
    logs: Path | None = None,
    env: Mapping[str, str] | None = None,
    roster: Path = ROSTER,
) -> Iterator[Stack]:
    """A fresh database with `roster` imported, the bot on it, and the emulator in front of it."""
    workdir.mkdir(parents=True, exist_ok=True)
    logs = logs or workdir
    logs.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite+aiosqlite:///{workdir / 'bot.sqlite3'}"
    bot_log, emulator_log = logs / "bot.log", logs / "emulator.log"
    for log in (bot_log, emulator_log):
        log.write_bytes(b"")  # this run's output only
    import_roster(database_url, roster, bot_log)
    with ExitStack() as stack:
        endpoint = stack.enter_context(bot_process(database_url, bot_log, env))
        emulator = stack.enter_context(
            emulator_process(endpoint, workdir / "emulator", emulator_log)
        )
        yield Stack(emulator, endpoint, database_url, bot_log, emulator_log)
