"""Ingesting a batch of channel orders in ONE transaction: create, update, cancel, allocate.

The same order delivered twice changes nothing the second time (same payload hash), a version
older than the one held is ignored, and a newer one updates the order and releases or
re-reserves stock. Allocation reads balances under lock and reserves whole orders only.

Lock order, which every writer of orders and stock follows so PostgreSQL never deadlocks:
order keys (advisory locks, then order rows by id) before stock balance rows (by sku, warehouse).
"""

from __future__ import annotations

import json
import uuid
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, Uuid, and_, bindparam, column, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from server.db.base import new_id, utcnow
from server.db.bulk import sqlite_time, to_uuid
from server.errors import BodegaError
from server.exceptions.raising import exception_row
from server.facts import note_fact, order_key
from server.inventory.ledger import Key
from server.inventory.models import Reservation
from server.orders.allocator import Allocator, availability, load_warehouses
from server.orders.lifecycle import HOLDS_STOCK, LEFT_WAREHOUSE
from server.orders.models import Order, OrderLine
from server.orders.rows import Writes, flush, line_rows, order_row
from server.orders.schemas import IngestResult, OrderIn
from server.orders.transitions import Transitions
from server.orders.validation import ResolvedOrder, load_catalog_view, resolve_order


@dataclass
class KnownOrder:
    """What the transaction knows of an order already stored (or created earlier in this batch)."""

    id: uuid.UUID
    status: str
    payload_hash: str
    channel_updated_at: datetime
    warehouse_id: uuid.UUID | None
    hold_reason: str | None
    lines: list[tuple[int, uuid.UUID, int, int]] | None = None  # loaded only when needed
    inserted: bool = False


# The orders a batch already holds, looked up by (shop, external id), the unique index: by external
# id alone SQLite would scan every order ever stored, once per batch. (The transaction already
# holds SQLite's write lock, so nothing more is locked here.)
_SQLITE_KNOWN_ORDERS = (
    "SELECT o.id, o.shop_id, o.external_id, o.status, o.payload_hash, o.channel_updated_at, "
    "o.warehouse_id, o.hold_reason FROM json_each(?) AS j JOIN orders o "
    "ON o.shop_id = j.value ->> 0 AND o.external_id = j.value ->> 1 ORDER BY o.id"
)


_PG_LOCK_ORDER_KEYS = (
    "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT unnest($1::bigint[]) AS k ORDER BY 1) AS keys"
)


def lock_key(shop_id: uuid.UUID, external_id: str) -> int:
    return zlib.crc32(f"{shop_id}:{external_id}".encode()) - 2**31


