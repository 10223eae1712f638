"""Durable jobs (server/jobs/): idempotent enqueue, retries with back-off, dead list, leases that
expire when a worker dies, and on PostgreSQL several workers that never run one job twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.db import Database
from server.db.base import utcnow
from server.jobs import ClaimedJob, JobContext, Retry, Worker, enqueue
from server.jobs.models import Job
from server.jobs.queue import claim, finish_job
from tests.conftest import run


class FakeClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def _enqueue(
    conn: Connection, kind: str, key: str, payload: dict[str, Any], rearm: bool, run_at: Any
) -> None:
    enqueue(conn, kind, key, payload, rearm=rearm, run_at=run_at, max_attempts=3)


def _jobs(conn: Connection) -> list[tuple[str, str, int, str, str]]:
    rows = conn.execute(select(Job.key, Job.state, Job.attempts, Job.last_error, Job.kind).order_by(Job.key))
    return [(r[0], r[1], int(r[2]), r[3], r[4]) for r in rows]


def test_enqueue_is_idempotent_and_a_job_runs_once(database_url: str) -> None:
    clock = FakeClock()
    seen: list[dict[str, Any]] = []

    async def handler(ctx: JobContext, job: ClaimedJob) -> None:
        seen.append(job.payload)

    async def go() -> None:
        db = Database(database_url)
        try:
            for _ in range(3):
                await db.run_write(_enqueue, "t.echo", "k1", {"n": 1}, False, clock.at)
            worker = Worker(db, {"t.echo": handler}, clock=clock)
            assert [o for _, o in await worker.run_once()] == ["done"]
            assert await worker.run_once() == []
            # Done and asked again without rearm (a webhook delivered twice): not run again.
            await db.run_write(_enqueue, "t.echo", "k1", {"n": 2}, False, clock.at)
            assert await worker.run_once() == []
            # Rearmed (stock changed again): runs again with the new payload.
            await db.run_write(_enqueue, "t.echo", "k1", {"n": 3}, True, clock.at)
            assert [o for _, o in await worker.run_once()] == ["done"]
        finally:
            await db.dispose()

    run(go())
    assert seen == [{"n": 1}, {"n": 3}]


def test_failures_back_off_then_the_job_goes_to_the_dead_list(database_url: str) -> None:
    clock = FakeClock()
    calls: list[datetime] = []

    async def handler(ctx: JobContext, job: ClaimedJob) -> None:
        calls.append(ctx.now())
        raise RuntimeError("platform down")

    async def go() -> list[tuple[str, str, int, str, str]]:
        db = Database(database_url)
        try:
            await db.run_write(_enqueue, "t.fail", "k", {}, False, clock.at)
            worker = Worker(db, {"t.fail": handler}, clock=clock)
            assert [o for _, o in await worker.run_once()] == ["ready"]
            clock.advance(1.9)  # the first back-off is 2 s: not due yet
            assert await worker.run_once() == []
            clock.advance(0.1)
            assert [o for _, o in await worker.run_once()] == ["ready"]
            clock.advance(3.9)  # then 4 s
            assert await worker.run_once() == []
            clock.advance(0.1)
            assert [o for _, o in await worker.run_once()] == ["dead"]  # max_attempts 3
            clock.advance(10_000)
            assert await worker.run_once() == []
            return await db.run_read(_jobs)
        finally:
            await db.dispose()

    rows = run(go())
    assert rows == [("k", "dead", 3, "RuntimeError('platform down')", "t.fail")]
    assert [(c - calls[0]).total_seconds() for c in calls] == [0, 2, 6]


def test_retry_after_is_honoured(database_url: str) -> None:
    clock = FakeClock()

    async def handler(ctx: JobContext, job: ClaimedJob) -> None:
        if job.attempts == 1:
            raise Retry(30, "429 too many requests")

    async def go() -> None:
        db = Database(database_url)
        try:
            await db.run_write(_enqueue, "t.rate", "k", {}, False, clock.at)
            worker = Worker(db, {"t.rate": handler}, clock=clock)
            assert [o for _, o in await worker.run_once()] == ["ready"]
            clock.advance(29)
            assert await worker.run_once() == []
            clock.advance(1)
            assert [o for _, o in await worker.run_once()] == ["done"]
        finally:
            await db.dispose()

    run(go())


def test_a_dead_workers_lease_expires_and_another_worker_takes_the_job(database_url: str) -> None:
    clock = FakeClock()
    ran: list[str] = []

    async def handler(ctx: JobContext, job: ClaimedJob) -> None:
        ran.append(job.key)

    async def go() -> None:
        db = Database(database_url)
        try:
            await db.run_write(_enqueue, "t.lease", "k", {}, False, clock.at)
            # Worker A claims it and dies (never finishes).
            taken = await db.run_write(claim, "worker-a", clock.at, 10, 60.0, ["t.lease"])
            assert [j.key for j in taken] == ["k"]
            worker_b = Worker(db, {"t.lease": handler}, owner="worker-b", clock=clock, lease_s=60)
            clock.advance(59)
            assert await worker_b.run_once() == []  # A's lease still holds
            clock.advance(1)
            assert [o for _, o in await worker_b.run_once()] == ["done"]
            # A comes back from the dead and tries to finish: its lease is gone, nothing changes.
            from server.jobs.queue import finish_job

            assert await db.run_write(finish_job, taken[0], "worker-a", clock.at) is False
        finally:
            await db.dispose()

    run(go())
    assert ran == ["k"]


def test_asked_again_while_running_runs_once_more(database_url: str) -> None:
    clock = FakeClock()
    runs: list[int] = []

    async def go() -> None:
        db = Database(database_url)

        async def handler(ctx: JobContext, job: ClaimedJob) -> None:
            runs.append(job.payload["n"])
            if job.payload["n"] == 1:  # the stock changes again while this push is under way
                await db.run_write(_enqueue, "t.push", "listing", {"n": 2}, True, clock.at)

        try:
            await db.run_write(_enqueue, "t.push", "listing", {"n": 1}, True, clock.at)
            worker = Worker(db, {"t.push": handler}, clock=clock)
            assert [o for _, o in await worker.run_once()] == ["done"]  # kept ready, not done
            assert [o for _, o in await worker.run_once()] == ["done"]
            assert await worker.run_once() == []
        finally:
            await db.dispose()

    run(go())
    assert runs == [1, 2]


GAP_S = 30.0  # long against the test's own run time, so real time passing cannot blur it


def _arm(conn: Connection) -> datetime | None:
    return enqueue(conn, "t.round", "all", rearm=True, gap_s=GAP_S)


def _claim(conn: Connection, now: datetime) -> list[ClaimedJob]:
    return claim(conn, "w1", now, 10, 60.0)


def _finish(conn: Connection, job: ClaimedJob, now: datetime, again_s: float | None = None) -> bool:
    return finish_job(conn, job, "w1", now, again_s)


def _run_at(conn: Connection) -> datetime:
    return conn.execute(select(Job.run_at).where(Job.kind == "t.round")).scalar_one()


def test_a_job_asked_for_with_a_gap_runs_at_once_when_idle_and_coalesces_a_burst(database_url: str) -> None:
    """enqueue(gap_s=...): the exceptions' notification round's arming. enqueue stamps the real
    time, so the times here are the real time and seconds from it."""

    def now(plus: float = 0.0) -> datetime:
        return utcnow() + timedelta(seconds=plus)

    async def go() -> None:
        db = Database(database_url)
        try:
            first = await db.run_write(_arm)
            assert first is not None and first <= now()  # never run before: at once
            [job] = await db.run_write(_claim, now(1))
            assert await db.run_write(_finish, job, now(1))
            # Asked again right after a run: after the gap, and asking more keeps that time.
            later = await db.run_write(_arm)
            assert later is not None and now(GAP_S - 5) < later <= now(GAP_S)
            assert await db.run_write(_arm) == later == await db.run_read(_run_at)
            assert await db.run_write(_claim, now(1)) == []  # not due before the gap
            # Asked for while it runs: once more, a gap after the asking.
            [job] = await db.run_write(_claim, later)
            during = await db.run_write(_arm)
            assert during is not None and during > later
            assert await db.run_write(_finish, job, later)
            assert await db.run_read(_run_at) == during
            [job] = await db.run_write(_claim, during)
            # A run long ago: the next asking runs at once.
            assert await db.run_write(_finish, job, now(-2 * GAP_S))
            again = await db.run_write(_arm)
            assert again is not None and again <= now()
            # Waiting far ahead (the round comes back when quiet hours end): a new asking (a
            # critical alert) brings it within the gap.
            [job] = await db.run_write(_claim, now(1))
            assert await db.run_write(_finish, job, now(-2 * GAP_S), 3600.0)
            assert await db.run_read(_run_at) > now(3000)
            pulled = await db.run_write(_arm)
            assert pulled is not None and pulled <= now(GAP_S)
        finally:
            await db.dispose()

    run(go())


@pytest.mark.postgres
def test_two_workers_on_postgres_never_run_one_job_twice(postgres_server_url: str, request: Any) -> None:
    from tests.conftest import fresh_database

    url = fresh_database(request, request.getfixturevalue("tmp_path"), "postgres")
    ran: Counter[str] = Counter()

    async def handler(ctx: JobContext, job: ClaimedJob) -> None:
        ran[job.key] += 1
        await asyncio.sleep(0)  # let the other worker claim meanwhile

    async def drain(worker: Worker) -> None:
        while await worker.run_once():
            pass

    async def go() -> None:
        a, b = Database(url), Database(url)
        try:
            for i in range(200):
                await a.run_write(_enqueue, "t.many", f"k{i:03d}", {}, False, None)
            workers = [
                Worker(a, {"t.many": handler}, owner="a", batch=7),
                Worker(b, {"t.many": handler}, owner="b", batch=7),
            ]
            await asyncio.gather(*(drain(w) for w in workers))
            rows = await a.run_read(_jobs)
            assert {state for _, state, *_ in rows} == {"done"}
        finally:
            await a.dispose()
            await b.dispose()

    run(go())
    assert len(ran) == 200
    assert set(ran.values()) == {1}


def test_stopping_lets_the_jobs_in_hand_finish_and_cuts_short_one_that_never_ends(database_url: str) -> None:
    """A restart must not leave a notification round half done until its lease runs out (a minute),
    nor cancel it in the middle of a read; a job that never ends is cut short after the grace."""
    finished: list[str] = []
    started = asyncio.Event()

    async def slow(ctx: JobContext, job: ClaimedJob) -> None:
        started.set()
        await asyncio.sleep(0.3)
        finished.append(job.key)

    async def never(ctx: JobContext, job: ClaimedJob) -> None:
        started.set()
        await asyncio.Event().wait()

    async def go() -> list[tuple[str, str, int, str, str]]:
        db = Database(database_url)
        try:
            now = utcnow()
            await db.run_write(_enqueue, "t.slow", "s1", {}, False, now)
            worker = Worker(db, {"t.slow": slow})
            worker.start()
            await asyncio.wait_for(started.wait(), 10)
            await worker.stop()
            started.clear()
            await db.run_write(_enqueue, "t.never", "n1", {}, False, now)
            stuck = Worker(db, {"t.never": never})
            stuck.start()
            await asyncio.wait_for(started.wait(), 10)
            await stuck.stop(grace_s=0.2)
            return await db.run_read(_jobs)
        finally:
            await db.dispose()

    jobs = {key: state for key, state, *_ in run(go())}
    assert finished == ["s1"]
    assert jobs["s1"] == "done"
    assert jobs["n1"] == "ready"  # claimed, not finished: it runs again when its lease expires
