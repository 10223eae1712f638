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
3. orders cancelled while being picked or packed get a put-back (server/shipping/put_backs.py);
   open count tasks whose every target has now been counted close;
4. the listings selling a SKU whose availability moved are marked for a stock push to their
   channels, one durable job per shop (server/channels/push.py);
5. the change log hears the new value of every entity touched (the phones' pick tasks, rider
   stops, exceptions, count tasks, bins, cash), because it holds the log's head to commit;
   exceptions raised or changed are announced to the console's live streams (NOTIFY on PostgreSQL);
6. the business facts the writers noted go to the ERP feed's outbox (server/erp/outbox.py) — last
   of all: it takes the outbox head's lock, also held to commit.

Lock order (PostgreSQL), the same on every path so two transactions never wait on each other in a
cycle: sync devices, then orders by id, then stock balances by (sku, warehouse), then cash
balances by holder, then listing push state by listing id and push jobs by shop, then the change
log's head, then the ERP outbox's head. Retrying held orders would lock orders and more
balances after a write already holds some: on PostgreSQL it is a transaction of its own, run right
after the write commits, which locks the held orders (`FOR UPDATE SKIP LOCKED`: one another
transaction holds is being written by it) and then their balances in key order. If the server dies
between the two, those orders wait for the next stock that is freed for them. A deadlock or
serialization failure that still happens is retried by `Database.run_write` a bounded number of times.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Connection

from server.changes.log import Head, emit, lock_head
from server.changes.scopes import EXCEPTIONS
from server.channels.push import mark_due
from server.cod import actions as cod_actions
from server.cod.entities import stop_entities
from server.db.base import utcnow
from server.db.reactions import install
from server.db.touched import StockKey, later, take
from server.erp.outbox import record as record_facts
from server.exceptions.actions import unregistered
from server.exceptions.entities import exception_entities
from server.exceptions.live import announce
from server.inbound.entities import shipment_entities
from server.inbound.preorder import shipment_skus
from server.intake import actions as intake_actions
from server.inventory.count_tasks import finish_counted
from server.inventory.ledger import below_reserved
from server.orders import actions as order_actions
from server.orders.entities import task_entities
from server.orders.reallocation import hold_for_shortfall, retry_held
from server.shipping.put_backs import open_put_backs
from server.sync_api import actions as sync_actions

REACTOR = "bodega"  # who the history names for a reaction's moves

# Every action that settles an exception, registered (server/exceptions/actions.py `act` looks
# its name up): each lives in the package that owns its writer, and this module imports them all.
# Every process that writes imports this module: the app and the CLI for `finish`, and the SQLite
# writer process when it unpickles `finish` (by name) with each call; a write that acts on an
# exception runs in one of them, on whichever path (console, phone, an accepted fact).
ACTION_MODULES = (order_actions, cod_actions, intake_actions, sync_actions)
_unregistered = unregistered()
assert not _unregistered, f"exception actions without a function: {sorted(_unregistered)}"


@dataclass
class Reactions:
    """What the reactions did, for a caller that reports it (a receipt lists the orders it let through)."""

    allocated: list[uuid.UUID] = field(default_factory=list[uuid.UUID])
    held: list[uuid.UUID] = field(default_factory=list[uuid.UUID])
    head: Head | None = None
    # Exceptions raised or changed: the console's live streams hear of them (server/exceptions/live.py).
    exceptions: list[uuid.UUID] = field(default_factory=list[uuid.UUID])
    # When the notification job asked for in this transaction runs (server/alerts/jobs.py wakes
    # the worker at commit when that is now); None if it was not asked for.
    notify_at: datetime | None = None

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
    if note.cancelled_in_flight:
        # Orders cancelled mid-pick or mid-pack: the phones are told, their units go back to a bin.
        open_put_backs(conn, note.cancelled_in_flight, utcnow())
        note.merge(take(conn))
    # Incoming stock moved (a shipment created, its date moved, lines received, closed): the
    # listings selling pre-orders of its SKUs show it. One call: the marks are taken in key order.
    incoming = shipment_skus(conn, note.shipments) - note.stock if note.shipments else set[uuid.UUID]()
    if note.stock or incoming:
        mark_due(conn, note.stock, incoming=incoming)
    changes = dict(note.changes)
    if note.counted_in or note.orders or note.exceptions or note.shipments:
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
    if note.shipments:
        changes.update(shipment_entities(conn, note.shipments))
    if changes or log_head:
        done.head = emit(conn, changes)
    done.exceptions = sorted(
        note.exceptions
        | {uuid.UUID(key) for (scope, kind, key) in changes if (scope, kind) == (EXCEPTIONS, "exception")}
    )
    if done.exceptions:
        announce(conn, done.exceptions)  # NOTIFY on PostgreSQL, delivered at commit
    if note.facts:
        record_facts(conn, note.facts)
    done.notify_at = note.notify_at
    return done


def retry_freed(conn: Connection, freed: list[StockKey], actor: str) -> list[uuid.UUID]:
    """Held orders retried for stock another transaction freed (its follow-up on PostgreSQL): this
    transaction locks the held orders, then their balances in key order, like every other."""
    return retry_held(conn, freed, actor)


install(finish)
