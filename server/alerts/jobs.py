"""The alerts' durable jobs (server/jobs): the rules every `evaluate_every_s` (with escalation),
`verify` every `verify_every_minutes`, and the notification round whenever something changed.

`schedule` asks for the periodic ones (idempotent; the app does it at start). On PostgreSQL
several workers may run; a job is claimed by one (SKIP LOCKED), and two evaluations at once
(a slow one and a restarted one) still raise each exception once: the dedupe key's unique index.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy.engine import Connection

from server.alerts.notify import Round, escalate, mark_told, pending, tell_all
from server.alerts.rules import Pass, evaluate, ledger_drift
from server.alerts.settings import read_settings
from server.db import Database
from server.db.base import utcnow
from server.exceptions.raising import NOTIFY_JOB
from server.jobs import ClaimedJob, JobContext, Worker, enqueue, register

log = structlog.get_logger("bodega.alerts")

EVALUATE = "alerts.evaluate"
VERIFY = "alerts.verify"


def schedule(conn: Connection) -> None:
    """The periodic jobs, first run one period from now (a restart does not move a waiting one)."""
    now = utcnow()
    s = read_settings(conn)
    enqueue(conn, EVALUATE, "all", run_at=now + timedelta(seconds=s.evaluate_every_s))
    enqueue(conn, VERIFY, "all", run_at=now + timedelta(minutes=s.verify_every_minutes))


def wake_on_exceptions(db: Database, worker: Worker) -> None:
    """Poke the worker when a write that asked for the notification round commits in this process
    and the round is due at once, so it starts then rather than at the worker's next poll. A round
    put off by the gap (NOTIFY_GAP_S) is found by the worker's own look at what is due; other
    processes' workers find it by polling."""

    def committed(reactions: object) -> None:
        at = getattr(reactions, "notify_at", None)
        if at is not None and at <= utcnow():
            worker.poke()

    db.after_commit.append(committed)


def evaluate_and_escalate(conn: Connection, now: datetime) -> tuple[Pass, int]:
    """The rules, then escalation; answers the pass and the seconds until the next."""
    done = evaluate(conn, now)
    escalate(conn, now)
    return done, read_settings(conn).evaluate_every_s


async def run_rules(ctx: JobContext, job: ClaimedJob) -> float | None:
    done, every = await ctx.db.run_write(evaluate_and_escalate, ctx.now())
    raised = {k: v for k, v in done.raised.items() if v}
    if raised:
        log.info("alerts_raised", **raised)
    return float(every)


def _verify(conn: Connection, now: datetime) -> int:
    ledger_drift(conn, now)
    return read_settings(conn).verify_every_minutes * 60


async def run_verify(ctx: JobContext, job: ClaimedJob) -> float | None:
    return float(await ctx.db.run_write(_verify, ctx.now()))


async def notify_round(ctx: JobContext, job: ClaimedJob) -> float | None:
    """Tell the listeners of everything changed since the last round, then mark it told."""
    now = ctx.now()
    found: Round = await ctx.db.run_read(pending, now)
    await tell_all(found.events, ctx.db)
    if found.seen:
        await ctx.db.run_write(mark_told, found.seen, now)
    if found.more:
        return 0.0
    if found.again_at is not None:
        return max((found.again_at - now).total_seconds(), 1.0)
    return None


register(EVALUATE, run_rules)
register(VERIFY, run_verify)
register(NOTIFY_JOB, notify_round)
