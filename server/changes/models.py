"""The sync change log's tables: its head (position, epoch), hourly marks, the compacted
entity versions and per-scope checksums. Below every domain: any domain's writer may append."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, UTCDateTime


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
