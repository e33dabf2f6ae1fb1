"""The database handle: an async engine, a session factory and units of work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import QueuePool

from storage import inline_sqlite

log = logging.getLogger(__name__)


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached right now; the caller should ask Teams to retry."""


# SQLSTATEs that say "the server is not able to serve you now", not "your query is wrong":
# class 08 (connection exceptions), too many connections, a read-only transaction (a replica
# promoted, or a primary demoted, by a failover), and the server shutting down or starting up.
UNAVAILABLE_SQLSTATE_CLASSES = ("08",)
UNAVAILABLE_SQLSTATES = frozenset(
    {
        "53300",  # too_many_connections
        "25006",  # read_only_sql_transaction
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now: "the database system is starting up" / "in recovery mode"
    }
)


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a PostgreSQL error, as asyncpg raises it or as SQLAlchemy wraps it.

    SQLAlchemy's asyncpg dialect turns every asyncpg PostgresError it does not map to an
    IntegrityError or a ProgrammingError into a bare DBAPIError whose `.orig` carries the code
    as `sqlstate` (and `pgcode`), the asyncpg exception itself being `.orig.__cause__`."""
    orig = getattr(error, "orig", None)
    for candidate in (error, orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str) and code:
            return code
    return None


def is_unavailable_error(error: BaseException) -> bool:
    """True for errors that mean "the database is not there", not "the query was wrong"."""
    if isinstance(error, DatabaseUnavailable | ConnectionError | TimeoutError):
        return True
    if isinstance(error, OperationalError | InterfaceError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    code = sqlstate(error)
    if code is not None:
        return code in UNAVAILABLE_SQLSTATES or code.startswith(UNAVAILABLE_SQLSTATE_CLASSES)
    # HTTP clients' errors are OSErrors too, but a failing Bot Connector is not a database.
    if type(error).__module__.split(".")[0] in ("aiohttp", "msrest", "requests", "urllib3"):
        return False
    # asyncpg raises OSError subclasses (ConnectionRefusedError) straight from connect().
    return isinstance(error, OSError)


def insert_ignoring_conflicts(session: AsyncSession, model: Any, *keys: str) -> Any:
    """INSERT … ON CONFLICT (keys) DO NOTHING in the session's dialect: an insert two racing
    transactions can both run (on PostgreSQL the second waits for the first, then skips)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(model).on_conflict_do_nothing(index_elements=list(keys))


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


POSTGRES_POOL_SIZE = 10
POSTGRES_MAX_OVERFLOW = 10


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        # One connection: SQLite has one writer at a time anyway, and waiting for the pool is
        # an asyncio queue (first come, first served) where SQLite's busy handler would sleep
        # in growing steps. Sessions commit before any network call, so it is held briefly.
        # Statements run on the loop's thread (storage/inline_sqlite.py), not aiosqlite's.
        engine = create_async_engine(
            url,
            async_creator=inline_sqlite.connector(make_url(url).database or ":memory:"),
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            # Sessions end their own transactions; a reset on return would be one more
            # round trip to the aiosqlite thread per unit of work.
            pool_reset_on_return=None,
        )
        _configure_sqlite(engine)
        return engine
    # No pre-ping: it was one more round trip per unit of work (5% of a vote turn's loop time
    # on PostgreSQL, py-spy). A connection that died with the server fails its turn with a
    # disconnect error, which answers 503 (Teams re-sends) and makes the pool drop every
    # connection made before it; recycling after 30 minutes keeps idle ones from going stale
    # behind firewalls.
    return create_async_engine(
        url,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_MAX_OVERFLOW,
        pool_recycle=1800,
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE.

    SQLite's default deferred transactions fail at once (SQLITE_BUSY, no waiting) when a
    reader tries to write after another writer committed; taking the write lock at BEGIN
    makes concurrent turns queue on the busy timeout instead.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # No busy waiting inside SQLite: it would block the event loop (see inline_sqlite).
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Owns the engine; hands out sessions and units of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._connections = (
            1 if url.startswith("sqlite") else POSTGRES_POOL_SIZE + POSTGRES_MAX_OVERFLOW
        )
        self._ping: asyncio.Task[bool] | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One transaction: commits when the block ends, rolls back if it raises."""
        async with self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # any failure means "not reachable" for /healthz
            log.warning("database ping failed: %s", type(error).__name__)
            return False
        return True

    async def health(self, within: float = 1.0) -> str:
        """ "ok", "busy" or "unreachable", known within `within` seconds whatever the database
        is doing.

        One ping at a time: a health check that comes while the last ping is still waiting
        waits for that one instead of queueing another. A ping that has not answered in time
        is "busy" when every pooled connection is checked out (turns hold them, waiting for
        a lock: the database is there, the bot is slow) and "unreachable" otherwise (the ping
        has a connection, or is making one, and the server does not answer)."""
        if self._ping is None or self._ping.done():
            self._ping = asyncio.create_task(self.ping())
        ping = self._ping
        done, _ = await asyncio.wait({ping}, timeout=within)
        if done:
            return "ok" if ping.result() else "unreachable"
        pool = self.engine.pool
        checked_out = pool.checkedout() if isinstance(pool, QueuePool) else 0
        state = "busy" if checked_out >= self._connections else "unreachable"
        log.warning(
            "database ping unanswered after %.1f s (%d of %d connections in use): %s",
            within,
            checked_out,
            self._connections,
            state,
        )
        return state

    async def dispose(self) -> None:
        if self._ping is not None and not self._ping.done():
            self._ping.cancel()
            await asyncio.wait({self._ping})
        await self.engine.dispose()
