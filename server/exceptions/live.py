"""Live exceptions: every server process hears of exceptions raised or changed by any process,
and hands them to the console's open streams (GET /api/v1/exceptions/stream).

How a change travels:
- PostgreSQL: the write transaction that raised or changed exceptions ends with `NOTIFY
  bodega_exceptions, '<ids>'` (server/writes.py calls `announce`). PostgreSQL delivers it at commit,
  to every listening connection: each process keeps one (asyncpg `add_listener`), its own included,
  so several workers behind a load balancer all see every change, once, and only committed ones.
- SQLite: one server process holds the one writer, so the feed hears of commits in-process: the
  reactions every write returns list the exceptions (server/db/engine.py `after_commit`), even when
  the transaction ran in the writer child process.

A notification carries only ids (NOTIFY payloads are small); the feed reads the rows once per
notification and gives each stream the ones its user may see: a supervisor bound to a warehouse
sees that warehouse's exceptions and those tied to none.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
import structlog
from sqlalchemy import select, text
from sqlalchemy.engine import Connection, make_url

from server.auth.principal import Principal
from server.changes.scopes import order_ref
from server.db import Database
from server.exceptions.models import ExceptionRecord
from server.inventory.models import Warehouse

log = structlog.get_logger("bodega.exceptions.live")

CHANNEL = "bodega_exceptions"
NOTIFY_MAX_IDS = 200  # 200 ids of 36 characters stay under PostgreSQL's 8,000-byte payload limit
QUEUE_MAX = 1000  # a stream this far behind is closed; the console reconnects and reloads
RECONNECT_S = 2.0


def announce(conn: Connection, ids: Iterable[uuid.UUID]) -> None:
    """Tell every server process, at commit, that these exceptions were raised or changed."""
    if conn.dialect.name != "postgresql":
        return  # in-process on SQLite: the feed reads the returned reactions
    ordered = sorted({str(i) for i in ids})
    for start in range(0, len(ordered), NOTIFY_MAX_IDS):
        payload = ",".join(ordered[start : start + NOTIFY_MAX_IDS])
        conn.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload})


class LiveException(msgspec.Struct):
    """What a stream sends about one exception (the console fetches the rest if it needs it)."""

    id: uuid.UUID
    kind: str
    status: str
    message: str
    order: str
    order_id: uuid.UUID | None
    warehouse: str | None
    created_at: datetime
    resolved_at: datetime | None
    warehouse_id: uuid.UUID | None = None  # for the feed's filter; not sent


def read_live(conn: Connection, ids: list[uuid.UUID]) -> list[LiveException]:
    rows = conn.execute(
        select(
            ExceptionRecord.id,
            ExceptionRecord.kind,
            ExceptionRecord.status,
            ExceptionRecord.message,
            ExceptionRecord.order_id,
            ExceptionRecord.details,
            ExceptionRecord.warehouse_id,
            Warehouse.code,
            ExceptionRecord.created_at,
            ExceptionRecord.resolved_at,
        )
        .outerjoin(Warehouse, Warehouse.id == ExceptionRecord.warehouse_id)
        .where(ExceptionRecord.id.in_(ids))
        .order_by(ExceptionRecord.created_at, ExceptionRecord.id)
    ).all()
    out: list[LiveException] = []
    for r in rows:
        details: dict[str, Any] = r.details or {}
        order = str(details.get("order") or (order_ref(r.order_id) if r.order_id else ""))
        out.append(
            LiveException(
                id=r.id,
                kind=r.kind,
                status=r.status,
                message=r.message,
                order=order,
                order_id=r.order_id,
                warehouse=r.code,
                created_at=r.created_at,
                resolved_at=r.resolved_at,
                warehouse_id=r.warehouse_id,
            )
        )
    return out


@dataclass(eq=False)
class Listener:
    """One open stream: its user and the changes waiting to be sent."""

    user: Principal
    queue: asyncio.Queue[LiveException] = field(
        default_factory=lambda: asyncio.Queue[LiveException](QUEUE_MAX)
    )

    closed: bool = False  # fell too far behind, or the server is stopping: the stream ends

    def sees(self, item: LiveException) -> bool:
        if self.user.role == "admin" or self.user.warehouse_id is None:
            return True
        return item.warehouse_id is None or item.warehouse_id == self.user.warehouse_id


def _setter(event: asyncio.Event) -> Any:
    def lost(_conn: Any) -> None:
        event.set()

    return lost


class ExceptionFeed:
    """The process's one source of live exception changes (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.listeners: set[Listener] = set()
        self._pg: Any = None  # the asyncpg connection that LISTENs
        self._keeper: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.ready = asyncio.Event()  # listening (PostgreSQL) / hooked (SQLite)
        self.stopped = False  # the server is shutting down: streams end (clients reconnect elsewhere)

    async def start(self) -> None:
        if self.db.is_sqlite:
            self.db.after_commit.append(self._committed)
            self.ready.set()
        else:
            self._keeper = asyncio.create_task(self._keep_listening(), name="bodega-exceptions-listen")

    async def stop(self) -> None:
        self.stopped = True
        if self._committed in self.db.after_commit:
            self.db.after_commit.remove(self._committed)
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        await self._close_pg()
        for listener in list(self.listeners):
            listener.closed = True
        for task in list(self._tasks):
            task.cancel()

    def subscribe(self, user: Principal) -> Listener:
        listener = Listener(user, closed=self.stopped)
        self.listeners.add(listener)
        return listener

    def unsubscribe(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    # -- sources -----------------------------------------------------------------------------

    def _committed(self, reactions: Any) -> None:
        ids = getattr(reactions, "exceptions", None)
        if ids:
            self._dispatch(list(ids))

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        ids: list[uuid.UUID] = []
        for part in payload.split(","):
            with contextlib.suppress(ValueError):
                ids.append(uuid.UUID(part))
        if ids:
            self._dispatch(ids)

    async def _keep_listening(self) -> None:
        """Hold a LISTEN connection; if PostgreSQL drops it, connect again (changes made while
        it was away are not replayed: the console reloads its list when its stream reconnects)."""
        import asyncpg

        url = make_url(self.db.url).set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            lost = asyncio.Event()
            try:
                self._pg = await asyncpg.connect(url)
                self._pg.add_termination_listener(_setter(lost))
                await self._pg.add_listener(CHANNEL, self._notified)
                self.ready.set()
                await lost.wait()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: try again shortly
                log.warning("exceptions_listen_failed", error=repr(exc)[:200])
            self.ready.clear()
            await self._close_pg()
            await asyncio.sleep(RECONNECT_S)

    async def _close_pg(self) -> None:
        pg, self._pg = self._pg, None
        if pg is not None:
            with contextlib.suppress(Exception):
                await pg.close(timeout=2)

    # -- fan-out -------------------------------------------------------------------------------

    def _dispatch(self, ids: list[uuid.UUID]) -> None:
        if not self.listeners:
            return  # nobody watching: not even a read
        task = asyncio.get_running_loop().create_task(self._fan_out(ids))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fan_out(self, ids: list[uuid.UUID]) -> None:
        try:
            items = await self.db.run_read(read_live, ids)
        except Exception as exc:
            log.warning("exceptions_live_read_failed", error=repr(exc)[:200])
            return
        for listener in list(self.listeners):
            for item in items:
                if not listener.sees(item):
                    continue
                try:
                    listener.queue.put_nowait(item)
                except asyncio.QueueFull:  # a stalled client: end its stream rather than grow
                    listener.closed = True
                    self.listeners.discard(listener)
                    break
