"""What the cash-on-delivery side knows of one order: its delivery attempts, the proofs the rider
sent (photo, signature) and the cash entries naming it. Read-only; the console's order timeline
(server/timeline/order.py) shows these next to the order's other facts."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.cod.models import CashLedgerEntry, DeliveryAttempt, ProofLink


class AttemptOut(msgspec.Struct):
    outcome: str  # delivered | failed
    reason: str
    note: str
    received_by: str  # delivered: who took the parcel ("" when not given)
    reschedule_on: str  # failed: the Manila day (YYYY-MM-DD) to try again ("" when not given)
    waybill: str
    device: str
    counts: bool  # False when a later correction voided it
    at: datetime


class ProofOut(msgspec.Struct):
    kind: str  # photo | signature
    blob: str  # GET /sync/v1/blobs/{blob}
    waybill: str
    at: datetime


class CashOut(msgspec.Struct):
    holder: str
    kind: str  # collected | remitted | received
    amount: int  # centavos
    ref: str
    at: datetime


class CodRecord(msgspec.Struct):
    attempts: list[AttemptOut]
    proofs: list[ProofOut]
    cash: list[CashOut]


def order_record(conn: Connection, order_id: uuid.UUID) -> CodRecord:
    a, p, c = DeliveryAttempt, ProofLink, CashLedgerEntry
    attempts = conn.execute(
        select(
            a.outcome,
            a.reason,
            a.note,
            a.received_by,
            a.reschedule_on,
            a.waybill,
            a.device,
            a.counts,
            a.created_at,
        )
        .where(a.order_id == order_id)
        .order_by(a.created_at, a.id)
    ).all()
    proofs = conn.execute(
        select(p.kind, p.blob, p.waybill, p.created_at).where(p.order_id == order_id).order_by(p.id)
    ).all()
    # Cash entries name the order by its id as text (order_ref): the rider's phone sends that.
    cash = conn.execute(
        select(c.holder, c.kind, c.amount, c.ref, c.created_at)
        .where(c.order_ref == str(order_id))
        .order_by(c.id)
    ).all()
    return CodRecord(
        attempts=[AttemptOut(*r) for r in attempts],
        proofs=[ProofOut(*r) for r in proofs],
        cash=[CashOut(r[0], r[1], int(r[2]), r[3], r[4]) for r in cash],
    )
