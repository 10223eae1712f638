"""Waves, their orders and planned pick lines, and the picks recorded against them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigIntPK, UTCDateTime, new_id, utcnow


class Wave(Base):
    """Allocated orders picked together: one cart, one tote per order, one picker."""

    __tablename__ = "waves"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    grouping: Mapped[str] = mapped_column(String(16))  # cutoff | channel | courier | priority
    group_key: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | done
    picker: Mapped[str | None] = mapped_column(String(64))  # the warehouse user it is given to
    cutoff: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the earliest ship-by in it
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_waves_warehouse_status", "warehouse_id", "status"),)


class WaveOrder(Base):
    """An order's place in a wave: the tote its items go into. An order is in one wave at a time."""

    __tablename__ = "wave_orders"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    wave_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    tote: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)  # by priority, highest first
    ship_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[int] = mapped_column(Integer, default=0)


class PickLine(Base):
    """The plan: take qty of a SKU from a bin into an order's tote. `seq` is the walking order."""

    __tablename__ = "pick_lines"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    wave_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"))
    bin_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bins.id"))  # None: no bin has it
    qty: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)


class PickRecord(Base):
    """A pick as it happened (a phone's op or the console): units of a SKU off a bin for an order,
    or a short pick (`wanted` > `qty`). `problem` says what did not match the order or its plan."""

    __tablename__ = "pick_records"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    order_ref: Mapped[str] = mapped_column(String(64))  # as the phone named it
    warehouse_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("warehouses.id"))
    sku: Mapped[str] = mapped_column(String(64))
    bin: Mapped[str] = mapped_column(String(32))
    qty: Mapped[int] = mapped_column(BigInteger)  # units taken off the bin
    wanted: Mapped[int | None] = mapped_column(BigInteger)  # set on a short pick
    problem: Mapped[str] = mapped_column(String(24), default="")  # "" | wrong_item | over_pick | wrong_bin
    op_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
