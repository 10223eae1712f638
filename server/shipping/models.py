"""Parcels, waybills, dispatch batches and put-backs: what leaves the warehouse and how.

A packed order is one parcel record (its boxes counted in `parcel_count`) with a waybill: the
courier's number when a courier carries it, Bodega's own for our riders. A dispatch batch is one
courier pickup or one rider's run leaving the warehouse: parcels are scanned into it, and a parcel
belongs to at most one batch (`parcels.batch_id`). A put-back is the work an order cancelled in the
middle of picking or packing leaves behind: its picked units go back from staging to a bin.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, JSONDoc, UTCDateTime, new_id, utcnow


class Parcel(Base):
    __tablename__ = "parcels"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    waybill: Mapped[str] = mapped_column(String(64), unique=True)
    courier: Mapped[str] = mapped_column(String(32), default="")  # "" = our own riders
    weight_grams: Mapped[int] = mapped_column(Integer, default=0)
    parcel_count: Mapped[int] = mapped_column(Integer, default=1)
    # What the packer scanned, [[sku code, qty], ...]: the evidence the order was checked.
    lines: Mapped[list[list[Any]]] = mapped_column(JSONDoc, default=list)
    packed_by: Mapped[str] = mapped_column(String(64))
    packed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("dispatch_batches.id"))
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_over_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_parcels_batch", "batch_id"),)


class WaybillSequence(Base):
    """The next waybill number per carrier ("" = Bodega's own numbers for our riders)."""

    __tablename__ = "waybill_sequences"

    courier: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_no: Mapped[int] = mapped_column(BigInteger, default=1)


class DispatchBatch(Base):
    """One pickup by a courier, or one rider's run, leaving a warehouse."""

    __tablename__ = "dispatch_batches"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    kind: Mapped[str] = mapped_column(String(8))  # courier | rider
    carrier: Mapped[str] = mapped_column(String(64))  # courier code, or the rider's username
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | closed
    # Waybills expected on this pickup when it was opened: what is missing shows at the close.
    expected: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_dispatch_batches_open", "warehouse_id", "status"),)


class PutBack(Base):
    """Units picked for an order that was cancelled before it left: back from staging to a bin."""

    __tablename__ = "put_backs"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    # [[sku code, qty], ...], then [sku code, qty, units back] once some are back (count_put_back)
    lines: Mapped[list[list[Any]]] = mapped_column(JSONDoc, default=list)
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | done
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_by: Mapped[str | None] = mapped_column(String(64))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bin_code: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_put_backs_open", "warehouse_id", "status"),)
