"""Cards kept in step with the database: coalesced in-place updates that survive crashes.

A feature stores a `card_version` (bumped by every change) and a `synced_version` (what the
card in Teams shows) beside the card's activity id. `CardSync.request(id)` asks for an update;
the coalescer keeps at most one in flight per card and re-reads the state when it runs, so a
burst of changes gives a few updates paced by Teams' rate limits, the last one exact.
Each update is a card row in the outbox (bot/outbox.py): while Teams refuses it, it stays
queued with the latest state (a newer one replaces it) and the drain loop retries it, marking
the card synced once delivered. `catch_up` at start-up finds cards left behind (a crash before
the update was queued) and updates them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cards
from bot.coalesce import Coalescer
from bot.outbound import ConversationGone, DeliveryFailed, Target
from bot.outbox import Message, Outbox, Outcome
from storage import channels
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CardState:
    target: Target
    activity_id: str
    card: cards.Card
    version: int


class PostedCard(Protocol):
    """A row whose card was posted: where it is, and which version of it is current."""

    @property
    def service_url(self) -> str | None: ...
    @property
    def conversation_id(self) -> str | None: ...
    @property
    def activity_id(self) -> str | None: ...
    @property
    def card_version(self) -> int: ...


Item = TypeVar("Item", bound=PostedCard)


async def state_of(
    session: AsyncSession, item: Item | None, draw: Callable[[Item], Awaitable[cards.Card]]
) -> CardState | None:
    """The card an item's posted message should show, or None while it has no posted message
    (not yet delivered, or gone); `draw(item)` is called only then."""
    if item is None or not (item.activity_id and item.conversation_id and item.service_url):
        return None
    return CardState(
        Target(
            item.service_url,
            item.conversation_id,
            await channels.tenant_of(session, item.conversation_id),
        ),
        item.activity_id,
        await draw(item),
        item.card_version,
    )


class CardSync:
    def __init__(
        self,
        outbox: Outbox,
        database: Database,
        name: str,
        load: Callable[[AsyncSession, int], Awaitable[CardState | None]],
        mark_synced: Callable[[AsyncSession, int, int], Awaitable[None]],
        out_of_sync: Callable[[AsyncSession], Awaitable[list[int]]],
        record_posted: Callable[[AsyncSession, int, str | None], Awaitable[bool]] | None = None,
    ) -> None:
        """`record_posted` stores the activity id of a card whose first post was queued
        (`on_sent="<name>-posted:<id>"`); the card is then brought up to date, since it was
        drawn when it was queued."""
        self.outbox = outbox
        self.database = database
        self.name = name
        self._load = load
        self._mark_synced = mark_synced
        self._out_of_sync = out_of_sync
        self.coalescer = Coalescer(self._refresh, name=f"{name} card update")
        self._record_posted = record_posted
        outbox.on(self._handler_name, self._delivered)
        outbox.on(f"{name}-posted", self._posted)

    @property
    def _handler_name(self) -> str:
        return f"{self.name}-card"

    def request(self, item_id: int) -> None:
        self.coalescer.request(item_id)

    async def _refresh(self, key: Hashable) -> None:
        item_id = int(str(key))
        outbox = self.outbox
        async with self.database.unit_of_work() as session:
            state = await self._load(session, item_id)
            if state is None:
                return
            ticket = await outbox.stage_card(
                session,
                Message(
                    kind="update",
                    target=state.target,
                    body=cards.card_message(state.card),
                    activity_id=state.activity_id,
                    on_sent=f"{self._handler_name}:{item_id}:{state.version}",
                    card_key=f"{self.name}:{item_id}",
                ),
            )
        try:
            delivered = await outbox.try_now(ticket)
        except ConversationGone as error:
            # The card or the bot is gone from that conversation; nothing left to update.
            log.warning(
                "%s %s card can no longer be updated (%s); giving up on it",
                self.name,
                item_id,
                error.status,
            )
        except DeliveryFailed as error:
            log.error("%s %s card update refused for good: %s", self.name, item_id, error)
        else:
            if delivered is None:
                return  # queued: the drain loop marks it synced once Teams takes it
        async with self.database.unit_of_work() as session:
            await self._mark_synced(session, item_id, state.version)

    async def _delivered(self, session: AsyncSession, argument: str, outcome: Outcome) -> None:
        """A queued update was delivered (or given up because the card is gone)."""
        item_id, _, version = argument.partition(":")
        if outcome.status in ("sent", "gone") and item_id.isdigit() and version.isdigit():
            await self._mark_synced(session, int(item_id), int(version))

    async def _posted(self, session: AsyncSession, argument: str, outcome: Outcome) -> None:
        if outcome.status != "sent" or not argument.isdigit() or self._record_posted is None:
            return
        recorded = await self._record_posted(session, int(argument), outcome.activity_id)
        if recorded and not outcome.in_line:
            # Queued since it was drawn: bring it up to date — once this transaction has
            # committed, so that the refresh reads the activity id just recorded.
            item_id = int(argument)
            event.listen(
                session.sync_session, "after_commit", lambda _s: self.request(item_id), once=True
            )

    async def catch_up(self) -> int:
        async with self.database.unit_of_work() as session:
            stale = await self._out_of_sync(session)
        for item_id in stale:
            self.request(item_id)
        if stale:
            log.info("bringing %d %s card(s) up to date", len(stale), self.name)
        return len(stale)

    async def close(self) -> None:
        await self.coalescer.close()
