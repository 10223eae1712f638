"""Tables of the sync engine's server side: the op journal, per-device high-water marks, the
change log with its position counter and per-scope checksums, blobs, and the ledgers that ops
write besides stock (rider cash, delivery attempts, proof links, bin counts, delivery runs).

Stock itself goes to the one stock ledger (server/inventory: stock_movements, with the op as ref).
Append-only tables (journal, cash entries, delivery attempts, proof links) are never updated.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigIntPK, UTCDateTime, new_id, utcnow
from server.orders.models import Order

# "<16 hex HLC>~<origin>": the event key the judging rules order facts by (sync/_hlc.py).
EVENT_KEY = 96


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


class SyncLogHead(Base):
    """The one row (id 1) holding the change log's last position and the database's epoch.

    Every transaction that appends to the log locks this row first and keeps the lock to its
    commit, so positions become visible in order (PROTOCOL.md §4.6).
    """

    __tablename__ = "sync_log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    epoch: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    # Tombstones at or below this position were purged: older cursors are answered cursor_expired.
    horizon: Mapped[int] = mapped_column(BigInteger, default=0)
    # How far the projector has looked for changes made outside sync (orders, catalog ...).
    projected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncLogMark(Base):
    """Where the change log's head stood at a time, recorded about hourly: what lets tombstones be
    dropped by age although log rows carry no time (server/sync_api/retention.py)."""

    __tablename__ = "sync_log_marks"

    at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)


class SyncChange(Base):
    """The compacted change log: the newest value of every entity of every scope, at its position.

    `val` is the entity's canonical JSON (NULL: deleted, a tombstone); `h` its 64-bit checksum
    term as a signed integer (0 for a tombstone), so a scope's sum can be kept without re-reading
    old values.
    """

    __tablename__ = "sync_changes"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    val: Mapped[str | None] = mapped_column(Text)
    h: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (Index("ix_sync_changes_scope_position", "scope", "position"),)


class SyncScopeSum(Base):
    __tablename__ = "sync_scope_sums"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    total: Mapped[int] = mapped_column(BigInteger, default=0)  # sum mod 2**64, as a signed integer


class SyncBlob(Base):
    """A photo or signature, content-addressed. In the database, so every server process sees it."""

    __tablename__ = "sync_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CashLedgerEntry(Base):
    """Append-only: centavos into (amount > 0) or out of (< 0) a holder's hands."""

    __tablename__ = "cash_entries"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    holder: Mapped[str] = mapped_column(String(64), index=True)  # a username, or a cashier/safe name
    amount: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # collected | remitted | received
    order_ref: Mapped[str] = mapped_column(String(64), default="")
    ref: Mapped[str] = mapped_column(String(64), default="")
    op_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CashBalance(Base):
    """Cash in hand per holder: the sum of its entries, updated in the same transaction."""

    __tablename__ = "cash_balances"

    holder: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryAttempt(Base):
    """Append-only: every delivery attempt reported. `counts` is false for a second delivery."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    op_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    order_ref: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    waybill: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # delivered | failed
    reason: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    device: Mapped[str] = mapped_column(String(64))
    counts: Mapped[bool] = mapped_column(Boolean, default=True)
    at: Mapped[str] = mapped_column(String(EVENT_KEY), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProofLink(Base):
    """A delivery photo or signature linked to an order; the blob may arrive before or after."""

    __tablename__ = "proof_links"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    op_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    order_ref: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    waybill: Mapped[str] = mapped_column(String(64), default="")
    blob: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the server gave up waiting for the blob and raised proof_missing (PROTOCOL.md §8).
    chased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BinCount(Base):
    """The latest cycle count (by event key) of a SKU in a bin: what the count rule orders against."""

    __tablename__ = "bin_counts"

    bin_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bins.id"), primary_key=True)
    sku_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skus.id"), primary_key=True)
    counted_at: Mapped[str] = mapped_column(String(EVENT_KEY))
    counted: Mapped[int] = mapped_column(BigInteger)
    op_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryRun(Base):
    """A rider's list of stops for a trip. Minimal: what the rider's phone needs to sync."""

    __tablename__ = "delivery_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    rider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RunStop(Base):
    __tablename__ = "run_stops"

    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("delivery_runs.id", ondelete="CASCADE"), primary_key=True
    )
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
    waybill: Mapped[str] = mapped_column(String(64), default="")


# The projector finds orders changed outside sync by this (server/sync_api/projector.py). Declared
# here, beside the only code that reads by it, rather than in the orders package.
Index("ix_orders_updated_at", Order.updated_at)
