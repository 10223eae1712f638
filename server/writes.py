"""Every write transaction ends here: the reactions to what it wrote, in one place and one order.

The domains' writers note what they touched (server/changes/touched.py). Whichever path made the
write (an HTTP request, a phone's push, ingestion, a console action, a background job) runs it
through `Database.run_write` (which ends every transaction with `finish`, installed below), and the
reactions follow in this order:

1. held orders get another try, oldest first, where stock was freed (a receipt, a return, a count
   that found more, a cancellation, a smaller new version, a transfer in);
2. open count tasks whose every target has now been counted close;
3. the change log hears the new value of every entity touched (the phones' pick tasks, rider
   stops, exceptions, count tasks, bins, cash) — last, because it holds the log's head to commit.

Lock order (PostgreSQL), the same on every path so two transactions never wait on each other in a
cycle: sync devices, then orders by id, then stock balances by (sku, warehouse), then cash
balances by holder, then the change log's head. A reaction that locks orders (1) after the write
locked balances keeps the order because it locks only orders that hold no stock (on hold) and
their balances again in key order; a deadlock or serialization failure that still happens is
retried by `Database.run_write` a bounded number of times.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from server.changes.log import Head, emit, lock_head
from server.cod.entities import stop_entities
from server.db.base import utcnow
from server.db.reactions import install
from server.db.touched import take
from server.exceptions.entities import exception_entities
from server.inventory.count_tasks import finish_counted
from server.orders.entities import task_entities
from server.orders.reallocation import retry_held

REACTOR = "bodega"  # who the history names for a reaction's moves


@dataclass
class Reactions:
    """What the reactions did, for a caller that reports it (a receipt lists the orders it let through)."""

    allocated: list[uuid.UUID] = field(default_factory=list[uuid.UUID])
    head: Head | None = None


def finish(conn: Connection, *, actor: str = REACTOR, log_head: bool = False) -> Reactions:
    """Run the reactions to what this transaction touched. `log_head`: take the change log's
    head even when nothing changed (a push answers with it)."""
    done = Reactions()
    note = take(conn)
    if note.freed:
        done.allocated = retry_held(conn, note.freed, actor)
        again = take(conn)  # what the retried orders touched
        note.orders |= again.orders
        note.exceptions |= again.exceptions
        note.changes.update(again.changes)
    changes = dict(note.changes)
    if note.counted_in or note.orders or note.exceptions:
        lock_head(conn)  # first: values computed below are never older than ones already logged
    if note.counted_in:
        changes.update(finish_counted(conn, note.counted_in, utcnow()))
    if note.orders:
        ids = note.orders
        for entity, value in (task_entities(conn, ids) | stop_entities(conn, ids)).items():
            changes.setdefault(entity, value)
    if note.exceptions:
        for entity, value in exception_entities(conn, note.exceptions).items():
            changes.setdefault(entity, value)
    if changes or log_head:
        done.head = emit(conn, changes)
    return done


install(finish)
