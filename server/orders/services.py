"""Moving an order through its statuses, with the stock effects each move has."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from server.db.base import utcnow
from server.errors import NotFound
from server.inventory.ledger import Key, Movement, add_reserved, post_movements, release_reservations
from server.inventory.models import Reservation
from server.orders.lifecycle import HOLDS_STOCK, check_transition
from server.orders.models import Order, OrderStatusChange


def lock_order(conn: Connection, order_id: uuid.UUID) -> str:
    """Lock the order row (PostgreSQL) and return its status."""
    stmt = select(Order.status).where(Order.id == order_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    status = (conn.execute(stmt)).scalar()
    if status is None:
        raise NotFound(f"no order {order_id}")
    return status


def change_status(
    conn: Connection,
    order_id: uuid.UUID,
    target: str,
    *,
    actor: str,
    reason: str = "",
    at: datetime | None = None,
) -> str:
    """Move the order to `target` if the state machine allows it; returns the previous status."""
    current = lock_order(conn, order_id)
    check_transition(current, target)
    # `at` lets an importer replay history with the times it really happened.
    now = at or utcnow()
    values: dict[str, object] = {"status": target, "updated_at": now}
    if target in ("cancelled", "on_hold") and current in HOLDS_STOCK:
        release_reservations(conn, [order_id], now=now)
        values["warehouse_id"] = None
        if target == "on_hold":
            values["hold_reason"] = reason or "held by hand"
    elif target == "shipped" and current == "packed":
        _ship(conn, order_id, actor)
    elif target == "returned":
        _return(conn, order_id, actor)
    conn.execute(update(Order).where(Order.id == order_id).values(**values))
    conn.execute(
        insert(OrderStatusChange).values(
            order_id=order_id, from_status=current, to_status=target, actor=actor, reason=reason[:255], at=now
        )
    )
    return current


def _units(conn: Connection, order_id: uuid.UUID, status: str) -> dict[Key, int]:
    """The order's reserved units in this reservation status, per (sku, warehouse)."""
    rows = conn.execute(
        select(Reservation.sku_id, Reservation.warehouse_id, Reservation.qty).where(
            Reservation.order_id == order_id, Reservation.status == status
        )
    ).all()
    units: dict[Key, int] = defaultdict(int)
    for sku_id, warehouse_id, qty in rows:
        units[(sku_id, warehouse_id)] += qty
    return dict(units)


def _ship(conn: Connection, order_id: uuid.UUID, actor: str) -> None:
    """The parcel left: its reserved units leave on hand and the reservations are closed as shipped."""
    shipped = _units(conn, order_id, "active")
    conn.execute(
        update(Reservation)
        .where(Reservation.order_id == order_id, Reservation.status == "active")
        .values(status="shipped", closed_at=utcnow())
    )
    add_reserved(conn, {k: -q for k, q in shipped.items()})
    ref = str(order_id)
    post_movements(
        conn,
        [
            Movement(k[0], k[1], "ship", -q, ref_type="order", ref_id=ref, actor=actor)
            for k, q in sorted(shipped.items())
        ],
    )


def _return(conn: Connection, order_id: uuid.UUID, actor: str) -> None:
    """Goods are back in the warehouse they shipped from (inspection and put-away come later)."""
    back = _units(conn, order_id, "shipped")
    ref = str(order_id)
    post_movements(
        conn,
        [
            Movement(
                k[0], k[1], "return", q, reason="returned parcel", ref_type="order", ref_id=ref, actor=actor
            )
            for k, q in sorted(back.items())
        ],
    )
