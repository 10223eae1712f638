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
    # Warehouses where counts were taken: a count task may now be complete.
    counted_in: set[uuid.UUID] = field(default_factory=set[uuid.UUID])
    # Entity values a writer already knows (it has the rows in hand), for the change log as they are.
    changes: dict[tuple[str, str, str], Any] = field(default_factory=dict[tuple[str, str, str], Any])

    def merge(self, other: Touched) -> None:
        """Add what a reaction's own writes touched."""
        self.orders |= other.orders
        self.exceptions |= other.exceptions
        self.freed |= other.freed
        self.fell |= other.fell
        self.counted_in |= other.counted_in
        self.changes.update(other.changes)


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
