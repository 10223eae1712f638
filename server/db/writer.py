"""The SQLite writer process: every write transaction of the server runs on its own core.

Python runs one thread at a time per process. Answering HTTP and building the group-commit
transaction are both Python work, so in one process they take turns on one core. On SQLite there
is only ever one writer anyway, so the server hands all its write transactions (ingestion, pushes,
console edits, logins, jobs) to a child process that owns the one write connection: HTTP on one
core, the writes on the other.

Calls are module-level functions `fn(conn, *args)` sent with their arguments over a pipe (pickled
by name); the child runs each in one `BEGIN IMMEDIATE` transaction and sends back the result or
the exception. If the child dies, waiting callers get an error (their orders were not confirmed,
so the channel or the phone retries, and ingestion is idempotent) and the next call starts a new one.

Children are forked from a fork server (multiprocessing's "forkserver": a clean single-threaded
process that imported the server once), so a new writer is ready in milliseconds instead of the
second and a half a fresh interpreter takes to import everything (a writer that died is replaced
by the next call).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection as Pipe
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

import structlog

T = TypeVar("T")
log = structlog.get_logger("bodega.db.writer")


class WriterGone(RuntimeError):
    """The writer process stopped before answering; nothing it was asked was confirmed."""


# What a writer needs, imported once in the fork server: every domain's write functions (the
# app imports them all) and the database driver.
PRELOAD = ["server.app", "sqlalchemy.dialects.sqlite"]


def _serve(url: str, pipe: Pipe) -> None:
    """The child's loop: one transaction per request, answered in order."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import QueuePool

    from server.db.sqlite import prepare_sqlite
    from server.runtime import settle_garbage_collector

    engine = create_engine(
        make_url(url).set(drivername="sqlite"), poolclass=QueuePool, pool_size=1, max_overflow=0
    )
    prepare_sqlite(engine, writer=True)
    settle_garbage_collector()
    # Ctrl+C in a terminal signals the whole process group: the server shuts down gracefully and
    # closes this writer last (a None on the pipe, or EOF if the server itself is killed). Dying
    # here first would fail the writes still in flight during that shutdown.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            message = pipe.recv()
        except EOFError:
            break
        if message is None:
            break
        call_id, fn, args = message
        try:
            with engine.begin() as conn:
                result = fn(conn, *args)
            pipe.send((call_id, True, result))
        except Exception as exc:  # the caller gets the exception; the writer keeps serving
            pipe.send((call_id, False, exc))
    engine.dispose()


class WriterProcess:
    """The parent's side: sends calls from a sender thread (a large batch must not stall the event
    loop while the child finishes its current transaction) and reads answers on a reader thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._process: BaseProcess | None = None
        self._pipe: Pipe | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bodega-writer-send")

    def _launch(self) -> tuple[BaseProcess, Pipe]:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        ours, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(self.url, theirs), name="bodega-writer", daemon=True)
        process.start()  # the first one waits for the fork server to import the server
        theirs.close()
        return process, ours

    def _start(self, launched: tuple[BaseProcess, Pipe] | None = None) -> Pipe:
        process, ours = launched or self._launch()
        self._process, self._pipe = process, ours
        self._loop = asyncio.get_running_loop()
        threading.Thread(
            target=self._read_answers, args=(ours,), name="bodega-writer-read", daemon=True
        ).start()
        return ours

    def _read_answers(self, pipe: Pipe) -> None:
        loop = self._loop
        assert loop is not None
        while True:
            try:
                call_id, ok, value = pipe.recv()
            except (EOFError, OSError):
                if not loop.is_closed():
                    loop.call_soon_threadsafe(self._lost, pipe, "the writer process stopped")
                return
            if not loop.is_closed():
                loop.call_soon_threadsafe(self._answer, call_id, ok, value)

    def _answer(self, call_id: int, ok: bool, value: Any) -> None:
        future = self._pending.pop(call_id, None)
        if future is None or future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def _lost(self, pipe: Pipe, why: str) -> None:
        if pipe is not self._pipe:
            return  # an old child, already replaced
        log.error("writer_process_lost", reason=why)
        self._pipe = None
        self._process = None
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(WriterGone(why))

    async def start(self) -> None:
        """Start the child now rather than on the first call."""
        if self._pipe is None:
            # Off the event loop: the first start waits for the fork server's imports.
            self._start(await asyncio.to_thread(self._launch))

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        pipe = self._pipe
        if pipe is None or self._process is None or not self._process.is_alive():
            if pipe is not None:
                self._lost(pipe, "the writer process died")
            pipe = self._start()
        call_id = next(self._ids)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending[call_id] = future
        try:
            await loop.run_in_executor(self._sender, pipe.send, (call_id, fn, args))
        except OSError as exc:
            self._pending.pop(call_id, None)
            self._lost(pipe, f"could not reach the writer process: {exc}")
            raise WriterGone(str(exc)) from exc
        return await future

    async def close(self) -> None:
        pipe, process = self._pipe, self._process
        self._pipe = self._process = None
        if pipe is not None and process is not None:
            with contextlib.suppress(OSError):  # already gone is as good as told to stop
                await asyncio.get_running_loop().run_in_executor(self._sender, pipe.send, None)
            await asyncio.to_thread(process.join, 10)
            if process.is_alive():
                process.kill()
                # Gone before close returns: whoever swaps the database file next (a restore)
                # must not find this process still holding it.
                await asyncio.to_thread(process.join)
            pipe.close()
        self._sender.shutdown(wait=False)
