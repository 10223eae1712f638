"""Exceptions: things that happened which a person has to look at (held orders, stock conflicts)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
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

    __table_args__ = (
        Index("ix_exceptions_status_kind", "status", "kind"),
        # The sync projector looks for exceptions raised or resolved since its last look.
        Index("ix_exceptions_created_at", "created_at"),
        Index("ix_exceptions_resolved_at", "resolved_at"),
    )
