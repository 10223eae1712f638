"""The ERP feed's tables: the outbox of business facts (in commit order), the accounting system's
webhook endpoints, and the events still owed to an endpoint (waiting, retrying or dead)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigIntPK, JSONDoc, UTCDateTime, new_id, utcnow
from server.db.encrypted import EncryptedText


class ErpHead(Base):
    """One row: the last sequence number handed out. Taken under its row lock at the end of the
    writing transaction and held to commit, so a reader that sees seq n sees every seq below it
    (the same reason as the change log's head, server/changes/log.py)."""

    __tablename__ = "erp_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)


class ErpEvent(Base):
    __tablename__ = "erp_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_id)
    type: Mapped[str] = mapped_column(String(32))
    # Events with the same key are delivered in seq order ("order:<id>", "stock:<sku>:<wh>", ...).
    key: Mapped[str] = mapped_column(String(96))
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)


class ErpEndpoint(Base):
    __tablename__ = "erp_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[str] = mapped_column(EncryptedText, default="")
    types: Mapped[list[str]] = mapped_column(JSONDoc, default=list)  # [] = every type
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)  # every seq up to here was handled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ErpDelivery(Base):
    """An event not yet accepted by an endpoint: `pending` (retrying, or waiting behind an earlier
    event of its key) or `dead` (gave up after MAX_ATTEMPTS; a person retries it)."""

    __tablename__ = "erp_deliveries"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("erp_endpoints.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(96))
    state: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("endpoint_id", "seq"),
        Index("ix_erp_deliveries_endpoint_state", "endpoint_id", "state", "seq"),
    )
