"""The periodic check for shipments past their expected date (server/inbound/overdue.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from server.inbound.overdue import raise_overdue
from server.jobs import ClaimedJob, JobContext, enqueue, register

OVERDUE = "inbound.overdue"
EVERY_S = 6 * 3600.0  # four looks a day: a day late is what matters
MANILA = ZoneInfo("Asia/Manila")


def schedule_overdue(conn: Connection, now: datetime) -> None:
    """Make sure the check runs (idempotent: one job for all shipments)."""
    enqueue(conn, OVERDUE, "all", {}, run_at=now)


def _run(conn: Connection, now: datetime) -> list[str]:
    return raise_overdue(conn, now.astimezone(MANILA).date(), now)


async def check_overdue(ctx: JobContext, job: ClaimedJob) -> float | None:
    await ctx.db.run_write(_run, ctx.now())
    return EVERY_S


register(OVERDUE, check_overdue)
