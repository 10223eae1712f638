"""What one write transaction touched, for the reactions that end it (server/writes.py).

The domains' writers note here what they changed; they never react themselves. At the end of the
transaction, whichever path made the write (an HTTP request, a phone's push, ingestion, a job),
`server.writes.finish` reads the note and runs the reactions once, in one order: held orders get
another try where stock was freed, count tasks whose counts are all in close, and the change log
hears the new value of every entity touched.

The note lives in the connection's `info` for the length of one transaction: `begin` clears it,
`take` hands it over and clears it, so nothing leaks into the next transaction on that connection.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

StockKey = tuple[uuid.UUID, uuid.UUID]  # (sku id, warehouse id)
_KEY = "bodega.touched"
_LATER = "bodega.later"


@dataclass
class Touched:
    # Orders whose status, lines or warehouse changed: their pick task and rider stop follow.
    orders: set[uuid.UUID] = field(default_factory=set[uuid.UUID])
    # Exceptions raised or resolved: the supervisors' inbox follows.
    exceptions: set[uuid.UUID] = field(default_factory=set[uuid.UUID])
    # (sku, warehouse) whose free stock may have risen: on hand up, or reservations released.
    freed: set[StockKey] = field(default_factory=set[StockKey])
    # (sku, warehouse) whose on hand fell: if below what orders hold, the newest of them go on hold.
    fell: set[StockKey] = field(default_factory=set[StockKey])
    # SKUs whose available stock moved either way (on hand or reservations): the channels' listings
    # selling them get a stock push (server/channels/push.py).
    stock: set[uuid.UUID] = field(default_factory=set[uuid.UUID])
    # Warehouses where counts were taken: a count task may now be complete.
    counted_in: set[uuid.UUID] = field(default_factory=set[uuid.UUID])
    # Orders cancelled while being picked or packed: their picked units need putting back.
    cancelled_in_flight: set[uuid.UUID] = field(default_factory=set[uuid.UUID])
    # Inbound shipments whose lines or status changed: their phone entity is computed once, at the end.
    shipments: set[uuid.UUID] = field(default_factory=set[uuid.UUID])
    # Entity values a writer already knows (it has the rows in hand), for the change log as they are.
    changes: dict[tuple[str, str, str], Any] = field(default_factory=dict[tuple[str, str, str], Any])
    # Business facts for the ERP feed's outbox, in the order written (server/erp/outbox.py).
    facts: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    # The exceptions' notification job was asked for in this transaction (once is enough), to
    # run at this time.
    notify_at: datetime | None = None

    def merge(self, other: Touched) -> None:
        """Add what a reaction's own writes touched."""
        self.orders |= other.orders
        self.exceptions |= other.exceptions
        self.freed |= other.freed
        self.fell |= other.fell
        self.counted_in |= other.counted_in
        self.cancelled_in_flight |= other.cancelled_in_flight
        self.stock |= other.stock
        self.shipments |= other.shipments
        self.changes.update(other.changes)
        self.facts.extend(other.facts)
        if other.notify_at is not None:
            self.notify_at = min(self.notify_at or other.notify_at, other.notify_at)


def touched(conn: Connection) -> Touched:
    """This transaction's note (created on first use)."""
    note = conn.info.get(_KEY)
    if note is None:
        note = conn.info[_KEY] = Touched()
    return note


def begin(conn: Connection) -> None:
    conn.info.pop(_KEY, None)
    conn.info.pop(_LATER, None)


def later(conn: Connection, fn: Any, *args: Any) -> None:
    """Run fn(conn, *args) in a transaction of its own once this one has committed (a reaction
    that would take locks out of the global order inside this transaction: server/writes.py)."""
    conn.info.setdefault(_LATER, []).append((fn, args))


def take_later(conn: Connection) -> list[tuple[Any, tuple[Any, ...]]]:
    return conn.info.pop(_LATER, None) or []


def take(conn: Connection) -> Touched:
    """The note so far, cleared: what a reaction writes next goes into a fresh one."""
    note = conn.info.pop(_KEY, None)
    return note if note is not None else Touched()


def snapshot(conn: Connection) -> Touched:
    """A copy of the note, to put back if a savepoint rolls back what was noted since."""
    return copy.deepcopy(touched(conn))


def restore(conn: Connection, note: Touched) -> None:
    conn.info[_KEY] = note
