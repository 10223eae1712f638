"""An append-only log of administrative actions that change data outside the normal flows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigIntPK, JSONDoc, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, object]] = mapped_column(JSONDoc, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What was changed, for the console's search ("shop", "erp_endpoint", "user" ...; "" when the
    # action is about the whole system).
    entity: Mapped[str] = mapped_column(String(32), default="", server_default="")
    entity_id: Mapped[str] = mapped_column(String(64), default="", server_default="")

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_actor_at", "actor", "at"),
        Index("ix_audit_log_entity", "entity", "entity_id"),
    )
