"""The console's periodic jobs (durable, server/jobs): the KPI rollup every ten minutes (yesterday
and today; the last 35 days in the run after 01:00 Manila), and at 01:00 Manila yesterday's daily
operations PDF rendered and kept (report_files). `schedule` asks for them at start-up
(idempotent: a job already asked for keeps its time)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import anyio
from sqlalchemy import delete, insert
from sqlalchemy.engine import Connection

from server.business_day import MANILA, manila_day
from server.db import Database
from server.jobs import ClaimedJob, JobContext, enqueue, register
from server.kpis.rollup import EVERY_S, roll_due
from server.kpis.rollup import JOB as ROLLUP
from server.reports.daily import daily_data, render_daily
from server.reports.models import ReportFile

DAILY = "reports.daily"
AT = time(1, 0)  # Manila
FIRST_ROLLUP_S = 60.0


def next_run(now: datetime) -> datetime:
    local = now.astimezone(MANILA)
    at = datetime.combine(local.date(), AT, MANILA)
    if at <= local:
        at += timedelta(days=1)
    return at


def _seconds_to_next(now: datetime) -> float:
    return max((next_run(now) - now).total_seconds(), 60.0)


def _ask(conn: Connection, now: datetime) -> None:
    # A minute after start-up, not at once: a server starting has better things to do first.
    enqueue(conn, ROLLUP, "nightly", {}, run_at=now + timedelta(seconds=FIRST_ROLLUP_S), max_attempts=5)
    enqueue(conn, DAILY, "nightly", {}, run_at=next_run(now), max_attempts=5)


async def schedule(db: Database, now: datetime) -> None:
    await db.run_write(_ask, now)


async def rollup_job(ctx: JobContext, job: ClaimedJob) -> float:
    now = ctx.now()
    nightly = now.astimezone(MANILA).hour == AT.hour
    await ctx.db.run_write(roll_due, now, nightly)
    return EVERY_S


def keep_report(conn: Connection, kind: str, day: date, content: bytes, now: datetime) -> None:
    conn.execute(delete(ReportFile).where(ReportFile.kind == kind, ReportFile.day == day.isoformat()))
    conn.execute(insert(ReportFile).values(kind=kind, day=day.isoformat(), content=content, created_at=now))


async def daily_job(ctx: JobContext, job: ClaimedJob) -> float:
    now = ctx.now()
    day = manila_day(now) - timedelta(days=1)
    data = await ctx.db.run_read(daily_data, day, now)
    pdf = await anyio.to_thread.run_sync(render_daily, data)  # reportlab blocks: off the loop
    await ctx.db.run_write(keep_report, "daily", day, pdf, now)
    return _seconds_to_next(now)


register(ROLLUP, rollup_job)
register(DAILY, daily_job)
