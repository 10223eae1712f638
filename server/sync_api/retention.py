"""Keeping the change log from growing forever.

A deleted entity stays in the log as a tombstone so phones that had it learn it is gone; a pick task
finished or a stop delivered leaves one behind, every day. A tombstone is dropped once it is older
than the retention (BODEGA_SYNC_RETENTION_DAYS, 14 by default): a phone that has not synced for
longer than that gets `cursor_expired` and downloads its scopes afresh, keeping its outbox
(PROTOCOL.md §4.5). Log rows carry no time, so the head's position is marked about hourly and a
tombstone's age is read from the marks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from server.changes.log import lock_head, purge_tombstones
from server.changes.models import SyncLogMark
from server.db.base import utcnow

MARK_EVERY = timedelta(hours=1)
DEFAULT_RETENTION_DAYS = 14


def tidy_log(conn: Connection, *, retention_days: int, now: datetime | None = None) -> int:
    """Mark the head's position if the last mark is an hour old; drop the tombstones logged before
    the newest mark older than the retention. Returns how many tombstones were dropped."""
    now = now or utcnow()
    head = lock_head(conn)
    last = conn.execute(select(func.max(SyncLogMark.at))).scalar()
    if last is None or now - last >= MARK_EVERY:
        conn.execute(insert(SyncLogMark).values(at=now, position=head.position))
    cutoff = now - timedelta(days=retention_days)
    up_to = conn.execute(select(func.max(SyncLogMark.position)).where(SyncLogMark.at <= cutoff)).scalar()
    if up_to is None:
        return 0
    # Marks older than the one used are no longer needed.
    conn.execute(delete(SyncLogMark).where(SyncLogMark.at < cutoff, SyncLogMark.position < up_to))
    return purge_tombstones(conn, int(up_to)) if up_to > head.horizon else 0


def tidy_job(conn: Connection, retention_days: int) -> int:
    """`tidy_log` as a job for the writer process (module-level, picklable arguments)."""
    return tidy_log(conn, retention_days=retention_days)
