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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.engine import Connection

from server.catalog.models import Barcode, Sku
from server.db.base import utcnow
from server.db.bulk import in_values, uuid_order
from server.exceptions.models import ExceptionRecord
from server.inventory.models import Bin, BinBalance, Warehouse
from server.orders.models import Order
from server.sync_api.changelog import Changes, emit, lock_head, logged_values
from server.sync_api.models import SyncLogHead
from server.sync_api.scopes import (
    CATALOG,
    EXCEPTIONS,
    TASK_STATUSES,
    bin_key,
    exception_value,
    order_ref,
    runs_scope,
    wh_scope,
)
from sync import STAGING

# Clocks of the app servers and of PostgreSQL may disagree by this much; on SQLite (one machine, one
# writer at a time) it only covers rows stamped just before their transaction began.
MARGIN = timedelta(seconds=5)
SQLITE_MARGIN = timedelta(seconds=1)
CHUNK = 500


def _chunks(items: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield list(items[start : start + CHUNK])


def by_ids(conn: Connection, sql: str, ids: Sequence[uuid.UUID]) -> list[Any]:
    """Run `sql`, whose `{ids}` is a test of an id column against `ids`. On SQLite in one constant
    statement, ids as the 32 hex digits it stores, without the statement compiler (this runs for
    every push that moves an order); on PostgreSQL with `= ANY(...)`."""
    if conn.dialect.name == "sqlite":
        doc = msgspec.json.encode([i.hex for i in ids]).decode()
        return list(
            conn.exec_driver_sql(sql.replace("{ids}", "IN (SELECT value FROM json_each(?))"), (doc,)).all()
        )
    return list(conn.execute(text(sql.replace("{ids}", "= ANY(:ids)")), {"ids": list(ids)}).all())


def ref_of(value: Any) -> str:
    """An order id as devices name it, from what the driver returned (hex text or a UUID)."""
    if isinstance(value, str):
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


_ORDERS = (
    "SELECT id, status, warehouse_id, cod_amount, customer_name, phone, street, barangay, city, province "
    "FROM orders WHERE id {ids}"
)
_LINES = (
    "SELECT l.order_id, s.code, l.qty FROM order_lines l JOIN skus s ON s.id = l.sku_id "
    "WHERE l.order_id {ids} ORDER BY l.order_id, l.line_no"
)
_STOPS = (
    "SELECT s.order_id, s.run_id, s.position, s.waybill, u.username FROM run_stops s "
    "JOIN delivery_runs r ON r.id = s.run_id JOIN users u ON u.id = r.rider_id "
    "WHERE s.order_id {ids} AND r.status = 'open'"
)


def order_entities(conn: Connection, order_ids: Iterable[uuid.UUID]) -> Changes:
    """Task and stop entities of these orders, with deletions for the ones that no longer apply."""
    ids = sorted(set(order_ids), key=uuid_order)
    changes: Changes = {}
    if not ids:
        return changes
    wh_codes = {r[0].hex: r[1] for r in conn.execute(select(Warehouse.id, Warehouse.code)).all()}
    for chunk in _chunks(ids):
        orders = by_ids(conn, _ORDERS, chunk)
        tasks = [uuid.UUID(ref_of(o[0])) for o in orders if o[1] in TASK_STATUSES]
        lines: dict[str, list[list[Any]]] = defaultdict(list)
        for oid, code, qty in by_ids(conn, _LINES, tasks) if tasks else []:
            lines[ref_of(oid)].append([code, int(qty)])
        stops: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for row in by_ids(conn, _STOPS, chunk):
            stops[ref_of(row[0])].append(tuple(row[1:]))
        for oid, status, wh, cod, name, phone, street, barangay, city, province in orders:
            ref = ref_of(oid)
            wh_key = wh.hex if isinstance(wh, uuid.UUID) else wh  # SQLite answers in hex already
            if status in TASK_STATUSES and wh_key in wh_codes:
                changes[(wh_scope(wh_codes[wh_key]), "task", ref)] = {
                    "status": status,
                    "lines": lines.get(ref, []),
                }
            address = ", ".join(p for p in (street, barangay, city, province) if p)
            for run_id, position, waybill, username in stops.get(ref, []):
                changes[(runs_scope(username), "stop", ref)] = {
                    "run": ref_of(run_id),
                    "pos": int(position),
                    "waybill": waybill,
                    "name": name,
                    "phone": phone,
                    "address": address,
                    "cod": int(cod),
                    "status": status,
                }
    refs = [order_ref(i) for i in ids]
    for entity in logged_values(conn, ("task", "stop"), refs):
        changes.setdefault(entity, None)  # logged before, no longer there: delete it
    return changes


def orders_on_runs(conn: Connection, order_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these orders are stops of an open run (their stop entity follows the order)."""
    ids = list(order_ids)
    found: set[uuid.UUID] = set()
    for chunk in _chunks(ids):
        rows = by_ids(
            conn,
            "SELECT s.order_id FROM run_stops s JOIN delivery_runs r ON r.id = s.run_id "
            "WHERE s.order_id {ids} AND r.status = 'open'",
            chunk,
        )
        found.update(uuid.UUID(ref_of(r[0])) for r in rows)
    return found


def sku_entities(conn: Connection, sku_ids: Iterable[uuid.UUID]) -> Changes:
    ids = sorted(set(sku_ids))
    changes: Changes = {}
    for chunk in _chunks(ids):
        barcodes: dict[uuid.UUID, list[str]] = defaultdict(list)
        for sku_id, code in conn.execute(
            select(Barcode.sku_id, Barcode.code).where(in_values(conn, Barcode.sku_id, chunk))
        ).all():
            barcodes[sku_id].append(code)
        for sku_id, code, name, active in conn.execute(
            select(Sku.id, Sku.code, Sku.name, Sku.active).where(in_values(conn, Sku.id, chunk))
        ).all():
            value = {"name": name, "barcodes": sorted(barcodes.get(sku_id, []))} if active else None
            changes[(CATALOG, "sku", code)] = value
    return changes


def exception_entities(conn: Connection, ids: Iterable[uuid.UUID]) -> Changes:
    """Open exceptions are in the supervisors' scope; a resolved one is deleted from it."""
    changes: Changes = {}
    for chunk in _chunks(sorted(set(ids))):
        for row in conn.execute(
            select(
                ExceptionRecord.id,
                ExceptionRecord.kind,
                ExceptionRecord.message,
                ExceptionRecord.order_id,
                ExceptionRecord.status,
                ExceptionRecord.details,
            ).where(in_values(conn, ExceptionRecord.id, chunk))
        ).all():
            details: dict[str, Any] = row.details or {}
            order = str(details.get("order") or (order_ref(row.order_id) if row.order_id else ""))
            value = exception_value(row.kind, row.message, order) if row.status == "open" else None
            changes[(EXCEPTIONS, "exception", str(row.id))] = value
    return changes


def bin_entities(conn: Connection, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> Changes:
    """Units per bin and SKU, from the bin balances (0: the entity is deleted)."""
    wanted = sorted(set(pairs))
    changes: Changes = {}
    for chunk in _chunks(wanted):
        bin_ids = sorted({b for b, _ in chunk})
        sku_ids = sorted({s for _, s in chunk})
        keep = set(chunk)
        sums = {
            (r[0], r[1]): int(r[2])
            for r in conn.execute(
                select(BinBalance.bin_id, BinBalance.sku_id, BinBalance.qty).where(
                    in_values(conn, BinBalance.bin_id, bin_ids), in_values(conn, BinBalance.sku_id, sku_ids)
                )
            ).all()
        }
        bins = {
            r[0]: (r[1], r[2])
            for r in conn.execute(
                select(Bin.id, Bin.code, Warehouse.code)
                .join(Warehouse, Warehouse.id == Bin.warehouse_id)
                .where(in_values(conn, Bin.id, bin_ids))
            ).all()
        }
        skus = dict(conn.execute(select(Sku.id, Sku.code).where(in_values(conn, Sku.id, sku_ids))).all())
        for bin_id, sku_id in chunk:
            if (bin_id, sku_id) not in keep or bin_id not in bins or sku_id not in skus:
                continue
            bin_code, wh_code = bins[bin_id]
            qty = sums.get((bin_id, sku_id), 0)
            changes[(wh_scope(wh_code), "bin", bin_key(bin_code, skus[sku_id]))] = qty or None
    return changes


def location_entities(conn: Connection, bin_ids: Iterable[uuid.UUID]) -> Changes:
    """Every active bin of a warehouse, empty or not, so a phone can tell a mistyped label from a
    bin nobody has stocked yet; an inactive one is deleted. The staging area is not a shelf."""
    changes: Changes = {}
    for chunk in _chunks(sorted(set(bin_ids), key=uuid_order)):
        for code, zone, active, wh_code in conn.execute(
            select(Bin.code, Bin.zone, Bin.active, Warehouse.code)
            .join(Warehouse, Warehouse.id == Bin.warehouse_id)
            .where(in_values(conn, Bin.id, chunk), Bin.code != STAGING)
        ).all():
            changes[(wh_scope(wh_code), "location", code)] = {"zone": zone} if active else None
    return changes


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
