"""The known names closest to a mistyped one, for "Did you mean …?"."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from domain.text import slug


def closest_names(typed: str, known: Iterable[tuple[str, str]], n: int = 3) -> list[str]:
    """The names in `known` (name, short name) nearest to `typed`, best first: each name is
    compared by itself and by its short name ("green-buildings"), case and accents aside."""
    wanted = slug(typed)
    if not wanted:
        return []
    scores: dict[str, float] = {}
    for name, short in known:
        for candidate in (slug(name), short):
            score = difflib.SequenceMatcher(None, wanted, candidate).ratio()
            if score >= 0.6:
                scores[name] = max(score, scores.get(name, 0.0))
    return sorted(scores, key=lambda name: (-scores[name], name))[:n]


def did_you_mean(names: list[str]) -> str:
    """ " Did you mean A, B or C?" (Markdown-safe names are the caller's), or nothing."""
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f" Did you mean {listed}?"
