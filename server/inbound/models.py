"""Inbound stock: suppliers, purchase orders, the shipments that carry them through customs, and
what the warehouse received against each shipment.

Quantities are whole units. Supplier prices are integer minor units of their currency (fen, cents);
everything in pesos is integer centavos, converted once at the rate recorded with the amount
(`rate_micros`: pesos per unit of the currency, times 1,000,000).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, UTCDateTime, new_id, utcnow

# A shipment's milestones, in the order an import normally passes them. `held` may come between
# any two customs steps; `released` ends a hold.
MILESTONES = (
    "shipped",
    "arrived_at_port",
    "customs_lodged",
    "assessed",
    "duties_paid",
    "released",
    "held",
    "delivered_to_warehouse",
)
COST_KINDS = ("duties", "brokerage", "freight", "other")
VARIANCE_KINDS = ("over", "under", "unexpected")
DECISIONS = ("accept", "reject", "return_to_supplier")


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    country: Mapped[str] = mapped_column(String(2), default="")
    currency: Mapped[str] = mapped_column(String(3), default="PHP")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("suppliers.id"))
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    po_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"))
    qty: Mapped[int] = mapped_column(Integer)
    unit_cost: Mapped[int] = mapped_column(BigInteger)  # minor units of the PO's currency

    __table_args__ = (UniqueConstraint("po_id", "line_no"),)


class InboundShipment(Base):
    """An ASN: one container, truck or air shipment carrying lines of one or more POs."""

    __tablename__ = "inbound_shipments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # what the receiver scans
    warehouse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("warehouses.id"))
    mode: Mapped[str] = mapped_column(String(8), default="sea")  # sea | air | truck
    container_no: Mapped[str] = mapped_column(String(32), default="")
    bill_of_lading: Mapped[str] = mapped_column(String(64), default="")
    airway_bill: Mapped[str] = mapped_column(String(64), default="")
    # The rate the goods were converted at (pesos per unit of the goods' currency, x 1e6).
    currency: Mapped[str] = mapped_column(String(3), default="PHP")
    rate_micros: Mapped[int] = mapped_column(BigInteger, default=1_000_000)
    # planned | in_transit | at_port | in_customs | held | released | delivered | closed
    status: Mapped[str] = mapped_column(String(16), default="planned")
    # When the goods are expected at the warehouse: what dated availability shows. A hold moves it.
    expected_on: Mapped[date] = mapped_column(Date)
    hold_reason: Mapped[str] = mapped_column(String(255), default="")
    # The expected date the "past its expected date" exception was raised for: raised once per date.
    overdue_for: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_inbound_shipments_status", "status", "expected_on"),)


class ShipmentLine(Base):
    __tablename__ = "inbound_shipment_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    shipment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbound_shipments.id", ondelete="CASCADE"))
    po_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("purchase_order_lines.id"))
    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"))
    expected_qty: Mapped[int] = mapped_column(Integer)
    received_qty: Mapped[int] = mapped_column(Integer, default=0)
    # A line is settled when received == expected, or a supervisor decided its variance.
    settled: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (UniqueConstraint("shipment_id", "po_line_id"),)


class ShipmentMilestone(Base):
    """Expected and actual dates per milestone; `note` carries a hold's reason."""

    __tablename__ = "inbound_milestones"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    shipment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbound_shipments.id", ondelete="CASCADE"))
    milestone: Mapped[str] = mapped_column(String(32))
    expected_on: Mapped[date | None] = mapped_column(Date)
    actual_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(255), default="")
    recorded_by: Mapped[str] = mapped_column(String(64), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("shipment_id", "milestone"),)


class ShipmentCost(Base):
    """Duties, brokerage, freight: as billed, and in centavos at the recorded rate."""

    __tablename__ = "inbound_costs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    shipment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbound_shipments.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units of `currency`
    currency: Mapped[str] = mapped_column(String(3))
    rate_micros: Mapped[int] = mapped_column(BigInteger)
    centavos: Mapped[int] = mapped_column(BigInteger)
    ref: Mapped[str] = mapped_column(String(64), default="")  # the broker's invoice, the entry number
    recorded_by: Mapped[str] = mapped_column(String(64), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundReceipt(Base):
    """Units received against a shipment, from a phone's op or the console; the stock itself moved
    through the stock ledger (server/inventory) in the same transaction."""

    __tablename__ = "inbound_receipts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    shipment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbound_shipments.id", ondelete="CASCADE"))
    line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inbound_shipment_lines.id"))
    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"))
    bin_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bins.id"))
    qty: Mapped[int] = mapped_column(Integer)
    # The phone op that recorded it, or the console's receipt key: a second delivery is a no-op.
    source_key: Mapped[str] = mapped_column(String(80), unique=True)
    received_by: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundVariance(Base):
    """More, fewer or other units than the shipment said: held for a supervisor's decision."""

    __tablename__ = "inbound_variances"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    shipment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbound_shipments.id", ondelete="CASCADE"))
    line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inbound_shipment_lines.id"))
    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"))
    bin_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bins.id"))
    kind: Mapped[str] = mapped_column(String(16))  # over | under | unexpected
    qty: Mapped[int] = mapped_column(Integer)  # units over, short or unexpected
    # open, or the decision taken: accept | reject | return_to_supplier
    status: Mapped[str] = mapped_column(String(24), default="open")
    exception_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    note: Mapped[str] = mapped_column(String(500), default="")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_inbound_variances_shipment", "shipment_id", "status"),)
