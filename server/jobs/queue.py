"""The job table's writers: enqueue, claim, finish, fail (each runs inside a write transaction)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from server.db.base import new_id, utcnow
from server.jobs.models import Job

BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 3600.0


class Retry(Exception):
    """Raised by a handler: try again after `after_s` seconds (a platform said 429, Retry-After)."""

    def __init__(self, after_s: float, why: str = "") -> None:
        super().__init__(why or f"retry after {after_s}s")
        self.after_s = after_s


@dataclass(frozen=True)
class ClaimedJob:
    id: uuid.UUID
    kind: str
    key: str
    payload: dict[str, Any]
    attempts: int  # including this one
    generation: int


def enqueue(
    conn: Connection,
    kind: str,
    key: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    rearm: bool = False,
    gap_s: float | None = None,
    max_attempts: int = 8,
) -> datetime | None:
    """Ask for a job, idempotently by (kind, key) (see the package docstring). With `rearm`,
    answers when the job will run (the caller may wake the worker if that is now).

    `gap_s` (with rearm): coalesce. A job asked for again and again (after every write that
    raised an exception) runs at once when it has been idle for `gap_s`, else `gap_s` from now;
    a waiting one keeps its time (at most `gap_s` away), and one asked for while it runs comes
    back `gap_s` later. So it runs at most about once per `gap_s`, each run taking everything
    asked for meanwhile."""
    now = utcnow()
    when = run_at or now
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    row = {
        "id": new_id(),
        "kind": kind,
        "key": key,
        "payload": payload or {},
        "state": "ready",
        "run_at": when,
        "attempts": 0,
        "max_attempts": max_attempts,
        "generation": 0,
        "last_error": "",
        "created_at": now,
        "updated_at": now,
    }
    stmt = dialect_insert(Job).values(row)
    if rearm:
        excluded = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=["kind", "key"],
            set_={
                "payload": excluded.payload,
                "generation": Job.generation + 1,
                # A waiting or running job keeps its place (or moves earlier); a finished or dead one
                # starts again with fresh attempts.
                "run_at": _earlier(Job.run_at, excluded.run_at)
                if gap_s is None
                else _after_gap(now, timedelta(seconds=gap_s)),
                "attempts": _case_ready(Job.attempts, 0),
                "state": "ready",
                "updated_at": excluded.updated_at,
            },
        )
        return conn.execute(stmt.returning(Job.run_at)).scalar_one()
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["kind", "key"]))
    return None


def _earlier(current: Any, new: Any) -> Any:
    return case((Job.state != "ready", new), (new < current, new), else_=current)


def _after_gap(now: datetime, gap: timedelta) -> Any:
    soon = now + gap
    return case(
        (and_(Job.state != "ready", Job.updated_at <= now - gap), now),  # idle long enough: now
        (Job.state != "ready", soon),  # finished moments ago
        (Job.lease_owner.is_not(None), soon),  # running: once more, after the gap
        (Job.run_at > soon, soon),  # waiting far ahead (until quiet hours end): not that long
        else_=Job.run_at,  # waiting: it will take this change too
    )


def _case_ready(current: Any, fresh: int) -> Any:
    return case((Job.state == "ready", current), else_=fresh)


def claim(
    conn: Connection, owner: str, now: datetime, limit: int, lease_s: float, kinds: list[str] | None = None
) -> list[ClaimedJob]:
    """Take up to `limit` due jobs for `owner` until now + lease_s, counting the attempt.

    Due: ready, run_at passed, and no live lease (a lease that expired belonged to a worker that
    died or hung: its job is taken again)."""
    due = and_(
        Job.state == "ready",
        Job.run_at <= now,
        or_(Job.lease_until.is_(None), Job.lease_until <= now),
    )
    stmt = select(Job.id).where(due).order_by(Job.run_at).limit(limit)
    if kinds is not None:
        stmt = stmt.where(Job.kind.in_(kinds))
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(conn.execute(stmt).scalars())
    if not ids:
        return []
    until = now + timedelta(seconds=lease_s)
    conn.execute(
        update(Job)
        .where(Job.id.in_(ids))
        .values(lease_owner=owner, lease_until=until, attempts=Job.attempts + 1, updated_at=now)
    )
    rows = conn.execute(
        select(Job.id, Job.kind, Job.key, Job.payload, Job.attempts, Job.generation)
        .where(Job.id.in_(ids))
        .order_by(Job.run_at)
    ).all()
    return [ClaimedJob(r[0], r[1], r[2], dict(r[3] or {}), int(r[4]), int(r[5])) for r in rows]


def _mine(job: ClaimedJob, owner: str) -> Any:
    return and_(Job.id == job.id, Job.lease_owner == owner)


def finish_job(
    conn: Connection, job: ClaimedJob, owner: str, now: datetime, again_after_s: float | None = None
) -> bool:
    """Mark a run done, or (a periodic job: `again_after_s`) due again that much later. If the job
    was asked for again while it ran (generation moved), it stays ready to run once more. False
    when the lease was lost (another worker took the job over)."""
    if again_after_s is not None:
        values: dict[str, Any] = {
            "state": "ready",
            "run_at": now + timedelta(seconds=again_after_s),
            "attempts": 0,
        }
    else:
        values = {"state": "done"}
    done = conn.execute(
        update(Job)
        .where(_mine(job, owner), Job.generation == job.generation)
        .values(lease_owner=None, lease_until=None, last_error="", updated_at=now, **values)
    ).rowcount
    if done:
        return True
    # Asked for while running: again now, or later if the asker chose a later time (a gap).
    again = conn.execute(
        update(Job)
        .where(_mine(job, owner))
        .values(
            lease_owner=None,
            lease_until=None,
            attempts=0,
            run_at=case((Job.run_at > now, Job.run_at), else_=now),
            updated_at=now,
        )
    ).rowcount
    return bool(again)


def backoff_s(attempts: int) -> float:
    """2 s, 4 s, 8 s ... capped at an hour."""
    return min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S)


def fail_job(
    conn: Connection, job: ClaimedJob, owner: str, now: datetime, error: str, after_s: float | None
) -> str:
    """Record a failed run: back to ready after the back-off, or dead after max_attempts.
    Returns the new state ("" if the lease was lost)."""
    row = conn.execute(select(Job.max_attempts, Job.generation).where(_mine(job, owner))).first()
    if row is None:
        return ""
    max_attempts, generation = int(row[0]), int(row[1])
    dead = job.attempts >= max_attempts and generation == job.generation
    values: dict[str, Any] = {
        "lease_owner": None,
        "lease_until": None,
        "last_error": error[:2000],
        "updated_at": now,
    }
    if dead:
        values["state"] = "dead"
    else:
        delay = after_s if after_s is not None else backoff_s(job.attempts)
        values["run_at"] = now + timedelta(seconds=delay)
    conn.execute(update(Job).where(_mine(job, owner)).values(values))
    return "dead" if dead else "ready"


def next_due(conn: Connection) -> datetime | None:
    """When the earliest waiting job can next be claimed (its run_at, or its lease's end while a
    worker holds it): the worker sleeps until then, within its poll interval."""
    rows = conn.execute(
        select(Job.run_at, Job.lease_until).where(Job.state == "ready").order_by(Job.run_at).limit(64)
    ).all()
    times = [max(run_at, lease) if lease is not None else run_at for run_at, lease in rows]
    return min(times) if times else None
