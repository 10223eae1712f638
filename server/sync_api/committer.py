"""Group commit for pushes: many devices' requests, one transaction.

Requests queue here and wait; one task drains the queue, running everything that arrived while the
previous transaction was committing as the next transaction. A request is answered only after the
transaction holding its ops has committed, so an answer always means "journalled, judged, durable",
yet a burst of requests costs one commit. The drain task ends when the queue is empty and the next
request starts another, so nothing is left running when the app stops.

Failures: a transient one (lock timeout, deadlock, serialisation, connection) retries the whole
transaction; any other one reruns the batch in careful mode (one savepoint per op, a failing op
quarantined as poison_op); if even that fails, each request is tried alone so one cannot sink the
others. A request that still fails gets an error, and its phone retries later (nothing was kept).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog

from server.db import Database
from server.db.transient import is_transient
from server.sync_api.push import BatchOutcome, PushJob, PushOutcome, apply_batch

log = structlog.get_logger("bodega.sync.committer")

ATTEMPTS = 4
MAX_OPS_PER_TRANSACTION = 5000


@dataclass
class _Waiting:
    job: PushJob
    done: asyncio.Future[tuple[PushOutcome, BatchOutcome]]

    @property
    def size(self) -> int:
        return max(1, len(self.job.items))


class PushCommitter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: list[_Waiting] = []
        self._task: asyncio.Task[None] | None = None
        self.transactions = 0
        self.requests = 0

    async def submit(self, job: PushJob) -> tuple[PushOutcome, BatchOutcome]:
        loop = asyncio.get_running_loop()
        waiting = _Waiting(job, loop.create_future())
        self._queue.append(waiting)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        return await waiting.done

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            await asyncio.wait([self._task], timeout=10)

    def _next_batch(self) -> list[_Waiting]:
        batch: list[_Waiting] = []
        size = 0
        while self._queue and (not batch or size + self._queue[0].size <= MAX_OPS_PER_TRANSACTION):
            item = self._queue.pop(0)
            batch.append(item)
            size += item.size
        return batch

    async def _drain(self) -> None:
        while self._queue:
            batch = self._next_batch()
            try:
                await self._commit(batch)
            except Exception as exc:  # never leave a phone waiting forever
                log.exception("sync_push_failed", error=repr(exc))
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(exc)

    async def _commit(self, batch: list[_Waiting]) -> None:
        jobs = [w.job for w in batch]
        try:
            outcome = await self._transaction(jobs, careful=False)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.warning("sync_push_careful", requests=len(jobs), error=repr(exc)[:300])
            try:
                outcome = await self._transaction(jobs, careful=True)
            except Exception:
                if len(batch) == 1:
                    raise
                for item in batch:
                    try:
                        alone = await self._transaction([item.job], careful=True)
                        item.done.set_result((alone.jobs[0], alone))
                    except Exception as one:
                        item.done.set_exception(one)
                return
        self.transactions += 1
        self.requests += len(batch)
        for item, result in zip(batch, outcome.jobs, strict=True):
            item.done.set_result((result, outcome))

    async def _transaction(self, jobs: list[PushJob], *, careful: bool) -> BatchOutcome:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                # On SQLite, in the writer process when there is one: HTTP on one core, ledgers on the other.
                return await self.db.run_write(apply_batch, jobs, careful)
            except Exception as exc:
                if attempt == ATTEMPTS or not is_transient(exc):
                    raise
                log.warning("sync_push_retry", attempt=attempt, error=repr(exc)[:200])
                await asyncio.sleep(0.01 * attempt)
        raise AssertionError("unreachable")
