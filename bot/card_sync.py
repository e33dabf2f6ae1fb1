"""Cards kept in step with the database: coalesced in-place updates that survive crashes.

A feature stores a `card_version` (bumped by every change) and a `synced_version` (what the
card in Teams shows) beside the card's activity id. `CardSync.request(id)` asks for an update;
the coalescer keeps at most one in flight per card and re-reads the state when it runs, so a
burst of changes gives a few updates paced by Teams' rate limits, the last one exact.
`catch_up` at start-up finds cards left behind (a crash, a refused update) and updates them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import cards
from bot.coalesce import Coalescer
from bot.outbound import ConversationGone, Target
from bot.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CardState:
    target: Target
    activity_id: str
    card: cards.Card
    version: int


def card_message(card: cards.Card) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [{"contentType": cards.CONTENT_TYPE, "content": card}],
    }


class CardSync:
    def __init__(
        self,
        services: Services,
        name: str,
        load: Callable[[AsyncSession, int], Awaitable[CardState | None]],
        mark_synced: Callable[[AsyncSession, int, int], Awaitable[None]],
        out_of_sync: Callable[[AsyncSession], Awaitable[list[int]]],
    ) -> None:
        self.services = services
        self.name = name
        self._load = load
        self._mark_synced = mark_synced
        self._out_of_sync = out_of_sync
        self.coalescer = Coalescer(self._refresh, name=f"{name} card update")

    def request(self, item_id: int) -> None:
        self.coalescer.request(item_id)

    async def _refresh(self, key: Hashable) -> None:
        item_id = int(str(key))
        async with self.services.database.unit_of_work() as session:
            state = await self._load(session, item_id)
        if state is None:
            return
        try:
            await self.services.require_outbound().update(
                state.target, state.activity_id, card_message(state.card)
            )
        except ConversationGone as error:
            # The card or the bot is gone from that conversation; nothing left to update.
            log.warning(
                "%s %s card can no longer be updated (%s); giving up on it",
                self.name,
                item_id,
                error.status,
            )
        async with self.services.database.unit_of_work() as session:
            await self._mark_synced(session, item_id, state.version)

    async def catch_up(self) -> int:
        async with self.services.database.unit_of_work() as session:
            stale = await self._out_of_sync(session)
        for item_id in stale:
            self.request(item_id)
        if stale:
            log.info("bringing %d %s card(s) up to date", len(stale), self.name)
        return len(stale)

    async def close(self) -> None:
        await self.coalescer.close()
