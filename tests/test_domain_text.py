"""Text helpers shared by the domain and the edges."""

from __future__ import annotations

import pytest

from domain.text import base_conversation_id, slug


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
