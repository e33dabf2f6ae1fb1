"""Real-client scenarios: the bot as `python app.py`, Microsoft's Teams emulator (Microsoft 365
Agents Playground) in front of it, and a person's clicks and typing through Playwright in
Debian's Chromium.

Every test in this folder is marked `e2e` (`pytest -m e2e` runs only them, `-m "not e2e"`
leaves them out); they run in the default `pytest` run and fail, never skip, when Chromium,
the Node packages or Playwright are missing.

One bot and one emulator serve the whole folder (`stack`, started once: ~5 s); each test gets
a fresh browser page on it (`teams`) and works in its own conversation or thread, so the
scenarios do not depend on each other. Screenshots of each scenario's final state, the bot's
and the emulator's logs, and a screenshot of the page of any failed test go to
`test-output/e2e/`.

A scenario that needs a bot configured otherwise (other `ICC_*` settings) starts a stack of its
own with `running_stack(workdir, env={...})` (tests/e2e/stack.py) and opens the emulator on it
with `open_teams` (tests/e2e/teams_ui.py); none needs to yet: the reminder scenario sets its
series up so that its first reminder falls due within the test, on the shared stack.

A message the bot sends on its own (a reminder, an agenda posted from the 1:1 chat) appears in
the channel as a new post by "Test Bot"; `Channel.bot_post` waits for it.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.stack import CHROMIUM, ROOT, Stack, prerequisites_missing, running_stack

if TYPE_CHECKING:
    # Imported where used: without Playwright, this folder's tests fail with a hint on how to
    # install it, and the rest of the suite still runs.
    from playwright.sync_api import Browser, Playwright

    from tests.e2e.teams_ui import TeamsClient

HERE = Path(__file__).resolve().parent
OUTPUT = ROOT / "test-output" / "e2e"
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keeps each phase's report, so `teams` knows whether to save a failure screenshot."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="package")
def e2e_output() -> Path:
    """test-output/e2e/, emptied of the last run's screenshots."""
    missing = prerequisites_missing()
    if missing is not None:
        pytest.fail(missing, pytrace=False)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT.glob("*.png"):
        old.unlink()
    return OUTPUT


@pytest.fixture(scope="package")
def stack(e2e_output: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The bot (fresh SQLite file, the emulator's user in the roster) and the emulator."""
    with running_stack(tmp_path_factory.mktemp("e2e"), logs=e2e_output / "logs") as running:
        yield running


@pytest.fixture(scope="package")
def playwright(e2e_output: Path) -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium; Playwright's own browser downloads cannot work here."""
    from tests.e2e.teams_ui import CHROMIUM_FLAGS

    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def teams(
    request: pytest.FixtureRequest, browser: Browser, stack: Stack, e2e_output: Path
) -> Iterator[TeamsClient]:
    from tests.e2e.teams_ui import open_teams

    with open_teams(browser, stack.emulator_url, e2e_output) as client:
        yield client
        reports = request.node.stash.get(REPORTS, {})
        if "call" in reports and reports["call"].failed:
            client.screenshot(f"{request.node.name}-failure")
