"""Tables of the sync engine's server side: the op journal, per-device high-water marks and
blobs. The change log lives in server/changes/, the ledgers that ops write in their domains
(server/cod/ for cash, attempts, proofs and runs; server/inventory/ for stock and bin counts).

Stock itself goes to the one stock ledger (server/inventory: stock_movements, with the op as ref).
Append-only tables (journal, cash entries, delivery attempts, proof links) are never updated.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigIntPK, UTCDateTime, utcnow
from server.orders.models import Order


class SyncDevice(Base):
    """Per device: the high-water mark (every seq up to it is journalled), written in the same
    transaction as the effects of the ops that moved it, and the scopes its replica was built from."""

    __tablename__ = "sync_devices"

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    hwm: Mapped[int] = mapped_column(BigInteger, default=0)
    scopes: Mapped[str] = mapped_column(Text, default="")  # "\n"-joined, sorted
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncOp(Base):
    """The op journal: every op a device sent that took a seq slot, exactly once, with its verdict.

    Not unique on (device, seq): a device.seq_skipped filler covers seq..last_seq, and a lost op
    that turns up later is journalled in one of those slots beside it (PROTOCOL.md §3.4).

    A journalled op id re-sent at the device's next slot (an outbox moved to a new device at login)
    fills that slot with a copy: status `duplicate`, a note `copy_of` naming the original, and an
    op_id derived from the original and the slot (PROTOCOL.md §3.2). It has no effects.
    """

    __tablename__ = "sync_ops"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)  # journal order
    op_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    wall: Mapped[int] = mapped_column(BigInteger, default=0)
    hlc: Mapped[str] = mapped_column(String(16), default="")
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # JSON, as the device sent it
    actor: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16))  # applied | flagged | rejected | duplicate
    notes: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[code, sentence], ...]
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_sync_ops_device_seq", "device_id", "seq"),)


class SyncRefused(Base):
    """Ops refused without taking a slot (seq_taken, unreadable seq): kept whole for a person."""

    __tablename__ = "sync_refused"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"), index=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    op_id: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncBlob(Base):
    """A photo or signature, content-addressed. In the database, so every server process sees it."""

    __tablename__ = "sync_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The projector finds orders changed outside sync by this (server/sync_api/projector.py). Declared
# here, beside the only code that reads by it, rather than in the orders package.
Index("ix_orders_updated_at", Order.updated_at)
