"""Small text helpers shared by the domain and the edges."""

from __future__ import annotations

import re
import unicodedata


def slug(text: str) -> str:
    """A stable key for a name: lower-case ASCII words joined by '-' ("Málaga" -> "malaga")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


# Every character that can start Markdown in a Teams message or an Adaptive Card TextBlock
# (links, emphasis, code, headings, lists, quotes, tables, HTML and entities).
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<=&])")


def counted(number: int, one: str, many: str | None = None) -> str:
    """ "1 voter", "2 voters", "0 voters": the count with its noun in the right number."""
    return f"{number} {one if number == 1 else (many or one + 's')}"


def shorten(text: str, limit: int | None) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut."""
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def escape_markdown(text: str, limit: int | None = None) -> str:
    """User text as literal Markdown (links, emphasis, headings and HTML disarmed), optionally
    shortened first. The one rule for user text in any reply, plain or card: our own Markdown
    (a backticked command, a bold label) is written around it, never through it."""
    return _MARKDOWN.sub(r"\\\1", shorten(text, limit))


def quote(text: str, limit: int = 60) -> str:
    """User text quoted inside a sentence of a reply: “…”, shortened and escaped."""
    return f"“{escape_markdown(text.strip(), limit)}”"


# Invisible characters that only hide a difference: zero-width space, word joiner, BOM,
# soft hyphen, Mongolian vowel separator. Joiners (U+200C/U+200D) are kept in stored text:
# emoji sequences and several scripts need them.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\u180e]")


def strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)


# Cyrillic and Greek letters that Unicode's confusables table (UTS #39) maps to a Latin
# letter, in the forms that remain after NFKC: the look-alikes a keyboard layout or a paste
# actually produces. Upper and lower case both, because mapping comes before casefolding.
_LOOK_ALIKES = str.maketrans(
    {
        **dict(zip("АВЕЅІЈКМНОРСТХУԚԜ", "ABESIJKMHOPCTXYQW", strict=True)),
        **dict(zip("аеѕіјорсухһԛԝӏ", "aesijopcyxhqwl", strict=True)),
        **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),
        **dict(zip("αοιρνγϲϳ", "aoipvycj", strict=True)),
    }
)


def comparison_key(text: str) -> str:
    """What two texts that read the same share: NFKC (full-width and other compatibility
    forms), no format characters (category Cf: zero-width, direction marks), Cyrillic and
    Greek look-alikes as the Latin letter, case folded, spacing collapsed. For comparing only:
    never shown or stored."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = text.translate(_LOOK_ALIKES).casefold()
    return " ".join(unicodedata.normalize("NFKC", text).split())


def one_line(text: str) -> str:
    return " ".join(text.split())


_THREAD_SUFFIX = re.compile(r";messageid=\d+$")


def base_conversation_id(conversation_id: str) -> str:
    """A channel post's conversation id carries `;messageid=<thread>`; the channel is the rest."""
    return _THREAD_SUFFIX.sub("", conversation_id)
