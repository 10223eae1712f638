"""The one canonical order every channel's order becomes, its lines and its status history."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigIntPK, JSONDoc, UTCDateTime, new_id, utcnow


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    shop_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.id"))
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24), index=True)
    channel_status: Mapped[str] = mapped_column(String(64), default="")
    payment_method: Mapped[str] = mapped_column(String(8))  # cod | prepaid
    cod_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # centavos to collect
    total_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # centavos, lines + shipping
    shipping_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    customer_name: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str] = mapped_column(String(20))  # E.164, +63...
    street: Mapped[str] = mapped_column(String(255))
    barangay: Mapped[str] = mapped_column(String(128))
    city: Mapped[str] = mapped_column(String(128))
    province: Mapped[str] = mapped_column(String(128))
    region: Mapped[str] = mapped_column(String(16))
    zip_code: Mapped[str] = mapped_column(String(4))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ship_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The channel's own last-modified time: a version older than what we hold is ignored.
    channel_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Hash of the canonical payload: the same delivery twice is recognised and changes nothing.
    payload_hash: Mapped[str] = mapped_column(String(64))
    warehouse_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("warehouses.id"))
    hold_reason: Mapped[str | None] = mapped_column(String(255))
    # A supervisor decided this held order waits for a restock (a backorder): shown to the seller,
    # and retried first when stock arrives. Means something only while the order is on hold;
    # cleared when it goes on hold again or leaves it by reallocation (orders/transitions.py).
    backordered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the address could not be matched to the PSGC: kept as written, flagged for the courier.
    address_flag: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set to updated_at by a writer that also logged the order's sync entities in its transaction
    # (ingestion does): the projector then has nothing to do for this version of the order.
    logged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("shop_id", "external_id"),
        CheckConstraint("cod_amount >= 0", name="cod_not_negative"),
        CheckConstraint("payment_method IN ('cod', 'prepaid')", name="payment_method_known"),
        Index("ix_orders_placed_at", "placed_at"),
        # The console's search by the channel's order number (the unique key leads with the shop),
        # and the KPIs' SLA by ship-by day.
        Index("ix_orders_external_id", "external_id"),
        Index("ix_orders_ship_by", "ship_by"),
        Index("ix_orders_phone", "phone"),  # the console's search by the customer's phone
        # The ship-by alert rule reads only open orders whose own deadline is near, or that have
        # none (server/orders/ship_by.py): each an index range per open status.
        Index("ix_orders_status_ship_by", "status", "ship_by"),
        # Held orders, for the reaction that retries them when stock is freed (server/writes.py).
        Index(
            "ix_orders_on_hold",
            "placed_at",
            postgresql_where=text("status = 'on_hold'"),
            sqlite_where=text("status = 'on_hold'"),
        ),
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # Found by order through the unique (order_id, line_no) index: no index of its own.
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"))
    qty: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)  # centavos
    external_line_id: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("unit_price >= 0", name="price_not_negative"),
    )


class OrderStatusChange(Base):
    """Append-only: every status an order has been in, who moved it and why."""

    __tablename__ = "order_status_changes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(255), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The KPIs: orders that reached a status on a given day (server/kpis/compute.py).
    __table_args__ = (Index("ix_order_status_changes_to_status_at", "to_status", "at"),)


class RejectedPayload(Base):
    """Input we refused, kept whole so nobody loses an order to a typo in an integration."""

    __tablename__ = "rejected_payloads"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    problem: Mapped[dict[str, object]] = mapped_column(JSONDoc)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
