"""A file the bot sends: our own type, so that features never build the SDK's attachments."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class File:
    name: str
    content_type: str
    content: bytes
