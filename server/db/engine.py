"""Engines for SQLite and PostgreSQL, set up the way each needs to be run as a server database.

SQLite allows one writer at a time. Every write goes through a single connection whose
transactions start with BEGIN IMMEDIATE, so a transaction takes the write lock up front and waits
on busy_timeout instead of failing with "database is locked" when it later tries to write.
Reads use a separate small pool and never block the writer (WAL).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import structlog
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, QueuePool

from server.db.reactions import Finish, installed, run_in_transaction
from server.db.sqlite import prepare_sqlite
from server.db.transient import is_lost_race
from server.db.writer import WriterProcess

P = ParamSpec("P")
T = TypeVar("T")
LOST_RACE_ATTEMPTS = 8
log = structlog.get_logger("bodega.db")


def create_engines(url: str, *, echo: bool = False) -> tuple[AsyncEngine, AsyncEngine]:
    """Return (writer, reader) engines for the database URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        writer = create_async_engine(
            url, echo=echo, poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0, pool_timeout=60
        )
        reader = create_async_engine(
            url, echo=echo, poolclass=AsyncAdaptedQueuePool, pool_size=4, max_overflow=4
        )
        prepare_sqlite(writer, writer=True)
        prepare_sqlite(reader, writer=False)
        return writer, reader
    engine = create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=False)
    return engine, engine


class Database:
    """The process's handle on the database: explicit write and read transactions.

    Hot write paths (order ingestion, stock posting) are plain synchronous functions of a
    Connection run through `run_write`. On SQLite they run in one dedicated thread on a pysqlite
    connection, so a transaction of a dozen statements costs one thread hop instead of one per
    statement through the async driver. On PostgreSQL the same function runs inside the async
    engine's greenlet bridge (AsyncConnection.run_sync) over asyncpg.
    """

    def __init__(self, url: str, *, echo: bool = False, finish: Finish | None = None) -> None:
        self.url = url
        # The reactions every write transaction ends with (server/db/reactions.py).
        self.finish = finish or installed()
        self.writer, self.reader = create_engines(url, echo=echo)
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        database = make_url(url).database if self.is_sqlite else None
        # The database file, for tools that open it directly (the checkpoint thread); None in memory.
        self.sqlite_path = database if database and database != ":memory:" else None
        self.writer_process: WriterProcess | None = None  # set up by the app on SQLite
        self._sync_writer: Engine | None = None
        self._write_thread: ThreadPoolExecutor | None = None
        if self.is_sqlite:
            sync_url = make_url(url).set(drivername="sqlite")
            self._sync_writer = create_engine(
                sync_url, echo=echo, poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=60
            )
            prepare_sqlite(self._sync_writer, writer=True)
            self._write_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bodega-writer")

    async def run_write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(conn, *args) in one write transaction, ending with the reactions, that commits
        when they return."""
        result, _ = await self.run_write_reacting(fn, *args)
        return result

    async def run_write_reacting(self, fn: Callable[..., T], *args: Any) -> tuple[T, Any]:
        """`run_write`, also answering what the reactions did (None without reactions)."""
        call = (self.finish, fn, args)
        if self._sync_writer is not None and self._write_thread is not None:
            engine = self._sync_writer

            def in_transaction() -> tuple[T, Any]:
                with engine.begin() as conn:
                    return run_in_transaction(conn, *call)

            return await asyncio.get_running_loop().run_in_executor(self._write_thread, in_transaction)
        for attempt in range(1, LOST_RACE_ATTEMPTS + 1):
            try:
                async with self.writer.begin() as conn:
                    return await conn.run_sync(run_in_transaction, *call)
            except DBAPIError as exc:
                # PostgreSQL rolled the whole transaction back (deadlock, serialization): try again
                # rather than answer 500; the winner's commit is what we wait for.
                if attempt == LOST_RACE_ATTEMPTS or not is_lost_race(exc):
                    raise
                log.info("write_retried", attempt=attempt, error=str(exc.orig)[:120])
                await asyncio.sleep(random.uniform(0, 0.02 * 2**attempt))  # apart, not in step again
        raise AssertionError("unreachable")

    async def run_hot_write(self, fn: Callable[..., T], *args: Any) -> T:
        """Like run_write, in the writer process when there is one. fn must be a module-level
        function and its arguments picklable."""
        result, _ = await self.run_hot_write_reacting(fn, *args)
        return result

    async def run_hot_write_reacting(self, fn: Callable[..., T], *args: Any) -> tuple[T, Any]:
        if self.writer_process is not None:
            return await self.writer_process.call(run_in_transaction, self.finish, fn, args)
        return await self.run_write_reacting(fn, *args)

    async def run_read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a synchronous reader fn(conn, *args) (used by checks that share code with writers)."""
        async with self.reader.connect() as conn:
            return await conn.run_sync(fn, *args)

    @asynccontextmanager
    async def write(self) -> AsyncGenerator[AsyncSession]:
        """A session whose transaction commits when the block ends without error.

        The commit is awaited here, so a failed COMMIT raises to the caller instead of being
        logged and answered with a 2xx.
        """
        async with AsyncSession(self.writer, expire_on_commit=False) as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncGenerator[AsyncSession]:
        async with AsyncSession(self.reader, expire_on_commit=False) as session, session.begin():
            yield session

    async def dispose(self) -> None:
        if self.writer_process is not None:
            await self.writer_process.close()
        if self._sync_writer is not None:
            self._sync_writer.dispose()
        if self._write_thread is not None:
            self._write_thread.shutdown(wait=True)
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
