"""Reactions of the orders to stock (server/writes.py): held orders get another try when stock is
freed, oldest first; orders give theirs back, newest first, when stock falls below what they hold."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from server.catalog.models import BundleComponent
from server.db.bulk import in_values, uuid_order
from server.db.touched import StockKey
from server.exceptions.raising import exception_row, raise_exceptions
from server.inventory.models import Reservation
from server.orders.allocator import Allocator, availability, load_warehouses, needs_of
from server.orders.models import Order, OrderLine
from server.orders.repository import load_allocation_inputs
from server.orders.rows import Writes, flush
from server.orders.schemas import IngestResult
from server.orders.transitions import Transitions
from server.orders.validation import CatalogView

# Is anything held at all? Read from the partial index of held orders (migration 0004): most
# transactions that free stock (a phone's receipt, a return) find nothing held, and stop here.
_ANY_HELD = select(Order.id).where(Order.status == "on_hold").limit(1)


def held_orders_needing(conn: Connection, sku_ids: Collection[uuid.UUID]) -> list[uuid.UUID]:
    """Held orders with a line for one of these SKUs, directly or through a bundle."""
    if conn.execute(_ANY_HELD).first() is None:
        return []
    skus = sorted(sku_ids, key=uuid_order)
    bundles = select(BundleComponent.bundle_sku_id).where(
        in_values(conn, BundleComponent.component_sku_id, skus)
    )
    stmt = (
        select(Order.id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Order.status == "on_hold",
            or_(in_values(conn, OrderLine.sku_id, skus), OrderLine.sku_id.in_(bundles)),
        )
        .distinct()
    )
    return [row[0] for row in conn.execute(stmt).all()]


def reallocate(
    conn: Connection, order_ids: list[uuid.UUID], actor: str, *, exclude: Collection[uuid.UUID] = ()
) -> list[IngestResult]:
    """Try again to reserve stock for held orders, backorders first, then oldest first. Orders
    still short stay held.
    `exclude`: warehouses not to try (one whose shelves came up short at picking)."""
    stmt = (
        select(Order.id).where(Order.id.in_(sorted(order_ids)), Order.status == "on_hold").order_by(Order.id)
    )
    if conn.dialect.name == "postgresql":
        # Never wait for an order while holding balance locks (server/writes.py: lock order).
        stmt = stmt.with_for_update(skip_locked=True)
    ids = [row[0] for row in conn.execute(stmt).all()]
    if not ids:
        return []
    inputs = load_allocation_inputs(conn, ids)
    moves = Transitions(actor)
    writes = Writes()
    warehouses = [w for w in load_warehouses(conn) if w.id not in exclude]
    sku_ids = {sku for item in inputs for sku in needs_of(item.lines)}
    stock = availability(conn, {(sku, w.id) for sku in sku_ids for w in warehouses})
    allocator = Allocator(warehouses, stock, CatalogView())
    results: list[IngestResult] = []
    # Backorders first (a person promised them the next stock), then oldest first.
    for item in sorted(inputs, key=lambda i: (i.backordered_at is None, i.placed_at, i.order_id)):
        warehouse_id, _ = allocator.allocate(
            item.order_id,
            item.lines,
            item.region,
            None if item.default_warehouse_id in exclude else item.default_warehouse_id,
            writes,
            moves.now,
        )
        if warehouse_id is None:
            continue
        code = allocator.codes[warehouse_id]
        moves.record(item.order_id, "on_hold", "allocated", f"stock arrived; reserved in {code}")
        writes.changed_orders[item.order_id] = {
            "id": item.order_id,
            "status": "allocated",
            "warehouse_id": warehouse_id,
            "hold_reason": None,
            "backordered_at": None,
            "updated_at": moves.now,
        }
        results.append(
            IngestResult(
                id=item.order_id,
                external_id=item.external_id,
                outcome="updated",
                status="allocated",
                warehouse=code,
            )
        )
    flush(conn, writes, moves)
    return results


def retry_held(conn: Connection, freed: Collection[StockKey], actor: str) -> list[uuid.UUID]:
    """Reallocate the held orders that want the freed SKUs; returns the ones now allocated."""
    held = held_orders_needing(conn, {sku for sku, _ in freed})
    return [r.id for r in reallocate(conn, held, actor)] if held else []


# Which held-stock orders give theirs back first when the shelf has less than orders hold: ones
# not yet started before ones being picked, then the newest first (the oldest keep their promise).
# A packed parcel is sealed: it keeps its units.
_GIVE_BACK_FIRST = {"allocated": 0, "picking": 1}


def hold_for_shortfall(conn: Connection, short: Mapping[StockKey, int], actor: str) -> list[uuid.UUID]:
    """Stock fell below what orders hold (an adjustment, a count that found less): put on hold the
    orders that give back first until what is reserved fits what is there, each with an exception.
    Returns the orders put on hold."""
    moves = Transitions(actor)
    rows = conn.execute(
        select(
            Reservation.sku_id,
            Reservation.warehouse_id,
            Reservation.qty,
            Order.id,
            Order.status,
            Order.external_id,
            Order.placed_at,
        )
        .join(Order, Order.id == Reservation.order_id)
        .where(
            Reservation.status == "active",
            Reservation.sku_id.in_(sorted({k[0] for k in short})),
            Order.status.in_(sorted(_GIVE_BACK_FIRST)),
        )
    ).all()
    missing = dict(short)
    held: dict[uuid.UUID, tuple[str, str, StockKey]] = {}
    candidates = sorted(
        (r for r in rows if (r[0], r[1]) in missing),
        key=lambda r: (_GIVE_BACK_FIRST[r[4]], -r[6].timestamp(), r[3].int),
    )
    for sku_id, wh_id, qty, order_id, status, external_id, _ in candidates:
        key = (sku_id, wh_id)
        if missing.get(key, 0) <= 0 or order_id in held:
            continue
        held[order_id] = (status, external_id, key)
        missing[key] -= int(qty)
    exceptions = []
    for order_id, (status, external_id, _) in held.items():
        why = "the shelf has less than orders hold (stock adjusted or counted down)"
        moves.move(order_id, status, "on_hold", reason=why)
        exceptions.append(
            exception_row(
                "stock_shortfall",
                f"Order {external_id} went back on hold: {why}",
                now=moves.now,
                order_id=order_id,
            )
        )
    moves.flush(conn)
    raise_exceptions(conn, exceptions)
    return list(held)
