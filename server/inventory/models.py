"""Warehouses, bins, the append-only stock ledger, balances and reservations.

The ledger (stock_movements) is the truth for on hand; active reservations are the truth for
reserved. stock_balances is a cache of both, written in the same transaction as the rows it
summarises; `bodega verify` recomputes it and reports drift.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigIntPK, JSONDoc, UTCDateTime, new_id, utcnow

# "<16 hex HLC>~<origin>": the event key the judging rules order facts by (sync/_hlc.py).
EVENT_KEY = 96

# Kinds of stock movement. qty is the signed change to on hand in the warehouse.
MOVEMENT_KINDS = (
    "receive",  # goods in from a supplier or inbound shipment
    "adjust",  # a manual correction with a reason
    "count",  # the adjustment a cycle count produced
    "put_away",  # from one bin to another (a receiving bin to a shelf): 0 change to warehouse stock
    "pick",  # taken off the shelf for an order (0 change to warehouse stock; tracks the bin)
    "ship",  # left the warehouse with the courier or rider
    "return",  # came back (RTS or customer return)
    "transfer_out",
    "transfer_in",
)


class Warehouse(Base):
    __tablename__ = "warehouses"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    city: Mapped[str] = mapped_column(String(128), default="")
    province: Mapped[str] = mapped_column(String(128), default="")
    region: Mapped[str] = mapped_column(String(16), default="")
    # Lower is tried first when allocating.
    priority: Mapped[int] = mapped_column(Integer, default=100)
    # Region codes (e.g. "VII") this warehouse is preferred for; tried before priority order.
    serves_regions: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Bin(Base):
    __tablename__ = "bins"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    zone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("warehouse_id", "code"),)


class StockBalance(Base):
    __tablename__ = "stock_balances"

    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"), primary_key=True)
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    # Units held back from sale (damaged display stock, a cushion against channel lag).
    safety_buffer: Mapped[int] = mapped_column(BigInteger, default=0)
    # Units in the warehouse's quarantine bin (damaged returns): on hand, never sellable.
    quarantined: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("safety_buffer >= 0", name="buffer_not_negative"),
        Index("ix_stock_balances_warehouse", "warehouse_id"),
    )


class BinBalance(Base):
    """Units of a SKU in one bin: the sum of its binned movements, kept by post_movements in the same
    transaction (a cache like stock_balances; `bodega verify` recomputes it). May be negative: a
    pick synced before the receipt it took from (see sync/PROTOCOL.md, rule R3)."""

    __tablename__ = "bin_balances"

    bin_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bins.id"), primary_key=True)
    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"), primary_key=True)
    qty: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When a movement that is not a synced op (a receipt at the console, a shipment) last moved it:
    # the sync projector looks for those to tell the phones (server/sync_api/projector.py).
    outside_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_bin_balances_outside_sync_at", "outside_sync_at"),)


class StockMovement(Base):
    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"))
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    bin_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bins.id"))
    kind: Mapped[str] = mapped_column(String(16))
    qty: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(255), default="")
    # What caused it: ("order", order id), ("receipt", reference), ("op", sync op id) ...
    ref_type: Mapped[str] = mapped_column(String(32), default="")
    ref_id: Mapped[str] = mapped_column(String(64), default="")
    actor: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Event key (HLC~device) of the fact a synced op recorded; HLC~server for movements made on the
    # server (server/clock.py); "" only in rows written before that. The cycle-count rule sums a
    # bin's movements after a count by this key (sync/_rules.py).
    at: Mapped[str] = mapped_column(String(96), default="")

    __table_args__ = (
        Index("ix_stock_movements_sku_warehouse", "sku_id", "warehouse_id"),
        Index("ix_stock_movements_ref", "ref_type", "ref_id"),
        Index("ix_stock_movements_bin_sku_at", "bin_id", "sku_id", "at"),
        Index("ix_stock_movements_created_at", "created_at"),  # the movements export by period
    )


class Reservation(Base):
    """Units of one SKU held in one warehouse for one order line.

    A bundle line holds one reservation per component.
    """

    __tablename__ = "reservations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    # Nulled if the channel later drops the line; the reservation row stays as history.
    order_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("order_lines.id", ondelete="SET NULL"))
    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"))
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    qty: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | released | shipped
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("qty > 0", name="qty_positive"),
        Index("ix_reservations_active", "sku_id", "warehouse_id", "status"),
    )


class CountTask(Base):
    """A cycle count a supervisor asks for: one bin (every SKU in it, or the ones named), or a set of
    SKUs wherever they are in the warehouse. The phones get it with their warehouse's data; it is
    done when each target has been counted since the task was made, or when a supervisor closes it."""

    __tablename__ = "count_tasks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    bin_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bins.id"))
    skus: Mapped[list[str]] = mapped_column(JSONDoc, default=list)  # SKU codes; empty with a bin: all
    title: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | done
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(64))  # who closed it, or "counted"

    __table_args__ = (Index("ix_count_tasks_open", "warehouse_id", "status"),)


class BinCount(Base):
    """The latest cycle count (by event key) of a SKU in a bin: what the count rule orders against."""

    __tablename__ = "bin_counts"

    bin_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bins.id"), primary_key=True)
    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"), primary_key=True)
    counted_at: Mapped[str] = mapped_column(String(EVENT_KEY))
    counted: Mapped[int] = mapped_column(BigInteger)
    op_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_bin_counts_updated_at", "updated_at"),)  # the KPIs: counts of a day


class CountReview(Base):
    """A count that differed from the ledger by more than the seller's threshold: held, not applied.

    The first such count asks for a recount (a count task). A recount within the threshold is
    applied as any count and settles the review; one still beyond it waits for a supervisor, who
    approves it (the count is applied then, as of when it was taken) or rejects it.
    """

    __tablename__ = "count_reviews"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    bin_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bins.id"))
    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"))
    # recount | approval (waiting for a supervisor) | approved | rejected | settled (a recount
    # within the threshold was applied instead)
    status: Mapped[str] = mapped_column(String(12))
    op_id: Mapped[uuid.UUID] = mapped_column(Uuid)  # the latest held count (what approval applies)
    first_op_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    counted: Mapped[int] = mapped_column(BigInteger)
    believed: Mapped[int] = mapped_column(BigInteger)
    counts: Mapped[int] = mapped_column(Integer, default=1)  # how many held counts so far
    task_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the recount task
    exception_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_count_reviews_bin_sku", "bin_id", "sku_id", "status"),)
