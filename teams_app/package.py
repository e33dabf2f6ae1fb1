"""Builds the Teams app package (appPackage.zip) and validates it with Microsoft's validator.

Fills the bot's Azure app id (and the Teams app id) into manifest/manifest.json, checks the two
icons (color 192x192; outline 32x32, white on transparent), writes the zip with manifest.json and
the icons at its root, and validates that manifest with `@microsoft/app-manifest` (run by node
through validate_manifest.cjs, offline, against the schema bundled in the package). The zip is
kept only if everything passes. `icc-bot package` (cli.py) runs it. The Node packages come from
`npm ci --prefix tests/e2e`.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest" / "manifest.json"
VALIDATOR = HERE / "validate_manifest.cjs"
# Where `npm ci --prefix tests/e2e` put the validator: the checkout this module lives in, else
# (installed from a wheel) the directory the command runs in.
CHECKOUT_NODE_PROJECT = HERE.parent / "tests" / "e2e"
BOT_ID_PLACEHOLDER = "${{BOT_ID}}"
APP_ID_PLACEHOLDER = "${{TEAMS_APP_ID}}"
# The Teams app id is derived from the bot id unless given, so that rebuilding the package for
# the same bot yields the same app (Teams treats a new id as a different app).
APP_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "icc-bot.intelligentcitieschallenge.eu")
COLOR_SIZE = (192, 192)
OUTLINE_SIZE = (32, 32)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same inputs give the same bytes

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


class BuildError(Exception):
    """The package cannot be built (bad input or setup); exit status 2."""


@dataclass(frozen=True)
class Png:
    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlaced: bool
    palette: bytes
    transparency: bytes
    data: bytes  # the concatenated, still compressed IDAT chunks

    @classmethod
    def read(cls, raw: bytes) -> Png:
        if not raw.startswith(PNG_SIGNATURE):
            raise ValueError("not a PNG file")
        header: bytes | None = None
        palette = transparency = b""
        data = bytearray()
        for kind, body in _chunks(raw):
            if kind == b"IHDR":
                header = body
            elif kind == b"PLTE":
                palette = body
            elif kind == b"tRNS":
                transparency = body
            elif kind == b"IDAT":
                data += body
        if header is None or len(header) != 13:
            raise ValueError("PNG without a valid IHDR chunk")
        width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
        return cls(width, height, depth, colour, interlace == 1, palette, transparency, bytes(data))

    def rgba(self) -> list[tuple[int, int, int, int]]:
        """Every pixel as RGBA; 8-bit, non-interlaced images only (what the icon check needs)."""
        if self.bit_depth != 8 or self.interlaced or self.colour_type not in CHANNELS:
            raise ValueError(
                "cannot read this PNG's pixels (save it as 8-bit RGBA, not interlaced)"
            )
        channels = CHANNELS[self.colour_type]
        rows = _unfilter(zlib.decompress(self.data), self.width, self.height, channels)
        return [
            self._pixel(row[i : i + channels]) for row in rows for i in range(0, len(row), channels)
        ]

    def _pixel(self, sample: bytes) -> tuple[int, int, int, int]:
        if self.colour_type == 6:
            return (sample[0], sample[1], sample[2], sample[3])
        if self.colour_type == 4:
            return (sample[0], sample[0], sample[0], sample[1])
        if self.colour_type == 3:
            index = sample[0]
            r, g, b = self.palette[3 * index : 3 * index + 3]
            alpha = self.transparency[index] if index < len(self.transparency) else 255
            return (r, g, b, alpha)
        # Colour types 0 and 2: opaque unless the pixel matches the tRNS colour key.
        rgb = (sample[0],) * 3 if self.colour_type == 0 else (sample[0], sample[1], sample[2])
        key = self.transparency[1::2]
        transparent = bool(key) and tuple(key) == tuple(sample)
        return (*rgb, 0 if transparent else 255)


def _chunks(raw: bytes) -> Iterator[tuple[bytes, bytes]]:
    offset = len(PNG_SIGNATURE)
    while offset + 8 <= len(raw):
        (length,) = struct.unpack(">I", raw[offset : offset + 4])
        kind = raw[offset + 4 : offset + 8]
        body = raw[offset + 8 : offset + 8 + length]
        if len(body) != length:
            raise ValueError("truncated PNG")
        yield kind, body
        if kind == b"IEND":
            return
        offset += 12 + length
    raise ValueError("PNG without an IEND chunk")


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> list[bytes]:
    stride = width * bpp
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if len(line) != stride:
            raise ValueError("PNG image data is too short")
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            up_left = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[i] = (line[i] + predictor) & 0xFF
            elif kind != 0:
                raise ValueError(f"unknown PNG filter type {kind}")
        rows.append(bytes(line))
        previous = line
    return rows


def icon_problems(color: bytes, outline: bytes) -> list[str]:
    """What Teams would reject in the two icons: their sizes, and the outline's transparency."""
    problems: list[str] = []
    try:
        color_png = Png.read(color)
        if (color_png.width, color_png.height) != COLOR_SIZE:
            problems.append(f"color icon is {color_png.width}x{color_png.height}, must be 192x192")
    except ValueError as error:
        problems.append(f"color icon: {error}")
    try:
        outline_png = Png.read(outline)
    except ValueError as error:
        return [*problems, f"outline icon: {error}"]
    if (outline_png.width, outline_png.height) != OUTLINE_SIZE:
        problems.append(f"outline icon is {outline_png.width}x{outline_png.height}, must be 32x32")
    try:
        pixels = outline_png.rgba()
    except ValueError as error:
        return [*problems, f"outline icon: {error}"]
    if not any(alpha == 0 for *_, alpha in pixels):
        problems.append(
            "outline icon has no transparent pixels: its background must be transparent"
        )
    if not any(alpha > 0 for *_, alpha in pixels):
        problems.append("outline icon is fully transparent")
    coloured = sum(1 for r, g, b, alpha in pixels if alpha > 0 and (r, g, b) != (255, 255, 255))
    if coloured:
        problems.append(f"outline icon has {coloured} visible pixels that are not white")
    return problems


