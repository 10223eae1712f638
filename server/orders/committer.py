"""Group commit for order ingestion.

Each request hands its orders to the committer and waits. One task drains the queue: everything
that arrived while the previous transaction was committing goes into the next one. Every request
is answered only after the transaction holding its orders has committed, so an answer always means
"durable and reserved", yet a burst of 64 concurrent requests costs one commit instead of 64.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import structlog
from sqlalchemy.exc import DBAPIError

from server.db import Database
from server.errors import BodegaError
from server.orders.ingest import ingest_batch
from server.orders.schemas import IngestResult, OrderIn
from server.settings import Settings

log = structlog.get_logger("bodega.orders.committer")

Outcome = IngestResult | BodegaError
# Retries for transient database errors (deadlock victim, unique race with another process).
ATTEMPTS = 3


@dataclass
class Job:
    orders: list[OrderIn]
    actor: str
    done: asyncio.Future[list[Outcome]]


class OrderCommitter:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.batch_max = settings.ingest_batch_max
        self._queue: list[Job] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.orders = 0

    async def submit(self, orders: list[OrderIn], actor: str) -> list[Outcome]:
        loop = asyncio.get_running_loop()
        job = Job(orders, actor, loop.create_future())
        self._queue.append(job)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        self._wakeup.set()
        return await job.done

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for job in self._queue:
            if not job.done.done():
                job.done.set_exception(RuntimeError("server shutting down"))

    def _next_batch(self) -> list[Job]:
        jobs: list[Job] = []
        count = 0
        actor = self._queue[0].actor
        while self._queue and self._queue[0].actor == actor:
            size = len(self._queue[0].orders)
            if jobs and count + size > self.batch_max:
                break
            jobs.append(self._queue.pop(0))
            count += size
        return jobs

    async def _drain(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                jobs = self._next_batch()
                try:
                    await self._commit(jobs)
                except Exception as exc:  # never leave a caller waiting forever
                    log.exception("ingest_batch_failed", error=repr(exc))
                    for job in jobs:
                        if not job.done.done():
                            job.done.set_exception(exc)

    async def _commit(self, jobs: list[Job]) -> None:
        orders = [o for job in jobs for o in job.orders]
        try:
            outcomes = await self._transaction(orders, jobs[0].actor)
        except DBAPIError:
            if len(jobs) == 1:
                raise
            # Something in the batch makes the database refuse it: commit each request on its own
            # so one bad request cannot fail the others.
            for job in jobs:
                try:
                    job.done.set_result(await self._transaction(job.orders, job.actor))
                except Exception as exc:
                    job.done.set_exception(exc)
            return
        self.batches += 1
        self.orders += len(orders)
        start = 0
        for job in jobs:
            job.done.set_result(outcomes[start : start + len(job.orders)])
            start += len(job.orders)

    async def _transaction(self, orders: list[OrderIn], actor: str) -> list[Outcome]:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await self.db.run_write(ingest_batch, orders, actor)
            except DBAPIError as exc:
                if attempt == ATTEMPTS:
                    raise
                log.warning("ingest_retry", attempt=attempt, error=str(exc.orig)[:200])
                await asyncio.sleep(0.005 * attempt)
        raise AssertionError("unreachable")
