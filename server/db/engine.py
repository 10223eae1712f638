"""Engines for SQLite and PostgreSQL, set up the way each needs to be run as a server database.

SQLite allows one writer at a time, so Bodega keeps exactly one writer connection: every write
transaction, whatever path brought it (HTTP, a phone's push, ingestion, a console action, a job),
is a synchronous function of a Connection run through `Database.run_write`, in the writer process
(server/db/writer.py) when the server has one, else in one writer thread. Its transactions start
with BEGIN IMMEDIATE, so a transaction takes the write lock up front. Reads use a separate small
async pool and never block the writer (WAL).

PostgreSQL has many writers: one async engine serves writes and reads.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import random
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import structlog
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool, QueuePool

from server.db.reactions import Finish, Later, installed, run_in_transaction
from server.db.sqlite import prepare_sqlite
from server.db.transient import is_lost_race
from server.db.writer import WriterProcess

T = TypeVar("T")
LOST_RACE_ATTEMPTS = 8
# Tests set this: a write run in the writer thread is checked to be one the writer process could
# run too (a module-level function, picklable arguments, result and error).
CHECK_PICKLABLE = "BODEGA_CHECK_WRITES_PICKLE"
# Connections each server process keeps to PostgreSQL (its reads and its writes share them).
PG_POOL_SIZE = 16
log = structlog.get_logger("bodega.db")


def _sqlite_file(url: str) -> str | None:
    database = make_url(url).database
    return database if database and database != ":memory:" else None


def migration_engine(url: str) -> AsyncEngine:
    """The engine migrations run on (before the server starts): one connection, set up as a writer."""
    engine = create_async_engine(url, poolclass=NullPool)
    if make_url(url).get_backend_name() == "sqlite":
        prepare_sqlite(engine, writer=True)
    return engine


def _check_picklable(value: Any) -> None:
    pickle.loads(pickle.dumps(value))


class Database:
    """The process's handle on the database: write transactions and reads.

    Every write is a plain synchronous function `fn(conn, *args)` run through `run_write`, which
    ends the transaction with the installed reactions (server/db/reactions.py). On SQLite it runs
    on the one writer connection: in the writer process when the app started one (fn must then be
    a module-level function and its arguments, result and errors picklable), else in a dedicated
    thread on a pysqlite connection, so a transaction of a dozen statements costs one hop instead
    of one per statement through the async driver. On PostgreSQL the same function runs inside
    the async engine's greenlet bridge (AsyncConnection.run_sync) over asyncpg.
    """

    def __init__(self, url: str, *, echo: bool = False, finish: Finish | None = None) -> None:
        self.url = url
        # The reactions every write transaction ends with (server/db/reactions.py).
        self.finish = finish or installed()
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        # The database file, for tools that open it directly (the checkpoint thread, the token
        # lookup); None in memory and on PostgreSQL.
        self.sqlite_path = _sqlite_file(url) if self.is_sqlite else None
        self.writer_process: WriterProcess | None = None  # set up by the app on SQLite
        # Called in this process with the reactions of every write once it has committed (the
        # live exceptions feed on SQLite, server/exceptions/live.py). Must not raise or block.
        self.after_commit: list[Callable[[Any], None]] = []
        self._check_pickle = os.environ.get(CHECK_PICKLABLE, "") == "1"
        # PostgreSQL: the async engine writes run on. SQLite: none; writes go to the one writer.
        self._pg_writer: AsyncEngine | None = None
        self._sync_writer: Engine | None = None
        self._write_thread: ThreadPoolExecutor | None = None
        if self.is_sqlite:
            if self.sqlite_path:
                Path(self.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
            self.reader = create_async_engine(
                url, echo=echo, poolclass=AsyncAdaptedQueuePool, pool_size=4, max_overflow=4
            )
            prepare_sqlite(self.reader, writer=False)
            self._sync_writer = create_engine(
                make_url(url).set(drivername="sqlite"),
                echo=echo,
                poolclass=QueuePool,
                pool_size=1,
                max_overflow=0,
                pool_timeout=60,
            )
            prepare_sqlite(self._sync_writer, writer=True)
            self._write_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bodega-writer")
        else:
            # A fixed pool and no overflow: an overflow connection is closed as soon as it is
            # returned, so under a burst (64 requests each looking up its token) every request
            # paid a new connection (TCP, TLS attempt, auth, type setup). Waiting for one of the
            # pool's connections costs far less than opening one.
            self.reader = create_async_engine(
                url, echo=echo, pool_size=PG_POOL_SIZE, max_overflow=0, pool_timeout=60
            )
            self._pg_writer = self.reader

    async def run_write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(conn, *args) in one write transaction, ending with the reactions, that commits
        when they return."""
        result, _ = await self.run_write_reacting(fn, *args)
        return result

    async def run_write_reacting(self, fn: Callable[..., T], *args: Any) -> tuple[T, Any]:
        """`run_write`, also answering what the reactions did (None without reactions). Follow-up
        transactions the reactions asked for run after the commit; what they return is handed to
        the reactions' `absorb` (a receipt's answer lists the held orders they let through)."""
        result, reactions, later = await self._transaction(fn, args)
        for hook in self.after_commit:
            hook(reactions)
        for follow_fn, follow_args in later:
            done = await self.run_write(follow_fn, *follow_args)
            if reactions is not None and hasattr(reactions, "absorb"):
                reactions.absorb(done)
        return result, reactions

    async def _transaction(self, fn: Callable[..., T], args: tuple[Any, ...]) -> tuple[T, Any, Later]:
        if self.writer_process is not None:
            return await self.writer_process.call(run_in_transaction, self.finish, fn, args)
        if self._sync_writer is not None and self._write_thread is not None:
            return await asyncio.get_running_loop().run_in_executor(
                self._write_thread, self._in_writer_thread, fn, args
            )
        assert self._pg_writer is not None
        for attempt in range(1, LOST_RACE_ATTEMPTS + 1):
            try:
                async with self._pg_writer.begin() as conn:
                    return await conn.run_sync(run_in_transaction, self.finish, fn, args)
            except DBAPIError as exc:
                # PostgreSQL rolled the whole transaction back (deadlock, serialization): try again
                # rather than answer 500; the winner's commit is what we wait for.
                if attempt == LOST_RACE_ATTEMPTS or not is_lost_race(exc):
                    raise
                log.info("write_retried", attempt=attempt, error=str(exc.orig)[:120])
                await asyncio.sleep(random.uniform(0, 0.02 * 2**attempt))  # apart, not in step again
        raise AssertionError("unreachable")

    def _in_writer_thread(self, fn: Callable[..., T], args: tuple[Any, ...]) -> tuple[T, Any, Later]:
        assert self._sync_writer is not None
        if self._check_pickle:
            _check_picklable((fn, args))
        try:
            with self._sync_writer.begin() as conn:
                done = run_in_transaction(conn, self.finish, fn, args)
        except Exception as exc:
            if self._check_pickle:
                _check_picklable(exc)
            raise
        if self._check_pickle:
            _check_picklable(done)
        return done

    async def run_read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a synchronous reader fn(conn, *args): services share their helpers between reads and
        writes this way (a Session on conn reads as ORM, server/db/orm.py)."""
        async with self.reader.connect() as conn:
            return await conn.run_sync(fn, *args)

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
        await self.reader.dispose()
