"""Durable background jobs: a table, leases and retries; no Redis, nothing lost on restart.

API (small on purpose; channels' pushes and polls use it, the supervisors' alert rules can too):

- `enqueue(conn, kind, key, payload=None, *, run_at=None, rearm=False, max_attempts=8)` inside any
  write transaction (server/jobs/queue.py). Idempotent by (kind, key): a second enqueue of a job
  that is still waiting changes nothing (its run_at moves earlier if asked). A finished job is run
  again only with `rearm=True` (a "something changed, push again" job); rearming a job that is
  running right now bumps its generation, so that run does not mark it done and it runs once more.
- `register(kind, handler)`: `async def handler(ctx: JobContext, job: ClaimedJob) -> float | None`.
  Return None when done, or (a periodic job: a poll, a daily count) the seconds until it runs again. Raise
  to fail the attempt (retried with exponential back-off, `Retry(after_s)` to choose the delay);
  after `max_attempts` the job is `dead` (kept with its last error, for a person to look at).
- `Worker(db, handlers, ...)`: `await worker.run_once()` claims the due jobs and runs them (tests
  drive this with a fake clock); `worker.start()` / `await worker.stop()` run it as a loop (the
  app does this in its lifespan, server/app.py).

Claims: a claim sets a lease (owner + expiry) and counts the attempt, in a write transaction
through `Database.run_write` like every write. On PostgreSQL several workers (in several server
processes) claim with `FOR UPDATE SKIP LOCKED`, so no two take the same job; on SQLite there is
one writer and one worker in-process. A job whose worker died keeps its lease until it expires;
then any worker takes it again: at-least-once, so handlers must be idempotent (pushes send
absolute quantities; pulls upsert).
"""

from server.jobs.queue import ClaimedJob, Retry, enqueue
from server.jobs.worker import JobContext, Worker, handlers_registered, register

__all__ = ["ClaimedJob", "JobContext", "Retry", "Worker", "enqueue", "handlers_registered", "register"]
