"""SQLite for the async engine, run on the event loop's own thread.

aiosqlite runs every call (cursor, execute, fetch, close, commit) in a worker thread and wakes
the event loop for each answer. Under load (py-spy, 50 clients voting on SQLite) the loop sat
a sixth of the time in select() while the one connection waited for those wake-ups, and the
worker thread took a third of the samples: a vote held the connection ~5 ms for well under
1 ms of SQLite's own work, and every other turn queued behind it.

A statement on a local SQLite file in WAL mode takes microseconds, so this connection runs it
inline: SQLAlchemy's aiosqlite dialect is kept (its SQL, types and pool), and only the driver
object it awaits is replaced by one whose coroutines finish without leaving the thread.

The one wait SQLite can impose is the write lock held by another process (a second bot, the
roster tool). SQLite's busy handler would block the whole loop for it, so the busy timeout is
0 and a statement answered SQLITE_BUSY is retried here after an asyncio sleep, for up to
`busy_seconds`: the loop goes on serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

BUSY_SECONDS = 30.0


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(error)


async def _retrying_busy(call: Callable[[], T], busy_seconds: float) -> T:
    deadline = time.monotonic() + busy_seconds
    delay = 0.001
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


class InlineCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy's adapter uses."""

    def __init__(self, cursor: sqlite3.Cursor, busy_seconds: float) -> None:
        self._cursor = cursor
        self._busy_seconds = busy_seconds

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        arguments = () if parameters is None else parameters
        await _retrying_busy(lambda: self._cursor.execute(sql, arguments), self._busy_seconds)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        rows = list(parameters)
        await _retrying_busy(lambda: self._cursor.executemany(sql, rows), self._busy_seconds)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _RunNow:
    """Stands in for aiosqlite's request queue, which SQLAlchemy's dialect writes to directly
    to set `isolation_level`: the function runs at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:
            future.set_exception(error)


class InlineConnection:
    """The part of aiosqlite's Connection that SQLAlchemy's aiosqlite dialect uses."""

    def __init__(self, connection: sqlite3.Connection, busy_seconds: float = BUSY_SECONDS) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._tx = _RunNow()
        self._busy_seconds = busy_seconds

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return self._conn

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("no active connection")
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._live().isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._live().cursor(), self._busy_seconds)

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        connection = self._live()
        await _retrying_busy(connection.commit, self._busy_seconds)

    async def rollback(self) -> None:
        self._live().rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._live().create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def connector(database: str, busy_seconds: float | None = None) -> Callable[[], Any]:
    """An `async_creator` for create_async_engine: a new inline connection to `database`
    (waiting up to `busy_seconds`, else BUSY_SECONDS, for another process's write lock)."""

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(
            database,
            timeout=0,  # busy: retried in _retrying_busy, without blocking the loop
            check_same_thread=False,  # the pool may close it from the garbage collector
            uri=database.startswith("file:"),
        )
        return InlineConnection(connection, busy_seconds or BUSY_SECONDS)

    return connect
