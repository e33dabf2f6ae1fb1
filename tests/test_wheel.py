"""The bot installs from its wheel: `pip install .` gives an `icc-bot` that works anywhere.

The wheel is built and installed offline into a folder of its own; the installed command then
runs outside the checkout, with the test environment's dependencies but without the checkout
(whose editable install the `-S` flag leaves out), so a module or a data file missing from the
wheel fails here rather than on a server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "dialogs", "domain", "scheduler", "storage", "teams_app")
BOT_ID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Installed:
    wheel_files: set[str]
    entry_points: str
    target: Path


def pip(*args: str, cwd: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, f"pip {' '.join(args)}:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("wheel")
    # Build from a copy: an in-tree build would leave build/ and egg-info in the checkout.
    source = work / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".*", "__pycache__", "build", "dist", "*.egg-info", "data", "test-output", "tests"
        ),
    )
    pip(
        "wheel", "--no-deps", "--no-build-isolation", "--no-index", ".", "-w", str(work), cwd=source
    )
    (wheel,) = work.glob("*.whl")
    target = work / "site"
    pip("install", "--no-deps", "--no-index", "--target", str(target), str(wheel), cwd=work)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
        return Installed(names, archive.read(entry_points).decode(), target)


def icc_bot(installed: Installed, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed `icc-bot`: the wheel's modules first, then the test environment's
    dependencies; no site (so no editable install of the checkout), run outside the checkout."""
    dependencies = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed.target), *dependencies])}
    env.pop("DATABASE_URL", None)
    code = (
        "import sys, cli\n"
        f"assert cli.__file__.startswith({str(installed.target)!r}), cli.__file__\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-S", "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_wheel_holds_every_module_the_migrations_and_the_teams_app_files(
    installed: Installed,
) -> None:
    checkout = {
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert {"app.py", "config.py", "cli.py", "domain/roster.py"} <= installed.wheel_files
    assert checkout - installed.wheel_files == set()  # every package, migrations included
    assert {
        "storage/migrations/script.py.mako",
        "teams_app/manifest/manifest.json",
        "teams_app/manifest/color.png",
        "teams_app/manifest/outline.png",
        "teams_app/validate_manifest.cjs",
    } <= installed.wheel_files
    assert "icc-bot = cli:main" in installed.entry_points.splitlines()


def test_the_installed_command_lists_its_subcommands(installed: Installed, tmp_path: Path) -> None:
    result = icc_bot(installed, "--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: icc-bot")
    for command in ("serve", "roster", "package"):
        assert f"    {command} " in result.stdout


def test_the_installed_command_checks_a_roster_against_a_migrated_database(
    installed: Installed, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    roster = ROOT / "examples" / "roster.yaml"

    result = icc_bot(installed, "roster", "check", str(roster), "--database-url", url, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "checked (nothing written). cities: 6 new" in result.stdout


def test_the_installed_command_builds_the_teams_app_package(
    installed: Installed, tmp_path: Path
) -> None:
    out = tmp_path / "appPackage.zip"
    node_project = ROOT / "tests" / "e2e"

    result = icc_bot(
        installed,
        *("package", "--bot-id", BOT_ID, "--out", str(out), "--node-project", str(node_project)),
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert "validator: []" in result.stdout.splitlines()
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
