"""The rows one ingestion transaction writes, built while its orders are judged and written at
the end with a few bulk statements (`flush`), through the domains' writers."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Connection

from server.changes.log import Changes
from server.changes.scopes import order_ref, wh_scope
from server.db.bulk import insert_rows, update_rows
from server.db.touched import touched
from server.exceptions.raising import raise_exceptions
from server.inventory.ledger import Key, close_reservations, reserve
from server.orders.lifecycle import TASK_STATUSES
from server.orders.models import Order, OrderLine
from server.orders.transitions import Transitions
from server.orders.validation import ResolvedOrder


@dataclass
class Writes:
    """Everything the batch will write, flushed with a few bulk statements at the end."""

    new_orders: list[dict[str, Any]] = field(default_factory=list)
    changed_orders: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    replace_lines_of: set[uuid.UUID] = field(default_factory=set)
    lines: list[dict[str, Any]] = field(default_factory=list)
    release_orders: set[uuid.UUID] = field(default_factory=set)
    # Pending reservation rows by order: a later version in the same batch drops its order's rows.
    reservations: dict[uuid.UUID, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    history: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    reserved: dict[Key, int] = field(default_factory=lambda: defaultdict(int))
    # Codes for the new orders' pick tasks (sync entities) built from the rows above.
    sku_codes: dict[uuid.UUID, str] = field(default_factory=dict)
    warehouse_codes: dict[uuid.UUID, str] = field(default_factory=dict)


def order_row(
    order_id: uuid.UUID,
    r: ResolvedOrder,
    status: str,
    warehouse_id: uuid.UUID | None,
    reason: str | None,
    now: datetime,
) -> dict[str, Any]:
    src, addr = r.source, r.source.address
    return {
        "id": order_id,
        "shop_id": r.shop.id,
        "channel": r.shop.channel,
        "external_id": src.external_id,
        "status": status,
        "channel_status": src.channel_status[:64],
        "payment_method": src.payment_method,
        "cod_amount": r.cod_amount,
        "total_amount": r.total_amount,
        "shipping_fee": r.shipping_fee,
        "customer_name": addr.name,
        "phone": r.phone,
        "street": addr.street,
        "barangay": addr.barangay,
        "city": addr.city,
        "province": addr.province,
        "region": r.region,
        "zip_code": r.zip_code,
        "placed_at": src.placed_at,
        "ship_by": src.ship_by,
        "channel_updated_at": r.updated_at,
        "payload_hash": r.payload_hash,
        "warehouse_id": warehouse_id,
        "hold_reason": reason[:255] if reason else None,
        "address_flag": src.address_flag[:255] or None,
        "created_at": now,
        "updated_at": now,
    }


def line_rows(order_id: uuid.UUID, r: ResolvedOrder) -> list[dict[str, Any]]:
    return [
        {
            "id": ln.id,
            "order_id": order_id,
            "line_no": ln.line_no,
            "sku_id": ln.sku_id,
            "qty": ln.qty,
            "unit_price": ln.unit_price,
            "external_line_id": ln.external_line_id,
        }
        for ln in r.lines
    ]


def flush(conn: Connection, w: Writes, moves: Transitions) -> None:
    now = moves.now
    # The new orders' pick tasks are noted from the rows in hand, so the reactions that end the
    # transaction log them without reading them back; changed orders are noted by their id.
    for row in (*w.new_orders, *w.changed_orders.values()):
        row["logged_at"] = row["updated_at"]
    insert_rows(conn, Order, w.new_orders)
    if w.changed_orders:
        update_rows(conn, Order, ("id",), list(w.changed_orders.values()))
    close_reservations(conn, w.release_orders, status="released", now=now, counters=False)
    if w.replace_lines_of:
        # The channel changed the items: lines are replaced wholesale (released reservations keep
        # their rows as history; their line link is nulled).
        conn.execute(delete(OrderLine).where(OrderLine.order_id.in_(sorted(w.replace_lines_of))))
    insert_rows(conn, OrderLine, w.lines)
    # The released units were already counted back in `w.reserved` by the batch (it allocates
    # against them): only the rows close here, the counters move once, with the new reservations.
    reserve(conn, [r for rows in w.reservations.values() for r in rows], dict(w.reserved), now=now)
    moves.flush(conn)
    raise_exceptions(conn, w.exceptions)
    note = touched(conn)
    note.changes.update(new_order_tasks(w))
    note.orders.update(w.changed_orders)


def new_order_tasks(w: Writes) -> Changes:
    """The pick tasks of new orders, from the rows in hand: the same values the projector's
    order_entities reads back (a new order has no rider stop and nothing logged to delete)."""
    new = {row["id"]: row for row in w.new_orders}
    lines: dict[uuid.UUID, list[list[Any]]] = defaultdict(list)
    for line in w.lines:  # in line order, as written
        if line["order_id"] in new:
            lines[line["order_id"]].append([w.sku_codes[line["sku_id"]], line["qty"]])
    tasks: Changes = {}
    for order_id, row in new.items():
        code = w.warehouse_codes.get(row["warehouse_id"])
        if row["status"] in TASK_STATUSES and code is not None:
            tasks[(wh_scope(code), "task", order_ref(order_id))] = {
                "status": row["status"],
                "lines": lines[order_id],
                "ext": row["external_id"],
            }
    return tasks