class IngestBatch:
    """One group-commit transaction over many incoming orders."""

    def __init__(self, conn: Connection, actor: str, now: datetime | None = None) -> None:
        self.conn = conn
        self.actor = actor
        # `now` lets an importer replay orders at the time they really arrived.
        self.now = now or utcnow()
        self.writes = Writes()
        self.moves = Transitions(actor, now=self.now)
        self.results: list[IngestResult | BodegaError] = []
        self._reservations_by_order: dict[uuid.UUID, dict[Key, int]] = defaultdict(lambda: defaultdict(int))

    def run(self, orders: list[OrderIn]) -> list[IngestResult | BodegaError]:
        conn = self.conn
        view = load_catalog_view(conn, orders)
        resolved: list[ResolvedOrder | BodegaError] = []
        for order in orders:
            try:
                resolved.append(resolve_order(order, view))
            except BodegaError as exc:
                resolved.append(exc)
        valid = [r for r in resolved if isinstance(r, ResolvedOrder)]
        held = self._lock_existing(valid)
        warehouses = load_warehouses(conn)
        release_keys = self._reserved_keys([h.id for h in held.values() if h.status in HOLDS_STOCK])
        sku_ids = {sku for r in valid for sku in r.needs} | {k[0] for k in release_keys}
        keys = {(sku, w.id) for sku in sku_ids for w in warehouses} | set(release_keys)
        stock = availability(conn, keys)
        allocator = Allocator(warehouses, stock, view)
        self.writes.sku_codes = {sku_id: info.code for sku_id, info in view.skus_by_id.items()}
        self.writes.warehouse_codes = allocator.codes
        for item in resolved:
            if isinstance(item, BodegaError):
                self.results.append(item)
                continue
            self.results.append(self._ingest_one(item, held, allocator, release_keys))
        flush(conn, self.writes, self.moves)
        return self.results

    def _lock_existing(self, valid: list[ResolvedOrder]) -> dict[tuple[uuid.UUID, str], KnownOrder]:
        pairs = sorted({(r.shop.id, r.source.external_id) for r in valid})
        if not pairs:
            return {}
        if self.conn.dialect.name == "postgresql":
            # Serialise work on the same channel order across server processes before touching stock,
            # so two processes inserting one new order never wait on each other while holding balances.
            # One round trip for the whole batch (one statement per order was most of a batch's
            # time): the keys are locked in the sorted subquery's order, the same order every
            # process uses, so two batches sharing keys queue instead of deadlocking.
            self.conn.exec_driver_sql(_PG_LOCK_ORDER_KEYS, (sorted({lock_key(*p) for p in pairs}),))
        if self.conn.dialect.name == "sqlite":
            # One constant statement whatever the batch size: the pairs travel as one JSON parameter.
            doc = json.dumps([[shop.hex, external_id] for shop, external_id in pairs])
            return {
                (to_uuid(r[1]), r[2]): KnownOrder(
                    to_uuid(r[0]),
                    r[3],
                    r[4],
                    sqlite_time(r[5]),
                    to_uuid(r[6]) if r[6] else None,
                    r[7],
                )
                for r in self.conn.exec_driver_sql(_SQLITE_KNOWN_ORDERS, (doc,)).all()
            }
        # Looked up by (shop, external id), the unique index, locked in id order. The pairs travel
        # as two arrays, so the statement's text is the same whatever the batch size and
        # PostgreSQL prepares it once (an IN list of pairs is a new statement per batch size).
        wanted = (
            func.unnest(
                bindparam("shops", [p[0] for p in pairs], type_=ARRAY(Uuid)),
                bindparam("external_ids", [p[1] for p in pairs], type_=ARRAY(String)),
            )
            .table_valued(column("shop_id", Uuid), column("external_id", String))
            .render_derived(name="wanted")
        )
        stmt = (
            select(
                Order.id,
                Order.shop_id,
                Order.external_id,
                Order.status,
                Order.payload_hash,
                Order.channel_updated_at,
                Order.warehouse_id,
                Order.hold_reason,
            )
            .join_from(
                Order,
                wanted,
                and_(Order.shop_id == wanted.c.shop_id, Order.external_id == wanted.c.external_id),
            )
            .order_by(Order.id)
            .with_for_update(of=Order)
        )
        rows = self.conn.execute(stmt).all()
        return {(r[1], r[2]): KnownOrder(r[0], r[3], r[4], r[5], r[6], r[7]) for r in rows}

    def _reserved_keys(self, order_ids: list[uuid.UUID]) -> dict[Key, int]:
        """Active reservations of orders this batch may release, totalled per (sku, warehouse)."""
        if not order_ids:
            return {}
        rows = (
            self.conn.execute(
                select(
                    Reservation.order_id, Reservation.sku_id, Reservation.warehouse_id, Reservation.qty
                ).where(Reservation.order_id.in_(order_ids), Reservation.status == "active")
            )
        ).all()
        totals: dict[Key, int] = defaultdict(int)
        for order_id, sku_id, warehouse_id, qty in rows:
            self._reservations_by_order[order_id][(sku_id, warehouse_id)] += qty
            totals[(sku_id, warehouse_id)] += qty
        return totals

    def _release(self, held: KnownOrder, allocator: Allocator) -> None:
        """Give an order's reserved units back (to this batch's availability and the counters)."""
        w = self.writes
        # Reserved earlier in this same batch (a new order, or an earlier version of this one in
        # the batch): those rows are still pending, so they are dropped rather than released.
        for r in w.reservations.pop(held.id, []):
            key = (r["sku_id"], r["warehouse_id"])
            w.reserved[key] -= r["qty"]
            allocator.stock.free[key] = allocator.stock.get(*key) + r["qty"]
        if held.inserted:
            return
        w.release_orders.add(held.id)
        for key, qty in self._reservations_by_order.pop(held.id, {}).items():
            w.reserved[key] -= qty
            allocator.stock.free[key] = allocator.stock.get(*key) + qty

    def _history(self, order_id: uuid.UUID, from_status: str | None, to_status: str, reason: str) -> None:
        self.moves.record(order_id, from_status, to_status, reason)

    def _exception(self, kind: str, message: str, order_id: uuid.UUID, **details: Any) -> None:
        self.writes.exceptions.append(
            exception_row(
                kind,
                message,
                now=self.now,
                order_id=order_id,
                details={k: str(v) for k, v in details.items()},
            )
        )

    def _place(
        self,
        order_id: uuid.UUID,
        resolved: ResolvedOrder,
        allocator: Allocator,
        from_status: str | None,
        context: str = "",
    ) -> tuple[str, uuid.UUID | None, str | None]:
        warehouse_id, reason = allocator.allocate(
            order_id,
            resolved.lines,
            resolved.region,
            resolved.shop.default_warehouse_id,
            self.writes,
            self.now,
        )
        if warehouse_id is not None:
            status = "allocated"
            self._history(
                order_id, from_status, status, f"{context}reserved in {allocator.codes[warehouse_id]}"
            )
        else:
            status = "on_hold"
            assert reason is not None
            self._history(order_id, from_status, status, f"{context}{reason}")
            self._exception(
                "order_on_hold", f"Order {resolved.source.external_id} is on hold: {reason}", order_id
            )
        return status, warehouse_id, reason

    def _ingest_one(
        self,
        r: ResolvedOrder,
        known_orders: dict[tuple[uuid.UUID, str], KnownOrder],
        allocator: Allocator,
        release_keys: dict[Key, int],
    ) -> IngestResult | BodegaError:
        key = (r.shop.id, r.source.external_id)
        held = known_orders.get(key)
        if held is None:
            order_id = new_id()
            # Nobody ever sees the order pending: its first history row says where it came from
            # and where it landed.
            received = f"received from {r.shop.code}"
            if r.source.status == "cancelled":
                status, warehouse_id, reason = "cancelled", None, None
                why = f"{received}, already cancelled ({r.source.channel_status or 'cancelled'})"
                self._history(order_id, None, "cancelled", why)
            else:
                status, warehouse_id, reason = self._place(order_id, r, allocator, None, f"{received}; ")
            self.writes.new_orders.append(order_row(order_id, r, status, warehouse_id, reason, self.now))
            if r.source.address_flag:
                self._exception(
                    "address_unverified",
                    f"Order {r.source.external_id}: check the address with the courier "
                    f"({r.source.address_flag})",
                    order_id,
                )
            self.writes.lines.extend(line_rows(order_id, r))
            known_orders[key] = KnownOrder(
                order_id,
                status,
                r.payload_hash,
                r.updated_at,
                warehouse_id,
                reason,
                r.line_signature(),
                inserted=True,
            )
            return self._result(order_id, r, "created", status, warehouse_id, reason, allocator)

        if held.payload_hash == r.payload_hash:
            return self._result(
                held.id, r, "unchanged", held.status, held.warehouse_id, held.hold_reason, allocator
            )
        if r.updated_at < held.channel_updated_at:
            return self._result(
                held.id, r, "stale", held.status, held.warehouse_id, held.hold_reason, allocator
            )
        return self._update(r, held, allocator)

    def _update(self, r: ResolvedOrder, held: KnownOrder, allocator: Allocator) -> IngestResult:
        status, warehouse_id, reason = held.status, held.warehouse_id, held.hold_reason
        ext = r.source.external_id
        if r.source.status == "cancelled" and status != "cancelled":
            if status in LEFT_WAREHOUSE:
                self._exception(
                    "cancel_after_ship",
                    f"{r.shop.code} cancelled order {ext} but it is already {status}",
                    held.id,
                )
            else:
                if status in HOLDS_STOCK:
                    self._release(held, allocator)
                if status in ("picking", "packed"):
                    self._exception(
                        "restock_cancelled",
                        f"Order {ext} was cancelled while {status}: put its items back",
                        held.id,
                    )
                self._history(
                    held.id,
                    status,
                    "cancelled",
                    f"cancelled on {r.shop.code} ({r.source.channel_status or 'cancelled'})",
                )
                status, warehouse_id, reason = "cancelled", None, None
        elif r.source.status == "pending" and status == "cancelled":
            self._exception(
                "reopened_by_channel",
                f"{r.shop.code} reopened order {ext}, which Bodega had cancelled",
                held.id,
            )
        elif status != "cancelled" and self._lines_changed(held, r):
            if status in ("pending", "on_hold", "allocated"):
                if status == "allocated":
                    self._release(held, allocator)
                # Lines pending from an earlier version in this batch are replaced too.
                self.writes.lines = [ln for ln in self.writes.lines if ln["order_id"] != held.id]
                if not held.inserted:
                    self.writes.replace_lines_of.add(held.id)
                self.writes.lines.extend(line_rows(held.id, r))
                held.lines = r.line_signature()
                new_status, warehouse_id, reason = self._place(held.id, r, allocator, status)
                status = new_status
            else:
                self._exception(
                    "changed_after_pick",
                    f"{r.shop.code} changed the items of order {ext} after picking started",
                    held.id,
                )
        row = order_row(held.id, r, status, warehouse_id, reason, self.now)
        row.pop("created_at")
        if held.inserted:
            # Created earlier in this batch: amend the pending insert instead of updating.
            for pending in self.writes.new_orders:
                if pending["id"] == held.id:
                    pending.update(row)
        else:
            self.writes.changed_orders[held.id] = row
        held.status, held.warehouse_id, held.hold_reason = status, warehouse_id, reason
        held.payload_hash, held.channel_updated_at = r.payload_hash, r.updated_at
        # A new version from the channel (the ERP feed, server/erp/outbox.py); status moves are noted
        # with the history.
        note_fact(
            self.conn, "order.changed", order_key(held.id), {"status": status}, order_id=held.id, at=self.now
        )
        return self._result(held.id, r, "updated", status, warehouse_id, reason, allocator)

    def _lines_changed(self, held: KnownOrder, r: ResolvedOrder) -> bool:
        if held.lines is None:
            rows = (
                self.conn.execute(
                    select(OrderLine.line_no, OrderLine.sku_id, OrderLine.qty, OrderLine.unit_price)
                    .where(OrderLine.order_id == held.id)
                    .order_by(OrderLine.line_no)
                )
            ).all()
            held.lines = [(a, b, c, d) for a, b, c, d in rows]
        return held.lines != r.line_signature()

    def _result(
        self,
        order_id: uuid.UUID,
        r: ResolvedOrder,
        outcome: Any,
        status: str,
        warehouse_id: uuid.UUID | None,
        reason: str | None,
        allocator: Allocator,
    ) -> IngestResult:
        return IngestResult(
            id=order_id,
            external_id=r.source.external_id,
            outcome=outcome,
            status=status,
            warehouse=allocator.codes.get(warehouse_id) if warehouse_id else None,
            hold_reason=reason,
        )


def ingest_batch(conn: Connection, orders: list[OrderIn], actor: str) -> list[IngestResult | BodegaError]:
    return IngestBatch(conn, actor).run(orders)
