"""What an incoming activity tells the bot, in our own types (bot/sdk/activities.py reads them
from the SDK's Activity)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class MalformedActivity(ValueError):
    """The activity lacks what any reply needs (a conversation, a service URL)."""


@dataclass(frozen=True)
class Sender:
    """Who sent an activity, as Teams tells us."""

    user_id: str
    aad_object_id: str | None
    name: str


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A JSON body may carry half of a UTF-16 pair ("\ud800"): Python keeps it, but it cannot be
# encoded for the database or a reply, so it becomes U+FFFD as any decoder would make it.
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean(value: Any) -> Any:
    """User input without control characters (PostgreSQL refuses NUL in text; none belong in
    a card or an export) or lone surrogates, recursively through card-submit values."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", _CONTROL.sub("", value))
    if isinstance(value, dict):
        return {clean(key): clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value
