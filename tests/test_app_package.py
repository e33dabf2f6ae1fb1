"""The Teams app package: `icc-bot package` builds it, Microsoft's validator accepts it."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_DIR = ROOT / "teams_app" / "manifest"
README = ROOT / "README.md"
BOT_ID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
SCOPES = {"personal", "team", "groupChat"}


def build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "package", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )


@dataclass(frozen=True)
class Built:
    files: dict[str, bytes]
    manifest: dict[str, Any]
    stdout: str


def built(folder: Path, *args: str) -> Built:
    out = folder / "appPackage.zip"
    result = build("--bot-id", BOT_ID, "--out", str(out), *args)
    assert result.returncode == 0, f"build failed:\n{result.stdout}\n{result.stderr}"
    with zipfile.ZipFile(out) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return Built(files, json.loads(files["manifest.json"]), result.stdout)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The real package, built once: each build runs Microsoft's validator (a few seconds)."""
    return built(tmp_path_factory.mktemp("package"))


def png_size(raw: bytes) -> tuple[int, int]:
    assert raw.startswith(b"\x89PNG\r\n\x1a\n")
    assert raw[12:16] == b"IHDR"
    width, height = struct.unpack(">II", raw[16:24])
    return width, height


def png(width: int, height: int, pixel: tuple[int, int, int, int]) -> bytes:
    """A one-colour 8-bit RGBA PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = (b"\x00" + bytes(pixel) * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def command_words(markdown: str) -> set[str]:
    """The first word of each command in the markdown's `| command | what it does |` tables."""
    words: set[str] = set()
    in_table = False
    for line in markdown.splitlines():
        if re.match(r"^\|\s*command\s*\|", line):
            in_table = True
        elif not line.startswith("|"):
            in_table = False
        elif in_table and (match := re.match(r"^\|\s*`([a-z]+)", line)):
            words.add(match.group(1))
    return words


def copy_manifest(tmp_path: Path) -> Path:
    folder = tmp_path / "manifest"
    shutil.copytree(MANIFEST_DIR, folder)
    return folder / "manifest.json"


def test_the_package_builds_and_microsofts_validator_reports_no_errors(package: Built) -> None:
    manifest = package.manifest

    assert "validator: []" in package.stdout.splitlines()
    assert sorted(package.files) == ["color.png", "manifest.json", "outline.png"]
    assert manifest["$schema"].endswith(
        f"/v{manifest['manifestVersion']}/MicrosoftTeams.schema.json"
    )
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert str(uuid.UUID(manifest["id"])) == manifest["id"]
    assert "${{" not in json.dumps(manifest)


def test_the_bot_is_installable_in_every_scope_and_sends_files_by_consent(package: Built) -> None:
    manifest = package.manifest

    (bot,) = manifest["bots"]
    assert set(bot["scopes"]) == SCOPES
    # The file consent flow in 1:1 chats (bot/file_delivery.py) needs it.
    assert bot["supportsFiles"] is True
    assert manifest["name"]["short"] == "ICC bot"
    assert "Intelligent Cities Challenge" in manifest["description"]["full"]


def test_the_app_id_is_stable_for_a_bot_unless_given(package: Built, tmp_path: Path) -> None:
    again = built(tmp_path / "again")
    given = "11111111-2222-3333-4444-555555555555"
    chosen = built(tmp_path / "chosen", "--app-id", given)

    assert package.manifest["id"] == again.manifest["id"] != BOT_ID
    assert again.files == package.files  # the same inputs give the same package
    assert chosen.manifest["id"] == given


def test_the_icons_have_the_sizes_teams_requires(package: Built) -> None:
    icons = package.manifest["icons"]

    assert png_size(package.files[icons["color"]]) == (192, 192)
    assert png_size(package.files[icons["outline"]]) == (32, 32)


# The chat commands the design asks for: whatever else changes, these stay.
DESIGNED = {"help", "poll", "minutes", "actions", "agenda", "summary", "remind"}


def test_the_command_list_matches_the_chat_commands(package: Built) -> None:
    from dialogs import build_router

    answered = set(build_router().commands)  # what the bot answers to
    documented = command_words(README.read_text(encoding="utf-8"))  # the contract
    assert documented >= DESIGNED
    assert documented == answered, "README's command table and the bot's commands differ"

    lists = package.manifest["bots"][0]["commandLists"]
    assert sorted(scope for entry in lists for scope in entry["scopes"]) == sorted(SCOPES)
    for entry in lists:
        titles = [command["title"] for command in entry["commands"]]
        assert len(titles) == len(set(titles))
        # Teams offers exactly the commands of README's table.
        assert set(titles) == documented, entry["scopes"]
        for command in entry["commands"]:
            assert len(command["title"]) <= 32
            assert 0 < len(command["description"]) <= 128


def test_an_invalid_bot_scope_fails_the_build_with_the_validators_error(tmp_path: Path) -> None:
    template = copy_manifest(tmp_path)
    manifest = json.loads(template.read_text(encoding="utf-8"))
    manifest["bots"][0]["scopes"] = ["personal", "everywhere"]
    template.write_text(json.dumps(manifest), encoding="utf-8")
    out = tmp_path / "appPackage.zip"

    result = build("--bot-id", BOT_ID, "--manifest", str(template), "--out", str(out))

    assert result.returncode == 1, result.stderr
    (validator_line,) = [
        line for line in result.stdout.splitlines() if line.startswith("validator:")
    ]
    errors = json.loads(validator_line.removeprefix("validator:"))
    assert any(error.startswith("/bots/0/scopes/1 ") for error in errors), errors
    assert "/bots/0/scopes/1" in result.stderr
    assert not out.exists()


def test_an_outline_icon_without_transparency_fails_the_build(tmp_path: Path) -> None:
    template = copy_manifest(tmp_path)
    (template.parent / "outline.png").write_bytes(png(32, 32, (255, 255, 255, 255)))
    out = tmp_path / "appPackage.zip"

    result = build("--bot-id", BOT_ID, "--manifest", str(template), "--out", str(out))

    assert result.returncode == 1
    assert "outline icon has no transparent pixels" in result.stderr
    assert not out.exists()


def test_icons_of_the_wrong_size_or_colour_fail_the_build(tmp_path: Path) -> None:
    template = copy_manifest(tmp_path)
    (template.parent / "color.png").write_bytes(png(96, 96, (0, 51, 153, 255)))
    (template.parent / "outline.png").write_bytes(png(32, 32, (0, 51, 153, 128)))

    result = build(
        "--bot-id", BOT_ID, "--manifest", str(template), "--out", str(tmp_path / "p.zip")
    )

    assert result.returncode == 1
    assert "color icon is 96x96, must be 192x192" in result.stderr
    assert "outline icon has no transparent pixels" in result.stderr
    assert "visible pixels that are not white" in result.stderr


def test_a_bot_id_that_is_not_a_guid_is_refused(tmp_path: Path) -> None:
    result = build("--bot-id", "my-bot", "--out", str(tmp_path / "appPackage.zip"))

    assert result.returncode == 2
    assert "not a GUID" in result.stderr
