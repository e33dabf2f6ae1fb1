"""Time zones as people type them: "Europe/Rome", "rome", "UTC"."""

from __future__ import annotations

import zoneinfo
from functools import cache


@cache
def _zones() -> dict[str, str]:
    """Lower-cased zone names, and their last part ("rome" -> "Europe/Rome") where unique."""
    names = sorted(zoneinfo.available_timezones())
    by_name = {name.lower(): name for name in names}
    by_city: dict[str, list[str]] = {}
    for name in names:
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/")):
            by_city.setdefault(name.rsplit("/", 1)[1].lower().replace("_", " "), []).append(name)
    for city, candidates in by_city.items():
        if len(candidates) == 1:
            by_name.setdefault(city, candidates[0])
    return by_name


def resolve_zone(text: str) -> str | None:
    """The IANA name meant by `text`, or None if it names no zone."""
    key = " ".join(text.strip().split()).lower()
    if not key:
        return None
    zones = _zones()
    return zones.get(key) or zones.get(key.replace(" ", "_")) or zones.get(key.replace("_", " "))
