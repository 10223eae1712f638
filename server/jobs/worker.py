"""The worker: claims due jobs, runs the handler registered for each kind, records the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from server.db import Database
from server.db.base import utcnow
from server.jobs.queue import ClaimedJob, Retry, claim, fail_job, finish_job, next_due

log = structlog.get_logger("bodega.jobs")
# How long stopping waits for the jobs in hand to finish before cutting them short. A job cut short
# runs again only when its lease expires (a minute later), and one cancelled in the middle of a
# database read can leave its connection for the garbage collector to close.
STOP_GRACE_S = 5.0


@dataclass
class JobContext:
    """What a handler gets besides its job: the database, the clock, and whatever the app put in
    `services` (the channels' API clients, for instance)."""

    db: Database
    now: Callable[[], datetime]
    services: dict[str, Any] = field(default_factory=dict[str, Any])


# A handler returns None (done) or, for a periodic job, the seconds until its next run.
Handler = Callable[[JobContext, ClaimedJob], Awaitable[float | None]]
_registry: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    _registry[kind] = handler


def handlers_registered() -> dict[str, Handler]:
    return dict(_registry)


class Worker:
    """Claims and runs jobs. `clock` is injectable (tests use a fake one and call `run_once`)."""

    def __init__(
        self,
        db: Database,
        handlers: dict[str, Handler] | None = None,
        *,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        lease_s: float = 60.0,
        batch: int = 16,
        poll_s: float = 0.1,
        services: dict[str, Any] | None = None,
    ) -> None:
        self.db = db
        self.handlers = handlers if handlers is not None else handlers_registered()
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.clock = clock
        self.lease_s = lease_s
        self.batch = batch
        self.poll_s = poll_s
        self.context = JobContext(db, clock, services or {})
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    async def run_once(self) -> list[tuple[ClaimedJob, str]]:
        """Claim the due jobs and run them (concurrently); each job with its outcome: done |
        ready (will retry) | dead | lost (our lease ran out and another worker took it)."""
        now = self.clock()
        kinds = sorted(self.handlers)
        jobs = await self.db.run_write(claim, self.owner, now, self.batch, self.lease_s, kinds)
        if not jobs:
            return []
        outcomes = await asyncio.gather(*(self._run(job) for job in jobs))
        return list(zip(jobs, outcomes, strict=True))

    async def _run(self, job: ClaimedJob) -> str:
        handler = self.handlers[job.kind]
        try:
            again = await handler(self.context, job)
        except asyncio.CancelledError:
            raise  # shutting down: the lease expires and the job runs again
        except Retry as exc:
            return await self._failed(job, str(exc), exc.after_s)
        except Exception as exc:  # a handler's failure is the job's, never the worker's
            log.warning("job_failed", kind=job.kind, key=job.key, attempt=job.attempts, error=repr(exc)[:300])
            return await self._failed(job, repr(exc), None)
        kept = await self.db.run_write(finish_job, job, self.owner, self.clock(), again)
        return "done" if kept else "lost"

    async def _failed(self, job: ClaimedJob, error: str, after_s: float | None) -> str:
        state = await self.db.run_write(fail_job, job, self.owner, self.clock(), error, after_s)
        if state == "dead":
            log.error("job_dead", kind=job.kind, key=job.key, error=error[:300])
        return state or "lost"

    def poke(self) -> None:
        """Something was just enqueued in this process: look now rather than at the next poll."""
        self._wake.set()

    async def _loop(self) -> None:
        while not self._stopping:
            # Cleared before looking, not after: a poke while this pass runs means look again.
            self._wake.clear()
            try:
                ran = await self.run_once()
                if ran or self._stopping:
                    continue
                due = await self.db.run_read(_next_due)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away for a moment: keep the worker alive
                log.warning("job_worker_error", error=repr(exc)[:300])
                due = None
            wait = self.poll_s
            if due is not None:
                wait = max(0.0, min(wait, (due - self.clock()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="bodega-jobs")

    async def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """Claim nothing more, let the jobs in hand finish (at most `grace_s`), then cut short
        whatever is still running."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace_s)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            self._stopping = False


def _next_due(conn: Any) -> datetime | None:
    return next_due(conn)
