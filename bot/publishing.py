"""One way to publish a card: to the channel linked to a city or TAG, else as a reply here.

Minutes, agendas and summaries all do the same thing once saved: post the card where the
people it concerns read it (the linked team channel), tell the person who saved it where it
went, and remember the posted message (its conversation and activity id) so that it can be
edited later through card sync. A card over Teams' message size goes out in parts. When Teams
is not taking messages the post stays queued in the outbox (`record` is told the activity id
once it is delivered); when the channel is gone for good the card is shown here instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.cards import Card, split_card
from bot.outbound import DeliveryError, Target
from bot.turn import Turn
from domain.text import escape_markdown as md
from storage.models import Channel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wording:
    """What the person who saved it is told; `{where}` is the channel's name (escaped)."""

    # The text above the card when it is posted here (None: the card alone).
    here: str | None
    posted: str
    queued: str
    failed: str
    # The channel's name when it has none.
    somewhere: str
    # Repeat the card in the confirmation here (minutes do: the writer checks what went out).
    echo: bool = False


@dataclass(frozen=True)
class Published:
    service_url: str
    conversation_id: str
    # None while the post is queued (`record` learns it), or when it could not be posted.
    activity_id: str | None
    # False: the channel refused it for good; the card was shown here instead.
    delivered: bool = True


async def publish(
    turn: Turn,
    channel: Channel | None,
    card: Card,
    *,
    record: str,
    remember: Callable[[Published], None],
    wording: Wording,
    what: str,
) -> Published:
    """Post `card` to `channel` (or here, when there is none or it is this conversation).

    `record` is the outbox handler told the activity id of a queued first part
    ("<feature>-posted:<id>"); `remember` stores where it went on the item, committed before
    the confirmation is sent; `what` names the item in the log ("minutes 12")."""
    if channel is None or channel.conversation_id == turn.conversation_id:
        # Where it goes is known before it is sent: a queued reply records its id there.
        remember(Published(turn.service_url, turn.reply_conversation_id, None))
        reply = await turn.reply(wording.here, card, on_sent=record)
        here = Published(turn.service_url, turn.reply_conversation_id, reply.id)
        remember(here)
        await turn.commit()
        return here
    target = Target(channel.service_url, channel.conversation_id, channel.tenant_id)
    where = md(channel.name or wording.somewhere)
    remember(Published(channel.service_url, channel.conversation_id, None))
    activity_id: str | None = None
    queued = False
    try:
        for number, part in enumerate(split_card(card)):
            sent = await turn.post(target, part, on_sent=record if number == 0 else None)
            activity_id = activity_id or sent
            queued = queued or sent is None
    except DeliveryError as error:
        log.warning("%s could not be posted to channel %s: %s", what, channel.id, error)
        failed = Published(channel.service_url, channel.conversation_id, activity_id, False)
        remember(failed)
        await turn.reply(wording.failed.format(where=where), card)
        return failed
    posted = Published(channel.service_url, channel.conversation_id, activity_id)
    remember(posted)
    await turn.commit()
    text = (wording.queued if queued else wording.posted).format(where=where)
    await turn.reply(text, card if wording.echo else None)
    return posted
