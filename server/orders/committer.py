"""Group commit for order ingestion (server/db/group_commit.py): the orders of every request that
arrived while the previous transaction was committing go into the next one, so a burst of 64
concurrent requests costs one commit, yet each is answered only once its orders are durable and
reserved. Requests of different actors never share a transaction (the history names the actor).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog
from sqlalchemy.exc import DBAPIError

from server.db import Database
from server.db.group_commit import GroupCommitter
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


class OrderCommitter:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.group: GroupCommitter[Job, list[Outcome]] = GroupCommitter(
            "orders",
            self._commit,
            size=lambda job: len(job.orders),
            max_size=settings.ingest_batch_max,
            joins=lambda first, other: first.actor == other.actor,
        )

    async def submit(self, orders: list[OrderIn], actor: str) -> list[Outcome]:
        return await self.group.submit(Job(orders, actor))

    async def close(self) -> None:
        await self.group.close()

    async def _commit(self, jobs: list[Job]) -> list[list[Outcome]]:
        orders = [o for job in jobs for o in job.orders]
        outcomes = await self._transaction(orders, jobs[0].actor)
        answers: list[list[Outcome]] = []
        start = 0
        for job in jobs:
            answers.append(outcomes[start : start + len(job.orders)])
            start += len(job.orders)
        return answers

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
