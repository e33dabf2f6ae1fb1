"""Our cards and files as the SDK's `Attachment`: the one place that builds them."""

from __future__ import annotations

import base64

from botbuilder.core import CardFactory
from botbuilder.schema import Attachment

from bot.cards import Card
from bot.files import File


def attachment(content: Card) -> Attachment:
    return CardFactory.adaptive_card(content)


def file_attachment(file: File) -> Attachment:
    """Sent inline as a data: URI (what the Teams emulator shows; real Teams accepts it only for
    images — issue 20 moves files to the consent flow)."""
    encoded = base64.b64encode(file.content).decode("ascii")
    return Attachment(
        content_type=file.content_type,
        content_url=f"data:{file.content_type};base64,{encoded}",
        name=file.name,
    )
