"""Every write transaction ends here: the reactions to what it wrote, in one place and one order.

The domains' writers note what they touched (server/db/touched.py). Whichever path made the
write (an HTTP request, a phone's push, ingestion, a console action, a background job) runs it
through `Database.run_write` (which ends every transaction with `finish`, installed below), and the
reactions follow in this order:

1. where stock fell below what orders hold (an adjustment, a count that found less), the orders
   that give back first go on hold, each with an exception, until the reservations fit;
2. held orders get another try, oldest first, where stock was freed (a receipt, a return, a count
   that found more, a cancellation, a smaller new version, a transfer in) — on PostgreSQL in a
   follow-up transaction right after the commit (see the lock order below);
3. open count tasks whose every target has now been counted close;
4. the change log hears the new value of every entity touched (the phones' pick tasks, rider
   stops, exceptions, count tasks, bins, cash) — last, because it holds the log's head to commit.

Lock order (PostgreSQL), the same on every path so two transactions never wait on each other in a
cycle: sync devices, then orders by id, then stock balances by (sku, warehouse), then cash
balances by holder, then the change log's head. Retrying held orders would lock orders and more
balances after a write already holds some: on PostgreSQL it is a transaction of its own, run right
after the write commits, which locks the held orders (`FOR UPDATE SKIP LOCKED`: one another
transaction holds is being written by it) and then their balances in key order. If the server dies
between the two, those orders wait for the next stock that is freed for them. A deadlock or
serialization failure that still happens is retried by `Database.run_write` a bounded number of times.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from server.changes.log import Head, emit, lock_head
from server.cod.entities import stop_entities
from server.db.base import utcnow
from server.db.reactions import install
from server.db.touched import StockKey, later, take
from server.exceptions.entities import exception_entities
from server.inventory.count_tasks import finish_counted
from server.inventory.ledger import below_reserved
from server.orders.entities import task_entities
from server.orders.reallocation import hold_for_shortfall, retry_held

REACTOR = "bodega"  # who the history names for a reaction's moves


@dataclass
class Reactions:
    """What the reactions did, for a caller that reports it (a receipt lists the orders it let through)."""

    allocated: list[uuid.UUID] = field(default_factory=list[uuid.UUID])
    held: list[uuid.UUID] = field(default_factory=list[uuid.UUID])
    head: Head | None = None

    def absorb(self, allocated: list[uuid.UUID]) -> None:
        """What the follow-up transaction (held orders retried, PostgreSQL) let through."""
        self.allocated.extend(allocated)


def finish(conn: Connection, *, actor: str = REACTOR, log_head: bool = False) -> Reactions:
    """Run the reactions to what this transaction touched. `log_head`: take the change log's
    head even when nothing changed (a push answers with it)."""
    done = Reactions()
    note = take(conn)
    if note.fell:
        short = below_reserved(conn, note.fell)
        if short:
            done.held = hold_for_shortfall(conn, short, actor)
            note.merge(take(conn))  # the reservations those orders gave back
    if note.freed and conn.dialect.name == "postgresql":
        # Retrying held orders locks their stock, which this transaction may have to take out of
        # the global lock order (it already holds other balances): on PostgreSQL it runs in a
        # transaction of its own right after this one commits (Database.run_write).
        later(conn, retry_freed, sorted(note.freed, key=lambda k: (k[0].int, k[1].int)), actor)
    elif note.freed:
        done.allocated = retry_held(conn, note.freed, actor)
        note.merge(take(conn))  # what the retried orders touched
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


def retry_freed(conn: Connection, freed: list[StockKey], actor: str) -> list[uuid.UUID]:
    """Held orders retried for stock another transaction freed (its follow-up on PostgreSQL): this
    transaction locks the held orders, then their balances in key order, like every other."""
    return retry_held(conn, freed, actor)


install(finish)
