"""Text helpers shared by the domain and the edges."""

from __future__ import annotations

import pytest

from domain.text import (
    base_conversation_id,
    comparison_key,
    escape_markdown,
    quote,
    slug,
    strip_invisible,
)


@pytest.mark.parametrize(
    ("conversation_id", "channel"),
    [
        ("19:abc@thread.tacv2;messageid=1700000000000", "19:abc@thread.tacv2"),
        ("19:abc@thread.tacv2", "19:abc@thread.tacv2"),
        ("a:1xyz-personal-chat", "a:1xyz-personal-chat"),
        (
            "19:abc@thread.tacv2;messageid=not-a-number",
            "19:abc@thread.tacv2;messageid=not-a-number",
        ),
    ],
)
def test_a_thread_belongs_to_its_channel(conversation_id: str, channel: str) -> None:
    assert base_conversation_id(conversation_id) == channel


def test_slugs_are_ascii_words() -> None:
    assert slug("  Málaga / Côte d'Azur ") == "malaga-cote-d-azur"


@pytest.mark.parametrize(
    ("typed", "other"),
    [
        ("Java", "J\u0430v\u0430"),
        ("Java", "ＪＡＶＡ"),
        ("Java", "J\u200ba\u200dv\u2060a"),
        ("heat  pumps", " Heat Pumps "),
        ("\u03a4\u039f\u03a1", "top"),
        ("Straße", "STRASSE"),
        ("Café", "Cafe\u0301"),
    ],
)
def test_texts_that_read_the_same_share_a_comparison_key(typed: str, other: str) -> None:
    assert comparison_key(typed) == comparison_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Java", "Jawa"),
        ("Paris", "\u03a0\u03ac\u03c1\u03b9\u03c2"),
        ("\u0434\u0430", "\u043d\u0435\u0442"),
        ("Cafe", "Café"),
    ],
)
def test_texts_that_differ_keep_different_keys(one: str, other: str) -> None:
    assert comparison_key(one) != comparison_key(other)


def test_user_markup_is_escaped_and_quoted_text_is_shortened() -> None:
    assert escape_markdown("[x](http://evil.example)") == r"\[x\]\(http://evil\.example\)"
    assert escape_markdown("**b** <at>A</at> # h &amp;") == r"\*\*b\*\* \<at\>A\</at\> \# h \&amp;"
    assert escape_markdown("abcdef", 4) == "abc…"
    assert quote("  [x]  ") == r"“\[x\]”"


def test_invisible_characters_go_and_joiners_stay() -> None:
    assert strip_invisible("a\u200bb\u2060c\ufeffd\u00ade") == "abcde"
    assert strip_invisible("👩\u200d💻") == "👩\u200d💻"
