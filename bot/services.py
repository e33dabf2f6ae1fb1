"""What a turn or a job may use, built once by the app: settings, database, clock, sender."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.outbound import Outbound
from bot.outbox import Outbox
from config import Settings
from storage.db import Database


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
    # Per-feature singletons (e.g. the poll card refresher), keyed by feature name.
    extras: dict[str, Any] = field(default_factory=dict)

    def require_outbox(self) -> Outbox:
        if self.outbox is None:
            raise RuntimeError("the outbox is not running (app not started)")
        return self.outbox

    def require_outbound(self) -> Outbound:
        if self.outbound is None:
            raise RuntimeError("the outbound sender is not running (app not started)")
        return self.outbound
