"""Delivery attempts and proofs of delivery: append-only, one row per fact reported.

The one writer of these facts, whichever path brings them (a rider's phone, a courier's status feed,
the console), and of which of two deliveries of one parcel counts (a supervisor's choice).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from server.cod.cash import cash_entry, lock_cash, post_cash
from server.cod.models import CashLedgerEntry, DeliveryAttempt, ProofLink
from server.cod.rts import after_attempts
from server.db.bulk import insert_rows
from server.errors import Conflict, FieldError
from server.money import format_pesos as pesos

OUTCOMES = ("delivered", "failed")


def record_attempts(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Delivery attempts (delivered or failed, with the reason); `counts` is false for a second
    delivery of a parcel already delivered by someone else."""
    insert_rows(conn, DeliveryAttempt, rows)
    if rows:
        # The attempts policy: a parcel whose attempts ran out goes back to the sender (cod/rts.py).
        after_attempts(conn, rows, now=rows[-1]["created_at"])


def link_proofs(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Photos and signatures linked to an order; the blob itself may arrive before or after."""
    insert_rows(conn, ProofLink, rows)


def choose_delivery(
    conn: Connection,
    order_id: uuid.UUID,
    keep: int,
    void: int,
    holder: str | None,
    keeper: str | None,
    *,
    now: datetime,
    ref: str,
) -> str:
    """Two reports delivered one parcel: attempt `keep` is the real one, `void` is not.

    The attempts stay as they were reported (facts are never rewritten); what changes is which one
    counts. The cash follows: what `holder` (the voided attempt's rider) recorded as collected for
    this order leaves their hands as a `voided` entry, through the cash ledger's writer; when the
    same rider also made the real delivery (`keeper`), their first collection stays. An attempt no
    rider reported (a courier's status feed) has no holder and no cash to void."""
    rows = {
        r.id: r
        for r in conn.execute(
            select(DeliveryAttempt.id, DeliveryAttempt.counts)
            .where(DeliveryAttempt.id.in_([keep, void]), DeliveryAttempt.order_id == order_id)
            .where(DeliveryAttempt.outcome == "delivered")
        ).all()
    }
    if set(rows) != {keep, void} or keep == void:
        raise Conflict("these are not two deliveries of this order", [FieldError("params.keep", "unknown")])
    if not rows[keep].counts:  # the report that raised the exception was the real one
        conn.execute(update(DeliveryAttempt).where(DeliveryAttempt.id == keep).values(counts=True))
        conn.execute(update(DeliveryAttempt).where(DeliveryAttempt.id == void).values(counts=False))
    if not holder:
        return "the other delivery is voided"
    e = CashLedgerEntry
    held = int(
        conn.execute(
            select(func.coalesce(func.sum(e.amount), 0)).where(
                e.holder == holder, e.order_ref == str(order_id), e.kind.in_(("collected", "voided"))
            )
        ).scalar()
        or 0
    )
    if holder == keeper:
        first = conn.execute(
            select(e.amount)
            .where(e.holder == holder, e.order_ref == str(order_id), e.kind == "collected")
            .order_by(e.id)
            .limit(1)
        ).scalar()
        held -= int(first or 0)
    if held <= 0:
        return f"the other delivery, by {holder}, is voided"
    balances = lock_cash(conn, [holder])
    balances[holder] -= held
    post_cash(
        conn,
        [cash_entry(holder, -held, "voided", now=now, order_ref=str(order_id), ref=ref)],
        balances,
        now=now,
    )
    return f"the other delivery, by {holder}, is voided with the {pesos(held)} it recorded as collected"
