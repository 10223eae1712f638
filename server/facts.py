"""Noting a business fact for the ERP feed, where a writer writes it: the order history, a new
version of an order, the cash ledger and the stock ledger import this. It stands below them all,
and below the ERP package, whose outbox (server/erp/outbox.py) records the notes at the end of the
transaction and reads the orders, SKUs and warehouses to name them; the note itself knows none."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy.engine import Connection

from server.db.base import utcnow
from server.db.touched import touched

STATUS_EVENTS = {
    "shipped": "order.shipped",
    "delivered": "order.delivered",
    "returned": "order.returned",
    "cancelled": "order.cancelled",
}
# The event types, one list: the API document's enum (server/erp/controllers.py) is this Literal.
EventType = Literal[
    "order.created",
    "order.changed",
    "order.status_changed",
    "order.shipped",
    "order.delivered",
    "order.returned",
    "order.cancelled",
    "cash.collected",
    "cash.remitted",
    "cash.received",
    "cash.refunded",
    "cash.charged",
    "cash.written_off",
    "cash.voided",
    "stock.moved",
]
TYPES: tuple[str, ...] = get_args(EventType)


def order_key(order_id: uuid.UUID | str) -> str:
    return f"order:{order_id}"


def note_fact(
    conn: Connection,
    type: str,
    key: str,
    data: dict[str, Any],
    *,
    order_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> None:
    touched(conn).facts.append(
        {"type": type, "key": key[:96], "order_id": order_id, "occurred_at": at or utcnow(), "data": data}
    )


def status_event(from_status: str | None, to_status: str) -> str:
    if from_status is None:
        return "order.created"
    return STATUS_EVENTS.get(to_status, "order.status_changed")
