"""Keeps the change log in step with writes made outside sync: orders moved by channels or the
console, catalog edits, stock received at the console, exceptions raised or resolved elsewhere.

Sync writes its own changes in its own transaction. Everything else is picked up here: every few
seconds the projector looks at rows stamped since its last look, recomputes the entities they feed
and appends the ones whose value differs from the logged one. It computes values *after* taking the
log's head lock, so a value it appends is never older than one appended before it.

The watermark lives in the database, not in a process, and never passes a transaction still
running: rows are stamped when written but seen when committed, so the next look starts at the
oldest transaction open during this one (PostgreSQL's pg_stat_activity; on SQLite writers take turns
and none is open while the projector runs), less a margin for clocks that disagree.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.engine import Connection

from server.catalog.entities import sku_entities
from server.catalog.models import Barcode, Sku
from server.changes.log import Changes, emit, lock_head
from server.changes.models import SyncLogHead
from server.cod.entities import stop_entities
from server.db.base import utcnow
from server.exceptions.entities import exception_entities
from server.exceptions.models import ExceptionRecord
from server.inventory.entities import bin_entities, location_entities
from server.inventory.models import Bin, BinBalance
from server.orders.entities import task_entities
from server.orders.models import Order

# Clocks of the app servers and of PostgreSQL may disagree by this much; on SQLite (one machine, one
# writer at a time) it only covers rows stamped just before their transaction began.
MARGIN = timedelta(seconds=5)
SQLITE_MARGIN = timedelta(seconds=1)


def order_entities(conn: Connection, order_ids: Iterable[uuid.UUID]) -> Changes:
    """An order's entities on every phone: its pick task and its rider stop."""
    ids = set(order_ids)
    return task_entities(conn, ids) | stop_entities(conn, ids)


__all__ = ["order_entities", "refresh", "refresh_job"]


def _oldest_open(conn: Connection, now: datetime) -> datetime:
    """Where the next look must start: no later than any transaction open now (other than ours)."""
    if conn.dialect.name == "sqlite":
        return now
    oldest = conn.execute(
        text(
            "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        )
    ).scalar()
    return min(now, oldest) if isinstance(oldest, datetime) else now


def refresh_job(conn: Connection, full: bool) -> int:
    """`refresh` as a job for the writer process (module-level, picklable arguments)."""
    return refresh(conn, full=full)


def refresh(conn: Connection, *, full: bool = False, now: datetime | None = None) -> int:
    """Look at what changed outside sync since the last look; append what differs. Returns how
    many entities were recomputed. `full` recomputes everything (after a restore, or by hand)."""
    lock_head(conn)  # first: values computed below are never older than ones already logged
    now = now or utcnow()
    mark = conn.execute(select(SyncLogHead.projected_at).where(SyncLogHead.id == 1)).scalar()
    margin = SQLITE_MARGIN if conn.dialect.name == "sqlite" else MARGIN
    since = mark - margin if mark is not None and not full else None
    next_mark = _oldest_open(conn, now)
    changes: Changes = {}
    orders = select(Order.id)
    skus = select(Sku.id)
    barcodes = select(Barcode.sku_id)
    exceptions = select(ExceptionRecord.id)
    # Bins moved by anything but sync (which tells the phones itself); all of them on a full look.
    moves = select(BinBalance.bin_id, BinBalance.sku_id)
    # New bins (the console, an import, a phone naming one); a bin switched off is logged by its writer.
    new_bins = select(Bin.id)
    if since is not None:
        new_bins = new_bins.where(Bin.created_at >= since)
        # Versions whose entities their writer logged itself (ingestion) need nothing from here.
        orders = orders.where(
            Order.updated_at >= since, or_(Order.logged_at.is_(None), Order.logged_at < Order.updated_at)
        )
        skus = skus.where(Sku.updated_at >= since)
        barcodes = barcodes.where(Barcode.created_at >= since)
        exceptions = exceptions.where(
            or_(
                and_(ExceptionRecord.created_at >= since, ExceptionRecord.logged_at.is_(None)),
                ExceptionRecord.resolved_at >= since,
            )
        )
        moves = moves.where(BinBalance.outside_sync_at >= since)
    order_ids = list(conn.execute(orders).scalars())
    sku_ids = set(conn.execute(skus).scalars()) | set(conn.execute(barcodes).scalars())
    exception_ids = list(conn.execute(exceptions).scalars())
    pairs = [(r[0], r[1]) for r in conn.execute(moves).all()]
    changes.update(order_entities(conn, order_ids))
    changes.update(sku_entities(conn, sku_ids))
    changes.update(exception_entities(conn, exception_ids))
    changes.update(bin_entities(conn, pairs))
    changes.update(location_entities(conn, conn.execute(new_bins).scalars()))
    emit(conn, changes)
    conn.execute(update(SyncLogHead).where(SyncLogHead.id == 1).values(projected_at=next_mark))
    return len(changes)
