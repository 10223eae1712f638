"""Exceptions: things that happened which a person has to look at (held orders, stock conflicts)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, JSONDoc, UTCDateTime, new_id, utcnow


class ExceptionRecord(Base):
    __tablename__ = "exceptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(48))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    message: Mapped[str] = mapped_column(String(500))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    sku_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("skus.id"))
    warehouse_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("warehouses.id"))
    details: Mapped[dict[str, object]] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(String(500))
    # Set by a writer that logged the new exception's sync entity in its own transaction
    # (ingestion does): the projector then leaves its creation alone.
    logged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # info | warning | critical: critical ones reach people even in quiet hours.
    severity: Mapped[str] = mapped_column(String(8), default="warning")
    # What it is about, for the inbox's filters and the dedupe key: order, sku, bin, rider, device,
    # shop, courier_batch, shipment (id as the domain names it: a uuid, a code, a username).
    subject_kind: Mapped[str | None] = mapped_column(String(16))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    raised_by: Mapped[str] = mapped_column(String(64), default="system")
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    assigned_to: Mapped[str | None] = mapped_column(String(64))
    # 0: the first people told; each escalation (unacknowledged too long) tells the next in the chain.
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "kind|subject" while open, NULL once resolved: a unique index makes one OPEN exception per
    # subject and kind (both databases let NULLs repeat). Facts that are evidence each (two
    # double deliveries of one parcel) leave it NULL.
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Any change a person should hear of (raised, acknowledged, assigned, escalated, resolved).
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    action: Mapped[str | None] = mapped_column(String(32))  # the resolution action taken

    __table_args__ = (
        Index("ix_exceptions_status_kind", "status", "kind"),
        # The sync projector looks for exceptions raised or resolved since its last look.
        Index("ix_exceptions_created_at", "created_at"),
        Index("ix_exceptions_resolved_at", "resolved_at"),
        Index("ix_exceptions_subject", "subject_kind", "subject_id"),
        Index("uq_exceptions_dedupe_key", "dedupe_key", unique=True),
        # The KPIs: which orders had an exception (server/kpis/compute.py).
        Index("ix_exceptions_order_id", "order_id"),
    )
