"""Cash on delivery's tables: riders' runs and stops, delivery attempts, proofs, the cash ledger
and cash in hand per holder. Append-only: cash entries, delivery attempts, proof links."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigIntPK, JSONDoc, UTCDateTime, new_id, utcnow
from server.inventory.models import EVENT_KEY


class DeliveryRun(Base):
    """A rider's list of stops for a trip. Minimal: what the rider's phone needs to sync."""

    __tablename__ = "delivery_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    rider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The business day (Asia/Manila, YYYY-MM-DD) the run is for; "" for runs made before dates.
    run_date: Mapped[str] = mapped_column(String(10), default="", server_default="")


class RunStop(Base):
    __tablename__ = "run_stops"

    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("delivery_runs.id", ondelete="CASCADE"), primary_key=True
    )
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
    waybill: Mapped[str] = mapped_column(String(64), default="")
    # What the supervisor tells the rider about this stop ("gate is blue", "call before").
    notes: Mapped[str] = mapped_column(String(500), default="", server_default="")


class DeliveryAttempt(Base):
    """Append-only: every delivery attempt reported. `counts` is false for a second delivery."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    op_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    order_ref: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    waybill: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # delivered | failed
    reason: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    # Delivered: who took the parcel. Failed: the Manila day (YYYY-MM-DD, as run_date) to try again.
    received_by: Mapped[str] = mapped_column(String(80), default="", server_default="")
    reschedule_on: Mapped[str] = mapped_column(String(10), default="", server_default="")
    device: Mapped[str] = mapped_column(String(64))
    counts: Mapped[bool] = mapped_column(Boolean, default=True)
    at: Mapped[str] = mapped_column(String(EVENT_KEY), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProofLink(Base):
    """A delivery photo or signature linked to an order; the blob may arrive before or after."""

    __tablename__ = "proof_links"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    op_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    order_ref: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    waybill: Mapped[str] = mapped_column(String(64), default="")
    blob: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the server gave up waiting for the blob and raised proof_missing (PROTOCOL.md §8).
    chased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CashLedgerEntry(Base):
    """Append-only: centavos into (amount > 0) or out of (< 0) a holder's hands."""

    __tablename__ = "cash_entries"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    holder: Mapped[str] = mapped_column(String(64), index=True)  # a username, or a cashier/safe name
    amount: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # collected | remitted | received
    order_ref: Mapped[str] = mapped_column(String(64), default="")
    ref: Mapped[str] = mapped_column(String(64), default="")
    op_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # What was collected for an order (the KPIs' collection rate, the accounting export).
    __table_args__ = (Index("ix_cash_entries_order_ref", "order_ref"),)


class CashBalance(Base):
    """Cash in hand per holder: the sum of its entries, updated in the same transaction."""

    __tablename__ = "cash_balances"

    holder: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CodPolicy(Base):
    """The seller's cash-on-delivery rules: one row (id 1); absent means the defaults in policy.py."""

    __tablename__ = "cod_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    max_attempts: Mapped[int] = mapped_column(Integer)
    straight_to_rts: Mapped[str] = mapped_column(String(255))  # failure reasons, comma-separated
    rts_overdue_days: Mapped[int] = mapped_column(Integer)
    cash_ceiling: Mapped[int] = mapped_column(BigInteger)  # centavos, for riders without their own
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RiderCeiling(Base):
    """A rider's own cash ceiling: the most COD (centavos) they may carry, in hand and on runs."""

    __tablename__ = "rider_cash_ceilings"

    rider: Mapped[str] = mapped_column(String(64), primary_key=True)  # the rider's username
    cash_ceiling: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RtsParcel(Base):
    """A parcel to be returned to sender: opened when its attempts ran out (or a reason sends it
    straight back). Expected back -> returning here; received, restocked or damaged are read from
    the order and its return (the returns op), not written twice."""

    __tablename__ = "rts_parcels"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    waybill: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="expected")  # expected | returning
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    returning_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Remittance(Base):
    """Cash a rider handed in, as the cashier or supervisor counted it, matched (FIFO) against the
    rider's collections. The cash itself moves in the cash ledger (cash.py)."""

    __tablename__ = "remittances"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    holder: Mapped[str] = mapped_column(String(64), index=True)  # the rider
    received_by: Mapped[str] = mapped_column(String(64))  # the cashier, supervisor or safe
    amount: Mapped[int] = mapped_column(BigInteger)  # centavos handed in
    expected: Mapped[int] = mapped_column(BigInteger)  # the rider's cash in hand before it
    denominations: Mapped[dict[str, object]] = mapped_column(JSONDoc, default=dict)
    # [{"order": ref, "amount": covered, "due": collected, "collected_at": iso}] oldest first
    matched: Mapped[list[object]] = mapped_column(JSONDoc, default=list)
    ref: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
