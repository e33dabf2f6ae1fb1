"""Small text helpers shared by the domain and the edges."""

from __future__ import annotations

import re
import unicodedata


def slug(text: str) -> str:
    """A stable key for a name: lower-case ASCII words joined by '-' ("Málaga" -> "malaga")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
