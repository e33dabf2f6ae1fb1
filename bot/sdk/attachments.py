"""Our cards as the SDK's `Attachment`: the one place that builds them (files go by
bot/file_delivery.py: real Teams refuses them as data: URIs)."""

from __future__ import annotations

from botbuilder.core import CardFactory
from botbuilder.schema import Attachment

from bot.cards import Card


def attachment(content: Card) -> Attachment:
    return CardFactory.adaptive_card(content)
