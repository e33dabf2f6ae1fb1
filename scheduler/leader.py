"""One scheduler across replicas: the process holding a PostgreSQL advisory lock leads.

The lock belongs to one dedicated connection; if the leader dies, PostgreSQL drops the
connection and the lock with it, and another replica's next attempt (every few seconds)
takes over. With SQLite there is a single process, and it leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

log = logging.getLogger(__name__)

LOCK_ID = 0x1CC5C4ED  # any constant shared by all replicas of this bot


class Leadership:
    def __init__(
        self,
        database: Database,
        on_elected: Callable[[], Awaitable[None]],
        on_deposed: Callable[[], None],
        *,
        interval: float = 2.0,
    ) -> None:
        self._database = database
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self._interval = interval
        self._connection: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self.leader = False

    async def start(self) -> None:
        if self._database.dialect != "postgresql":
            await self._elected()
            return
        self._task = asyncio.get_running_loop().create_task(self._campaign())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._release()
        if self.leader:
            self.leader = False
            self._on_deposed()

    async def _elected(self) -> None:
        self.leader = True
        log.info("this process now runs the scheduler")
        await self._on_elected()

    async def _campaign(self) -> None:
        while True:
            try:
                if self.leader:
                    await self._check()
                else:
                    await self._try_acquire()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database went away: we cannot be sure we lead
                log.warning("scheduler leadership check failed: %s", type(error).__name__)
                await self._release()
                if self.leader:
                    self.leader = False
                    self._on_deposed()
                    log.warning("this process stopped running the scheduler")
            await asyncio.sleep(self._interval)

    async def _try_acquire(self) -> None:
        if self._connection is None:
            self._connection = await self._database.engine.connect()
        acquired = await self._connection.scalar(
            text("SELECT pg_try_advisory_lock(:id)"), {"id": LOCK_ID}
        )
        await self._connection.commit()
        if acquired:
            await self._elected()

    async def _check(self) -> None:
        assert self._connection is not None
        await self._connection.execute(text("SELECT 1"))
        await self._connection.commit()

    async def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        with contextlib.suppress(Exception):  # a dead connection has already lost the lock
            await connection.execute(text("SELECT pg_advisory_unlock_all()"))
            await connection.commit()
        with contextlib.suppress(Exception):
            await connection.close()
