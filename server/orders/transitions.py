"""Order transitions: the one writer of an order's status, its history and the stock that follows
(and of the backorder mark a held order may carry).

Whatever moves an order (ingestion, the order API, reallocation, a phone's op, a job) queues the
move here and the rows are written by `flush` with a few bulk statements:
- the order row (status, and the warehouse and hold reason that go with it);
- one history row per step, saying who moved it and why;
- the stock: leaving allocated/picking/packed for on hold or cancelled gives the reservations back;
  shipping closes them as shipped; a return brings the units back in.

Where the stock moved is a fact of its own (a phone's handover posts the movements out of the
staging bin, a phone's return posts them into a bin), `stock_by_facts` says so and only the
reservations are closed here. Otherwise (the console, an integration) the ship and return
movements are posted here, at the warehouse.
"""

from __future__ import annotations

import uuid
from collections import defaultdict, deque
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.db.base import utcnow
from server.db.bulk import in_values, insert_rows, update_rows, uuid_order
from server.db.touched import touched
from server.errors import FieldError, IllegalTransition, NotFound
from server.facts import note_fact, order_key, status_event
from server.inventory.ledger import Key, Movement, close_reservations, post_movements
from server.inventory.models import Reservation
from server.orders.lifecycle import HOLDS_STOCK, TRANSITIONS, check_transition
from server.orders.models import Order, OrderStatusChange

REASON = 255
# Statuses in which a picker may already have taken units off the shelf.
IN_FLIGHT = frozenset({"picking", "packed"})


