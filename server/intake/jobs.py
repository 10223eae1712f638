"""The webhook inbox's job: stored webhooks become orders in the background (durable, server/jobs/).

One job, kind "channel.inbox", key "all":
- asked for (rearmed, due now) in the same transaction that stores a verified webhook
  (server/intake/webhooks.py), so a committed webhook always has its processing asked for, and a
  restart loses nothing; the worker is poked so it runs at once rather than at its next poll;
- periodic (every SWEEP_EVERY_S) once it has run: held webhooks (an unmapped listing, an order the
  platform API could not be asked for) are tried again by the sweep, without anyone calling it.

The handler is `process_inbox` with the platform API clients as its order source, so a hint-only
webhook (Lazada, Shopee, TikTok) is fetched from the platform (server/channels/fetch.py).

Acknowledgements first: on SQLite every write, a webhook's store as much as this job's, takes its
turn on the one writer, so an acknowledgement waiting behind a long processing transaction was
late (a 2,000-webhook burst: p99 many times p50). The job writes in transactions of CHUNK webhooks
and, before each, waits for a lull in this process's deliveries (`deliveries`: no store under way
for GAP_S), never more than MAX_WAIT_S, so a flood still gets processed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Generator

from sqlalchemy.engine import Connection

from server.channels.fetch import ApiOrderSource
from server.db.base import utcnow
from server.intake.inbox import process_inbox
from server.jobs import ClaimedJob, JobContext, enqueue, register

INBOX = "channel.inbox"
SWEEP_EVERY_S = 60.0
BATCH = 500  # webhooks per job run (then it runs again at once if more wait)
CHUNK = 100  # webhooks per write transaction: what an acknowledgement may wait behind
GAP_S = 0.02
MAX_WAIT_S = 1.0


class Deliveries:
    """Webhook stores under way in this process, and when the last one ended."""

    def __init__(self) -> None:
        self.storing = 0
        self.last = 0.0

    @contextlib.contextmanager
    def store(self) -> Generator[None]:
        self.storing += 1
        try:
            yield
        finally:
            self.storing -= 1
            self.last = time.monotonic()

    async def lull(self) -> None:
        """Wait until no delivery has been stored for GAP_S, at most MAX_WAIT_S."""
        give_up = time.monotonic() + MAX_WAIT_S
        while (now := time.monotonic()) < give_up:
            quiet = now - self.last if self.storing == 0 else 0.0
            if quiet >= GAP_S:
                return
            await asyncio.sleep(min(GAP_S - quiet, give_up - now))


deliveries = Deliveries()


def ask_for_processing(conn: Connection) -> None:
    """Inside the write that stored webhooks: process them now (a running pass runs once more)."""
    enqueue(conn, INBOX, "all", {}, run_at=utcnow(), rearm=True)


async def process_webhooks(ctx: JobContext, job: ClaimedJob) -> float | None:
    source = ApiOrderSource(ctx)
    handled = 0
    while handled < BATCH:
        await deliveries.lull()
        report = await process_inbox(ctx.db, source, limit=CHUNK)
        chunk = report.done + report.held + report.review + report.failed
        handled += chunk
        if chunk < CHUNK:
            return SWEEP_EVERY_S  # all read: sweep again later
    return 0.0  # a full batch: more may be waiting, go again at once


register(INBOX, process_webhooks)
