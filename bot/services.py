"""What a turn or a job may use, built once by the app: settings, database, clock, scheduler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from config import Settings
from storage.db import Database


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    database: Database
    clock: Callable[[], datetime] = system_clock
    # Filled in by the app once started; features use them through their own modules.
    extras: dict[str, Any] = field(default_factory=dict)
