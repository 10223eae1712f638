"""Group commit: many requests, one transaction.

Requests queue here and wait; one task drains the queue, running everything that arrived while the
previous transaction was committing as the next transaction. A request is answered only after the
transaction holding its work has committed, so an answer always means "durable", yet a burst of
concurrent requests costs one commit instead of one each. The drain task ends when the queue is
empty and the next request starts another, so nothing is left running when the app stops.

Order ingestion and sync pushes both use it, each with its own transaction (`commit`). When a
transaction over several requests fails for a reason other than the moment's (a transient failure
is retried inside `commit`), each request is tried alone, so one cannot sink the others; a request
that still fails gets the error and its sender retries later (nothing of it was kept).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog

J = TypeVar("J")  # what one request brings
R = TypeVar("R")  # what it is answered

log = structlog.get_logger("bodega.db.group_commit")

# commit(jobs): one transaction over these requests, an answer per request in their order.
Commit = Callable[[list[J]], Awaitable[list[R]]]


def _always(first: object, other: object) -> bool:
    return True


@dataclass
class _Waiting(Generic[J, R]):
    job: J
    done: asyncio.Future[R]


class GroupCommitter(Generic[J, R]):
    def __init__(
        self,
        name: str,
        commit: Commit[J, R],
        *,
        size: Callable[[J], int],
        max_size: int,
        joins: Callable[[J, J], bool] | None = None,
    ) -> None:
        self.name = name
        self._commit = commit
        self._size = size
        self.max_size = max_size
        # Whether a request may share a transaction with the batch's first one (same actor ...).
        self._joins = joins or _always
        self._queue: list[_Waiting[J, R]] = []
        self._task: asyncio.Task[None] | None = None
        self.transactions = 0
        self.requests = 0

    async def submit(self, job: J) -> R:
        loop = asyncio.get_running_loop()
        waiting: _Waiting[J, R] = _Waiting(job, loop.create_future())
        self._queue.append(waiting)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        return await waiting.done

    async def close(self) -> None:
        """Let the queue drain (a shutting-down server still answers what it took), then fail the rest."""
        if self._task is not None and not self._task.done():
            await asyncio.wait([self._task], timeout=10)
        for waiting in self._queue:
            if not waiting.done.done():
                waiting.done.set_exception(RuntimeError("server shutting down"))

    def _next_batch(self) -> list[_Waiting[J, R]]:
        batch: list[_Waiting[J, R]] = []
        size = 0
        first = self._queue[0].job
        while self._queue and self._joins(first, self._queue[0].job):
            item_size = max(1, self._size(self._queue[0].job))
            if batch and size + item_size > self.max_size:
                break
            batch.append(self._queue.pop(0))
            size += item_size
        return batch

    async def _drain(self) -> None:
        while self._queue:
            batch = self._next_batch()
            try:
                await self._run(batch)
            except Exception as exc:  # never leave a caller waiting forever
                log.exception("group_commit_failed", committer=self.name, error=repr(exc))
                for waiting in batch:
                    if not waiting.done.done():
                        waiting.done.set_exception(exc)

    async def _run(self, batch: list[_Waiting[J, R]]) -> None:
        try:
            answers = await self._commit([w.job for w in batch])
        except Exception as exc:
            if len(batch) == 1:
                raise
            log.warning("group_commit_alone", committer=self.name, requests=len(batch), error=repr(exc)[:300])
            for waiting in batch:
                try:
                    (answer,) = await self._commit([waiting.job])
                    waiting.done.set_result(answer)
                except Exception as one:
                    waiting.done.set_exception(one)
            return
        self.transactions += 1
        self.requests += len(batch)
        for waiting, answer in zip(batch, answers, strict=True):
            waiting.done.set_result(answer)
