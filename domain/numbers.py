"""The one reader of numbers people type or cards submit: ids, counts, minutes.

Only ASCII digits count ("²" and "٣" are digits to `str.isdigit` but not to us), values stay
inside what the database's INTEGER column holds, and floats must be finite. Every reader
answers None for anything else, so a caller says one clear thing instead of failing later.
"""

from __future__ import annotations

import math
import re

# PostgreSQL INTEGER (and SQLite's rowids as we use them): ids above this cannot exist.
MAX_ID = 2**31 - 1

_ASCII_INT = re.compile(r"[+]?[0-9]{1,18}")


def parse_int(raw: object, *, low: int, high: int) -> int | None:
    """A whole number between `low` and `high` from a str or an int (not a bool), else None.

    Text may carry a leading `#` ("#12") and surrounding spaces; a float is accepted only when
    it is finite and whole (Adaptive Cards' Input.Number submits `5.0` as well as `5`)."""
    value: int
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not math.isfinite(raw) or not raw.is_integer():
            return None
        value = int(raw)
    elif isinstance(raw, str):
        text = raw.strip().removeprefix("#").strip()
        if text.endswith(".0"):  # what a number input may submit as text
            text = text[:-2]
        if not _ASCII_INT.fullmatch(text):
            return None
        value = int(text)
    else:
        return None
    return value if low <= value <= high else None


def parse_id(raw: object) -> int | None:
    """A database id (1 … MAX_ID) from a card's data or a typed `#12`, else None."""
    return parse_int(raw, low=1, high=MAX_ID)


def parse_ids(raw: object, *, most: int) -> tuple[int, ...] | None:
    """Ids written as "12,13,14" (a card's list of the items it shows): each an id, none twice,
    at most `most` of them; "" is none. None for anything else."""
    if not isinstance(raw, str):
        return None
    if not raw.strip():
        return ()
    ids = tuple(parse_id(part) for part in raw.split(","))
    if len(ids) > most or any(i is None for i in ids) or len(set(ids)) != len(ids):
        return None
    return tuple(i for i in ids if i is not None)
