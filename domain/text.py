"""Small text helpers shared by the domain and the edges."""

from __future__ import annotations

import re
import unicodedata


def slug(text: str) -> str:
    """A stable key for a name: lower-case ASCII words joined by '-' ("Málaga" -> "malaga")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<])")


def escape_markdown(text: str) -> str:
    """User text as literal Markdown (links, emphasis, headings and HTML disarmed)."""
    return _MARKDOWN.sub(r"\\\1", text)


def one_line(text: str) -> str:
    return " ".join(text.split())


_THREAD_SUFFIX = re.compile(r";messageid=\d+$")


def base_conversation_id(conversation_id: str) -> str:
    """A channel post's conversation id carries `;messageid=<thread>`; the channel is the rest."""
    return _THREAD_SUFFIX.sub("", conversation_id)
