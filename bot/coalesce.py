"""Coalescing: many requests to refresh one thing become at most one refresh in flight.

A burst of votes on one poll marks the poll "dirty" many times; one task per poll refreshes
it, and refreshes once more if it was marked again meanwhile. The last refresh therefore
always reads the final state; pacing comes from the sender's rate limits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable

log = logging.getLogger(__name__)


class Coalescer:
    def __init__(
        self, work: Callable[[Hashable], Awaitable[None]], *, name: str = "refresh"
    ) -> None:
        self._work = work
        self._name = name
        self._dirty: set[Hashable] = set()
        self._tasks: dict[Hashable, asyncio.Task[None]] = {}
        self.runs = 0

    def request(self, key: Hashable) -> None:
        self._dirty.add(key)
        if key not in self._tasks:
            self._tasks[key] = asyncio.get_running_loop().create_task(self._drain(key))

    async def _drain(self, key: Hashable) -> None:
        try:
            while key in self._dirty:
                self._dirty.discard(key)
                self.runs += 1
                try:
                    await self._work(key)
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    # The state stays marked out of date in the database; the next request or
                    # the start-up catch-up retries it. Nothing is lost.
                    log.warning("%s of %s failed: %s", self._name, key, error)
        finally:
            self._tasks.pop(key, None)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    async def wait_idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)
        self._tasks.clear()
        self._dirty.clear()
