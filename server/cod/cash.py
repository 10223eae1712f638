"""Cash in riders' (and cashiers') hands: the append-only cash ledger and the balance per holder.

The one writer of cash facts: a phone's `cash.collected` and `remittance.handed_in`, and any
console or job that moves cash, post through `post_cash`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from server.changes.scopes import cash_scope
from server.cod.models import CashBalance, CashLedgerEntry
from server.db.base import utcnow
from server.db.bulk import in_values, insert_rows, upsert_rows
from server.db.sql import is_sqlite
from server.db.touched import touched
from server.facts import note_fact, order_key

HOLDER = 64
# collected (R10), remitted/received (R12); the rest settle a conflict or a remittance: refunded
# (given back to a buyer), charged (a difference the rider owes), written_off (a loss accepted),
# voided (a collection recorded with a delivery a supervisor found was not the real one).
KINDS = ("collected", "remitted", "received", "refunded", "charged", "written_off", "voided")
HELD_STOPS = 200  # the phone's cash entity lists at most this many collections still in hand
# A cashier's or safe's inflows pile up: the entity reads at most this many (its `since` is then
# the oldest of those); the API reads them all.
ENTITY_ROWS = 1000


def cash_entry(
    holder: str,
    amount: int,
    kind: str,
    *,
    now: datetime,
    order_ref: str = "",
    ref: str = "",
    op_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """A ledger row: centavos into (amount > 0) or out of (< 0) a holder's hands."""
    return {
        "holder": holder[:HOLDER],
        "amount": amount,
        "kind": kind,
        "order_ref": order_ref[:64],
        "ref": ref[:64],
        "op_id": op_id,
        "created_at": now,
    }


def post_cash(
    conn: Connection, entries: Sequence[dict[str, Any]], balances: Mapping[str, int], *, now: datetime
) -> None:
    """Append the entries and set each holder's balance to `balances[holder]`, the new total the
    caller computed from rows it read under lock (PostgreSQL) or under the database's write lock."""
    if not entries:
        return
    insert_rows(conn, CashLedgerEntry, entries)
    holders = sorted({e["holder"] for e in entries})
    upsert_rows(
        conn,
        CashBalance,
        ("holder",),
        [{"holder": h, "amount": balances[h], "updated_at": now} for h in holders],
        update=("amount", "updated_at"),
    )
    for e in entries:  # the ERP feed's facts (server/erp/outbox.py)
        ref = e["order_ref"]
        order_id = _order_id(ref)
        note_fact(
            conn,
            f"cash.{e['kind']}",
            order_key(ref) if order_id else f"cash:{e['holder']}",
            {
                "holder": e["holder"],
                "amount": e["amount"],
                "kind": e["kind"],
                "ref": e["ref"],
                "order_ref": ref,
            },
            order_id=order_id,
            at=e["created_at"],
        )
    note = touched(conn)
    for h in holders:
        note.changes[(cash_scope(h), "cash", h)] = balances[h] or None
        note.changes[(cash_scope(h), "cash_held", h)] = held_value(
            held_collections(conn, h, balances[h], limit=ENTITY_ROWS)
        )


def _order_id(ref: str) -> uuid.UUID | None:
    """The order a cash entry is for, when its order_ref names one by id."""
    try:
        return uuid.UUID(ref) if len(ref) in (32, 36) else None
    except ValueError:
        return None


class Held(NamedTuple):
    """Pesos of one collection still in the holder's hands (FIFO: what was handed in paid off the
    oldest collections first)."""

    order_ref: str
    amount: int  # centavos of this collection still held
    collected: int  # centavos the collection brought in
    at: datetime  # when it was collected (recorded)


def held_collections(conn: Connection, holder: str, balance: int, *, limit: int | None = None) -> list[Held]:
    """What makes up `balance` (the holder's cash in hand), oldest first: walking the holder's
    inflows newest first until they add up to it. FIFO means the older ones were handed in."""
    if balance <= 0:
        return []
    e = CashLedgerEntry
    rows = conn.execute(
        select(e.order_ref, e.amount, e.created_at)
        .where(e.holder == holder, e.amount > 0)
        .order_by(e.id.desc())
        .limit(limit)
        .execution_options(yield_per=500)
    )
    held: list[Held] = []
    left = balance
    for order_ref, amount, at in rows:
        take = min(int(amount), left)
        held.append(Held(order_ref, take, int(amount), at))
        left -= take
        if left <= 0:
            break
    rows.close()
    held.reverse()
    return held


def held_value(held: list[Held]) -> dict[str, Any] | None:
    """The phone's `cash_held` entity: cash in hand by stop with when each was collected."""
    if not held:
        return None
    return {
        "amount": sum(h.amount for h in held),
        "since": held[0].at.isoformat(),
        "stops": [[h.order_ref, h.amount, h.at.isoformat()] for h in held[-HELD_STOPS:]],
    }


def lock_cash(conn: Connection, holders: Sequence[str]) -> dict[str, int]:
    """Cash in hand of these holders (0 for a new one), read under lock so a caller can compute
    their new balances for `post_cash`. PostgreSQL: create-then-lock the rows in holder order, so
    two transactions moving cash to one cashier serialise here; SQLite: the transaction already
    holds the database's write lock."""
    wanted = sorted(set(holders))
    held = dict.fromkeys(wanted, 0)
    if not wanted:
        return held
    pg = not is_sqlite(conn)
    if pg:
        now = utcnow()
        conn.execute(
            postgresql.insert(CashBalance).on_conflict_do_nothing(),
            [{"holder": h, "amount": 0, "updated_at": now} for h in wanted],
        )
    stmt = select(CashBalance.holder, CashBalance.amount).where(in_values(conn, CashBalance.holder, wanted))
    if pg:
        stmt = stmt.order_by(CashBalance.holder).with_for_update()
    for holder, amount in conn.execute(stmt).all():
        held[holder] = int(amount)
    return held
