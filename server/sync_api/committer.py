"""Group commit for pushes (server/db/group_commit.py): many devices' requests, one transaction.

A request is answered only after the transaction holding its ops has committed, so an answer always
means "journalled, judged, durable". Failures: a transient one (lock timeout, deadlock,
serialisation, connection) retries the whole transaction; any other one reruns the batch in careful
mode (one savepoint per op, a failing op quarantined as poison_op); if even that fails, each request
is tried alone (carefully) so one cannot sink the others.
"""

from __future__ import annotations

import asyncio

import structlog

from server.db import Database
from server.db.group_commit import GroupCommitter
from server.db.transient import is_transient
from server.sync_api.push import BatchOutcome, PushJob, PushOutcome, apply_batch

log = structlog.get_logger("bodega.sync.committer")

ATTEMPTS = 4
MAX_OPS_PER_TRANSACTION = 5000


class PushCommitter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.group: GroupCommitter[PushJob, tuple[PushOutcome, BatchOutcome]] = GroupCommitter(
            "sync", self._commit, size=lambda job: len(job.items), max_size=MAX_OPS_PER_TRANSACTION
        )

    async def submit(self, job: PushJob) -> tuple[PushOutcome, BatchOutcome]:
        return await self.group.submit(job)

    async def close(self) -> None:
        await self.group.close()

    async def _commit(self, jobs: list[PushJob]) -> list[tuple[PushOutcome, BatchOutcome]]:
        outcome = await self._fast_then_careful(jobs)
        return [(result, outcome) for result in outcome.jobs]

    async def _fast_then_careful(self, jobs: list[PushJob]) -> BatchOutcome:
        try:
            return await self._transaction(jobs, careful=False)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.warning("sync_push_careful", requests=len(jobs), error=repr(exc)[:300])
            return await self._transaction(jobs, careful=True)

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
