"""The sync service of one server process: pushes through the group committer, pulls through a
read snapshot, and the projector loop (the server's hybrid logical clock is server/clock.py).

Nothing here is needed by another process: the journal, high-water marks, change log, epoch and
projector watermark all live in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import msgspec
import structlog
from litestar import Litestar
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import QueuePool

from server import clock
from server.auth.principal import Principal
from server.changes.log import Head, lock_head, read_head
from server.db import Database
from server.db.sqlite import prepare_sqlite
from server.sync_api.blobs import chase_job
from server.sync_api.committer import PushCommitter
from server.sync_api.projector import refresh_job
from server.sync_api.pull import DeviceState, PullResult, PullWanted, device_state, pull
from server.sync_api.push import PushJob, store_scopes
from server.sync_api.retention import DEFAULT_RETENTION_DAYS, tidy_job
from server.sync_api.scopes import scopes_for
from sync import (
    PROTOCOL_VERSION,
    Cursor,
    Format,
    Incoming,
    PullResponse,
    PushResponse,
    SyncResponse,
)

log = structlog.get_logger("bodega.sync")

T = TypeVar("T")
Endpoint = Literal["push", "pull", "sync"]
PROJECT_EVERY_S = 3.0
CHASE_PROOFS_EVERY_S = 600.0
TIDY_EVERY_S = 600.0  # old tombstones out of the change log (retention.py)


class Reader:
    """Read transactions for pulls that push nothing: a consistent snapshot, off the writer.

    SQLite: a private pool of pysqlite connections used from two threads (WAL readers never wait
    for the writer). PostgreSQL: the app's async engine at REPEATABLE READ, so the page, the log
    head and the checksums come from one snapshot.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._engine: Engine | None = None
        self._threads: ThreadPoolExecutor | None = None
        if db.is_sqlite:
            self._engine = create_engine(
                make_url(db.url).set(drivername="sqlite"), poolclass=QueuePool, pool_size=2, max_overflow=0
            )
            prepare_sqlite(self._engine, writer=False)
            self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bodega-sync-reader")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._engine is not None and self._threads is not None:
            engine = self._engine

            def in_snapshot() -> T:
                with engine.begin() as conn:
                    return fn(conn, *args)

            return await asyncio.get_running_loop().run_in_executor(self._threads, in_snapshot)
        async with self.db.reader.connect() as conn:
            await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                return await conn.run_sync(fn, *args)

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=True)
        if self._engine is not None:
            self._engine.dispose()


@dataclass
class _Read:
    head: Head | None
    device: DeviceState
    pull: PullResult | None


def _read(conn: Connection, principal: Principal, wanted: PullWanted | None) -> _Read:
    head = read_head(conn)
    device = device_state(conn, principal.device_id)
    if head is None or wanted is None:
        return _Read(head, device, None)
    result = pull(
        conn,
        head=head,
        device=device,
        scopes=scopes_for(conn, principal),
        cur=wanted.cur,
        lim=wanted.lim,
        fmt=wanted.fmt,
        hlc="",
    )
    return _Read(head, device, result)


class SyncService:
    def __init__(
        self,
        db: Database,
        *,
        project_every_s: float | None = PROJECT_EVERY_S,
        retention_days: int = DEFAULT_RETENTION_DAYS,
    ) -> None:
        self.db = db
        self.retention_days = retention_days
        self.committer = PushCommitter(db)
        self.reader = Reader(db)
        self.project_every_s = project_every_s
        self._projector: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------------------

    async def _read(self, principal: Principal, wanted: PullWanted | None) -> _Read:
        read = await self.reader.run(_read, principal, wanted)
        if read.head is None:  # a database nobody synced with yet: its history starts now
            await self.db.run_write(lock_head)
            read = await self.reader.run(_read, principal, wanted)
        if read.pull is not None and read.pull.store_scopes is not None:
            await self.db.run_write(store_scopes, principal.device_id, read.pull.store_scopes)
        return read

    async def _pull(self, principal: Principal, wanted: PullWanted) -> PullResult | None:
        return (await self._read(principal, wanted)).pull

    def start(self) -> None:
        if self.project_every_s is not None and self._projector is None:
            self._projector = asyncio.get_running_loop().create_task(self._project_forever())

    async def close(self) -> None:
        # Let a projector round in progress finish: cancelling the await would leave its thread
        # writing with a connection the database is about to dispose of.
        self._stopping.set()
        if self._projector is not None:
            await self._projector
        await self.committer.close()
        self.reader.close()

    async def project(self, *, full: bool = False) -> int:
        # A write job like a push: on SQLite in the writer process, off the core answering HTTP.
        return await self.db.run_write(refresh_job, full)

    async def _project_forever(self) -> None:
        assert self.project_every_s is not None
        chased = 0.0
        tidied = time.monotonic()  # first after a while: nothing is old in a server just started
        while not self._stopping.is_set():
            try:
                await self.project()
                if time.monotonic() - chased > CHASE_PROOFS_EVERY_S:
                    await self.db.run_write(chase_job)
                    chased = time.monotonic()
                if time.monotonic() - tidied > TIDY_EVERY_S:
                    await self.db.run_write(tidy_job, self.retention_days)
                    tidied = time.monotonic()
            except Exception as exc:  # the next round tries again; sync itself does not depend on it
                log.warning("sync_projector_failed", error=repr(exc)[:300])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.project_every_s)

    # -- requests ----------------------------------------------------------------------------------

    async def handle(
        self,
        principal: Principal,
        incoming: Incoming,
        endpoint: Endpoint,
        fmt: Format,
        raw: dict[int, Any],
    ) -> PushResponse | PullResponse | SyncResponse:
        request = incoming.request
        wanted = PullWanted(request.cur, request.lim, fmt) if request.pull and endpoint != "push" else None
        if incoming.items:
            outcome, batch = await self.committer.submit(PushJob(principal, incoming.items, raw))
            if batch.max_hlc:
                clock.observe(batch.max_hlc)
            head, hwm, results, resume = batch.head, outcome.hwm, outcome.results, outcome.resume_from
            # Pulled after the commit, in a read snapshot: the page includes these ops' effects,
            # and the writer is not held up by reading.
            pulled = await self._pull(principal, wanted) if wanted is not None else None
        else:
            read = await self._read(principal, wanted)
            assert read.head is not None
            head, hwm, results, resume, pulled = read.head, read.device.hwm, [], None, read.pull
        hlc = clock.now_hlc()
        push = PushResponse(
            v=PROTOCOL_VERSION,
            ep=head.epoch,
            hwm=hwm,
            res=results,
            resume_from=resume,
            pos=Cursor(head.epoch, head.position).format(),
            hlc=hlc,
        )
        if endpoint == "push":
            return push
        page = None if pulled is None else msgspec.structs.replace(pulled.response, hlc=hlc)
        if endpoint == "pull":
            assert page is not None
            return page
        return SyncResponse.of(push, page)


def service_of(app: Litestar) -> SyncService:
    service: SyncService | None = getattr(app.state, "sync", None)
    if service is None:  # an app built without sync_lifespan (some tests): make one on first use
        service = SyncService(app.state.db, project_every_s=None)
        app.state.sync = service
    return service


@asynccontextmanager
async def sync_lifespan(app: Litestar) -> AsyncGenerator[None]:
    """Start the sync service with the app (projector loop) and stop it before the database closes."""
    service = SyncService(app.state.db, retention_days=app.state.settings.sync_retention_days)
    app.state.sync = service
    service.start()
    try:
        yield
    finally:
        await service.close()