@dataclass
class Transitions:
    """The order moves of one transaction, written together by `flush`."""

    actor: str
    now: datetime = field(default_factory=utcnow)
    stock_by_facts: bool = False
    rows: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict[uuid.UUID, dict[str, Any]])
    history: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    release: set[uuid.UUID] = field(default_factory=set[uuid.UUID])
    ship: set[uuid.UUID] = field(default_factory=set[uuid.UUID])  # the units left by a fact of their own
    ship_out: set[uuid.UUID] = field(default_factory=set[uuid.UUID])  # the units leave here
    returned: set[uuid.UUID] = field(default_factory=set[uuid.UUID])
    # Cancelled while picking or packing: units may be in staging (a put-back follows, writes.finish).
    cancelled_in_flight: set[uuid.UUID] = field(default_factory=set[uuid.UUID])

    def record(
        self,
        order_id: uuid.UUID,
        from_status: str | None,
        to_status: str,
        reason: str,
        *,
        actor: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """The history row of a move (the one place they are built)."""
        self.history.append(
            {
                "order_id": order_id,
                "from_status": from_status,
                "to_status": to_status,
                "actor": (actor or self.actor)[:64],
                "reason": reason[:REASON],
                "at": at or self.now,
            }
        )

    def move(
        self,
        order_id: uuid.UUID,
        current: str,
        target: str,
        *,
        reason: str = "",
        actor: str | None = None,
        at: datetime | None = None,
        by_fact: bool | None = None,
        **values: Any,
    ) -> None:
        """Queue a legal move (the caller checked it) with its stock effects; `values` are other
        columns of the order row that change with it (a new warehouse, a version's fields).
        `by_fact` overrides `stock_by_facts` for this move: false when no fact moved the stock
        (a delivery reported for a parcel whose handover never was: the units left all the same)."""
        at = at or self.now
        row = self.rows.setdefault(order_id, {"id": order_id})
        row.update(values, status=target, updated_at=at)
        if target in ("cancelled", "on_hold") and current in HOLDS_STOCK:
            self.release.add(order_id)
            row["warehouse_id"] = None
            if target == "on_hold":
                row["hold_reason"] = (reason or "held by hand")[:REASON]
                row["backordered_at"] = None  # held anew: a person decides again
            elif current in IN_FLIGHT:
                self.cancelled_in_flight.add(order_id)
        elif target == "shipped" and current == "packed":
            moved = self.stock_by_facts if by_fact is None else by_fact
            (self.ship if moved else self.ship_out).add(order_id)
        elif target == "returned":
            self.returned.add(order_id)
        self.record(order_id, current, target, reason, actor=actor, at=at)

    def walk(
        self,
        order_id: uuid.UUID,
        current: str,
        target: str,
        *,
        reason: str,
        implied: str,
        actor: str | None = None,
        at: datetime | None = None,
    ) -> str:
        """A fact reports `target`: queue the moves through the steps in between (`status_path`),
        the last one with `reason`, the others with `implied`; returns the status reached."""
        for step in status_path(current, target):
            why = reason if step == target else implied
            # A step the fact only implies had no fact of its own moving stock: a parcel delivered
            # without a recorded handover still left with its units.
            by_fact = None if step == target else False
            self.move(order_id, current, step, reason=why, actor=actor, at=at, by_fact=by_fact)
            current = step
        return current

    def flush(self, conn: Connection) -> None:
        """Write everything queued: order rows in id order, history, then the stock."""
        if self.rows:
            # Every row of one bulk update must carry the same columns.
            by_shape: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
            for _, row in sorted(self.rows.items(), key=lambda i: uuid_order(i[0])):
                by_shape[frozenset(row)].append(row)
            for group in by_shape.values():
                update_rows(conn, Order, ("id",), group)
            touched(conn).orders.update(self.rows)
        if self.cancelled_in_flight:
            touched(conn).cancelled_in_flight.update(self.cancelled_in_flight)
        insert_rows(conn, OrderStatusChange, self.history)
        for h in self.history:  # the ERP feed's facts (server/erp/outbox.py)
            note_fact(
                conn,
                status_event(h.get("from_status"), h["to_status"]),
                order_key(h["order_id"]),
                {
                    "from": h.get("from_status"),
                    "to": h["to_status"],
                    "reason": h.get("reason", ""),
                    "actor": h.get("actor", ""),
                },
                order_id=h["order_id"],
                at=h.get("at"),
            )
        close_reservations(conn, self.release, status="released", now=self.now)
        close_reservations(conn, self.ship, status="shipped", now=self.now)
        for order_id in sorted(self.ship_out, key=uuid_order):
            shipped = close_reservations(conn, [order_id], status="shipped", now=self.now)
            post_movements(conn, _leaving(shipped, order_id, self.actor), now=self.now)
        if self.returned and not self.stock_by_facts:
            post_movements(conn, _coming_back(conn, self.returned, self.actor), now=self.now)
        self.rows.clear()
        self.history.clear()
        self.release.clear()
        self.ship.clear()
        self.ship_out.clear()
        self.returned.clear()
        self.cancelled_in_flight.clear()


# Statuses an order may be walked through when a fact reports a later one.
_FACT_STEPS = frozenset({"picking", "packed", "shipped", "return_to_sender"})


def status_path(current: str, target: str) -> list[str]:
    """The statuses to move through from current to target (empty: no way, or already there).

    For facts (a phone's op, a delivery entered at the console): the parcel was delivered
    whatever the order still says, so the steps in between are walked; an intent uses
    `change_status`, which allows one legal step only."""
    if target == current:
        return []
    if target in TRANSITIONS.get(current, frozenset()):
        return [target]
    seen = {current}
    queue: deque[list[str]] = deque([[current]])
    while queue:
        path = queue.popleft()
        for nxt in sorted(TRANSITIONS.get(path[-1], frozenset())):
            if nxt == target:
                return [*path[1:], nxt]
            if nxt in _FACT_STEPS and nxt not in seen:
                seen.add(nxt)
                queue.append([*path, nxt])
    return []


def lock_order(conn: Connection, order_id: uuid.UUID) -> str:
    """Lock the order row (PostgreSQL) and return its status."""
    stmt = select(Order.status).where(Order.id == order_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    status = conn.execute(stmt).scalar()
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
    """Move one order to `target` if the state machine allows it; returns the previous status.
    `at` lets an importer replay history with the times it really happened."""
    current = lock_order(conn, order_id)
    check_transition(current, target)
    moves = Transitions(actor, now=at or utcnow())
    moves.move(order_id, current, target, reason=reason)
    moves.flush(conn)
    return current


def backorder(conn: Connection, order_id: uuid.UUID, *, actor: str, at: datetime | None = None) -> None:
    """A held order waits for a restock on purpose: marked backordered (the seller sees it; stock
    that arrives goes to backorders first, server/orders/reallocation.py). Its status stays
    on_hold, which every reaction to stock already reads; only a held order can be backordered."""
    current = lock_order(conn, order_id)
    if current != "on_hold":
        raise IllegalTransition(
            f"an order that is {current} cannot be backordered; only a held one",
            [FieldError("action", f"order is {current}")],
        )
    now = at or utcnow()
    update_rows(conn, Order, ("id",), [{"id": order_id, "backordered_at": now, "updated_at": now}])
    touched(conn).orders.add(order_id)
    note_fact(
        conn,
        "order.changed",
        order_key(order_id),
        {"backordered": True, "actor": actor[:64]},
        order_id=order_id,
        at=now,
    )


def _leaving(units: dict[Key, int], order_id: uuid.UUID, actor: str) -> list[Movement]:
    """The parcel left the warehouse: its reserved units leave on hand."""
    return [
        Movement(k[0], k[1], "ship", -q, ref_type="order", ref_id=str(order_id), actor=actor)
        for k, q in sorted(units.items(), key=lambda i: uuid_order(i[0][0]))
    ]


def _coming_back(conn: Connection, orders: Collection[uuid.UUID], actor: str) -> list[Movement]:
    """Goods are back in the warehouse they shipped from (inspection and put-away come later)."""
    rows = conn.execute(
        select(Reservation.order_id, Reservation.sku_id, Reservation.warehouse_id, Reservation.qty).where(
            in_values(conn, Reservation.order_id, sorted(orders, key=uuid_order)),
            Reservation.status == "shipped",
        )
    ).all()
    back: dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID], int] = defaultdict(int)
    for order_id, sku_id, warehouse_id, qty in rows:
        back[(order_id, sku_id, warehouse_id)] += int(qty)
    return [
        Movement(
            sku, wh, "return", q, reason="returned parcel", ref_type="order", ref_id=str(order), actor=actor
        )
        for (order, sku, wh), q in sorted(back.items(), key=lambda i: (uuid_order(i[0][0]), i[0][1]))
    ]