def fill(template: Any, values: dict[str, str]) -> Any:
    """The manifest with every placeholder in its strings replaced."""
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    if isinstance(template, str):
        for placeholder, value in values.items():
            template = template.replace(placeholder, value)
    return template


def default_node_project() -> Path:
    return CHECKOUT_NODE_PROJECT if CHECKOUT_NODE_PROJECT.is_dir() else Path("tests", "e2e")


def app_id_for(bot_id: str) -> str:
    return str(uuid.uuid5(APP_ID_NAMESPACE, bot_id.lower()))


def validate(manifest_file: Path, node_project: Path) -> list[str]:
    """Microsoft's schema validation of one manifest.json: [] when valid."""
    node = shutil.which("node")
    if node is None:
        raise BuildError("node is not installed (the validator runs on Node.js 20)")
    result = subprocess.run(
        [node, str(VALIDATOR), str(manifest_file), str(node_project)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if result.returncode not in (0, 1):
        raise BuildError(f"the validator could not run: {result.stderr.strip()}")
    errors = json.loads(result.stdout)
    if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
        raise BuildError(f"unexpected validator output: {result.stdout!r}")
    return errors


def _zip_entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    return entry


def build(
    template_file: Path, bot_id: str, app_id: str, out: Path, node_project: Path
) -> list[str]:
    """Writes the package to `out` if it is valid; returns every problem found (none: valid)."""
    try:
        template = json.loads(template_file.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        raise BuildError(f"cannot read {template_file}: {error}") from error
    manifest = fill(template, {BOT_ID_PLACEHOLDER: bot_id, APP_ID_PLACEHOLDER: app_id})
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    if "${{" in text:
        raise BuildError(f"{template_file} has a placeholder this tool does not fill")
    icons = manifest.get("icons") or {}
    names = {"color": icons.get("color"), "outline": icons.get("outline")}
    files: dict[str, bytes] = {}
    for role, name in names.items():
        if not isinstance(name, str) or "/" in name or "\\" in name:
            raise BuildError(f"icons.{role} must name a file beside the manifest, got {name!r}")
        try:
            files[name] = (template_file.parent / name).read_bytes()
        except OSError as error:
            raise BuildError(f"cannot read the {role} icon: {error}") from error
    problems = icon_problems(files[str(names["color"])], files[str(names["outline"])])

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".appPackage-") as work:
        package = Path(work) / out.name
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr(_zip_entry("manifest.json"), text.encode("utf-8"))
            for name, content in files.items():
                archive.writestr(_zip_entry(name), content)
        # Validate what was packed, read back from the zip.
        unpacked = Path(work) / "manifest.json"
        with zipfile.ZipFile(package) as archive:
            unpacked.write_bytes(archive.read("manifest.json"))
        errors = validate(unpacked, node_project)
        print(f"validator: {json.dumps(errors)}")
        problems.extend(f"manifest: {error}" for error in errors)
        if not problems:
            os.replace(package, out)
    return problems
