"""Cash in riders' (and cashiers') hands: the append-only cash ledger and the balance per holder.

The one writer of cash facts: a phone's `cash.collected` and `remittance.handed_in`, and any
console or job that moves cash, post through `post_cash`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from server.changes.scopes import cash_scope
from server.cod.models import CashBalance, CashLedgerEntry
from server.db.base import utcnow
from server.db.bulk import in_values, insert_rows, upsert_rows
from server.db.sql import is_sqlite
from server.db.touched import touched

HOLDER = 64
KINDS = ("collected", "remitted", "received")


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
    note = touched(conn)
    for h in holders:
        note.changes[(cash_scope(h), "cash", h)] = balances[h] or None


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
