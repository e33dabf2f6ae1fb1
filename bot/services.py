"""What a turn or a job may use, built once by the app: settings, database, clock, sender."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.outbound import Outbound
from bot.outbox import Outbox
from config import Settings
from storage.db import Database

if TYPE_CHECKING:
    from bot.card_sync import CardSync
    from bot.members import MemberDirectory

# Proactive deliveries in flight at once per process (a reminder's fan-out). A delivery
# answered 429 holds its slot while it waits out Retry-After (1 s from Teams), so 8 slots left
# the 50/s tenant budget unused during a fan-out with throttling (bench/fanout.py: 0.84 of it
# on PostgreSQL; 0.96 with 32). The rate limiter, not this number, sets the pace; this only
# bounds how many deliveries a crash can leave uncertain.
CONCURRENT_FANOUT = 32


def system_clock() -> datetime:
    return datetime.now(UTC)


def _no_nudge() -> None:
    """Without a scheduler in this process, the leader's reconcile picks changes up."""


@dataclass
class Services:
    settings: Settings
    database: Database
    clock: Callable[[], datetime] = system_clock
    # Set once the app has started (they need the running event loop).
    outbound: Outbound | None = None
    # Every message the bot sends goes through it (bot/outbox.py); set with `outbound`.
    outbox: Outbox | None = None
    # Ask the scheduler to re-read the tables now (a new poll deadline, a new series).
    nudge_scheduler: Callable[[], None] = _no_nudge
    # Who a Teams id is (bot/members.py); asks through `outbound`, set with it.
    members: MemberDirectory | None = None
    # Cards kept in step with their rows, by feature (bot/card_sync.py); built at start-up.
    card_syncs: dict[str, CardSync] = field(default_factory=dict)
    # Bounds the proactive sends a fan-out has under way at once.
    fanout_slots: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(CONCURRENT_FANOUT)
    )
    # Whether this process leads the scheduler, and how many jobs it holds (for /healthz).
    scheduler_status: Callable[[], dict[str, Any]] | None = None

    def require_outbox(self) -> Outbox:
        if self.outbox is None:
            raise RuntimeError("the outbox is not running (app not started)")
        return self.outbox

    def card_sync(self, name: str) -> CardSync:
        sync = self.card_syncs.get(name)
        if sync is None:
            raise RuntimeError(f"the {name} card sync is not running (app not started)")
        return sync

    def require_members(self) -> MemberDirectory:
        if self.members is None:
            raise RuntimeError("the member directory is not running (app not started)")
        return self.members

    def require_outbound(self) -> Outbound:
        if self.outbound is None:
            raise RuntimeError("the outbound sender is not running (app not started)")
        return self.outbound
