"""Draws the Teams app icons, teams_app/manifest/color.png (192x192) and outline.png (32x32).

Teams wants a full-colour icon and a white-on-transparent outline icon. Both show one small
city skyline with a "sun" node, drawn here with the standard library only (zlib + struct write
the PNG), so the icons can be regenerated anywhere: `python tools/make_icons.py`.
"""

from __future__ import annotations

import argparse
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

RGBA = tuple[int, int, int, int]
Shape = Callable[[float, float], RGBA | None]  # (x, y) in the unit square -> paint or nothing

MANIFEST_DIR = Path(__file__).resolve().parent.parent / "teams_app" / "manifest"

EU_BLUE: RGBA = (0, 51, 153, 255)  # the manifest's accentColor, #003399
GOLD: RGBA = (255, 204, 0, 255)
WHITE: RGBA = (255, 255, 255, 255)
CLEAR: RGBA = (0, 0, 0, 0)

GROUND = (0.15, 0.86, 0.78, 0.82)  # x0, x1, y0, y1
# Gaps of at least 1/32 so the buildings stay apart in the 32-pixel outline icon.
BUILDINGS = [(0.19, 0.34, 0.46), (0.38, 0.55, 0.26), (0.59, 0.70, 0.52), (0.74, 0.84, 0.38)]
SUN = (0.75, 0.20, 0.075)  # centre x, centre y, radius


def _in_skyline(x: float, y: float) -> bool:
    x0, x1, y0, y1 = GROUND
    if x0 <= x < x1 and y0 <= y < y1:
        return True
    return any(left <= x < right and top <= y < y0 for left, right, top in BUILDINGS)


def _in_window(x: float, y: float) -> bool:
    """Windows in the tallest tower: a 2x4 grid of small squares."""
    left, _, top = BUILDINGS[1]
    for row in range(4):
        for col in range(2):
            wx = left + 0.03 + col * 0.07
            wy = top + 0.05 + row * 0.11
            if wx <= x < wx + 0.04 and wy <= y < wy + 0.06:
                return True
    return False


def _in_sun(x: float, y: float) -> bool:
    cx, cy, r = SUN
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def colour_shape(x: float, y: float) -> RGBA | None:
    if _in_sun(x, y):
        return GOLD
    if _in_skyline(x, y):
        return EU_BLUE if _in_window(x, y) else WHITE
    return EU_BLUE


def outline_shape(x: float, y: float) -> RGBA | None:
    return WHITE if _in_sun(x, y) or _in_skyline(x, y) else None


def render(shape: Shape, size: int, background: RGBA, samples: int = 4) -> list[list[RGBA]]:
    """Rasterise with `samples`² supersampling; coverage becomes alpha (premultiplied away)."""
    pixels: list[list[RGBA]] = []
    n = samples * samples
    for py in range(size):
        row: list[RGBA] = []
        for px in range(size):
            totals = [0, 0, 0, 0]
            for sy in range(samples):
                for sx in range(samples):
                    x = (px + (sx + 0.5) / samples) / size
                    y = (py + (sy + 0.5) / samples) / size
                    colour = shape(x, y) or background
                    alpha = colour[3]
                    for i in range(3):
                        totals[i] += colour[i] * alpha
                    totals[3] += alpha
            if totals[3] == 0:
                row.append(CLEAR)
            else:
                r, g, b = (round(totals[i] / totals[3]) for i in range(3))
                row.append((r, g, b, round(totals[3] / n)))
        pixels.append(row)
    return pixels


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png(pixels: list[list[RGBA]]) -> bytes:
    """An 8-bit RGBA, non-interlaced PNG (filter type 0 on every row)."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(v for pixel in row for v in pixel) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=MANIFEST_DIR, help="folder to write into")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "color.png").write_bytes(png(render(colour_shape, 192, EU_BLUE)))
    # The outline icon's edges stay crisp: every pixel is white or fully transparent.
    (out / "outline.png").write_bytes(png(render(outline_shape, 32, CLEAR, samples=1)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
