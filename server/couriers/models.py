"""Third-party couriers' tables: the courier accounts (fee contract, remittance cycle, how their
files and statuses read), the parcels handed to them by waybill, their status reports, and their
COD remittance batches with each row, each rejected row and each finding.

Append-only: status events, remittance rows, rejects, findings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigIntPK, JSONDoc, UTCDateTime, new_id, utcnow


class Courier(Base):
    """A courier account: J&T, Ninja Van, LBC, Flash... with the COD fee its contract allows.

    Fees are integer centavos and basis points (1 bp = 0.01%), see server/couriers/fees.py."""

    __tablename__ = "couriers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # "jnt", "ninjavan"
    name: Mapped[str] = mapped_column(String(128))
    fee_percent_bp: Mapped[int] = mapped_column(Integer, default=0)  # of the COD collected
    fee_min: Mapped[int] = mapped_column(BigInteger, default=0)  # centavos
    fee_flat: Mapped[int] = mapped_column(BigInteger, default=0)  # centavos per collected parcel
    vat_bp: Mapped[int] = mapped_column(Integer, default=0)  # added on top of the fee (1200 = 12%)
    cycle: Mapped[str] = mapped_column(String(16), default="every_n_days")  # | weekly
    cycle_days: Mapped[int] = mapped_column(Integer, default=7)
    cycle_weekday: Mapped[int] = mapped_column(Integer, default=4)  # 0 Monday ... 6 Sunday
    grace_days: Mapped[int] = mapped_column(Integer, default=3)  # past the due day: not remitted
    webhook_secret: Mapped[str] = mapped_column(String(128), default="")
    # Their file's column headers for each of our fields; their status words to our events.
    remittance_columns: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    status_columns: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    status_map: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    reason_map: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CourierParcel(Base):
    """A parcel handed to a courier under its waybill, and the last thing the courier said of it.

    Not a second record of the parcel: the shipping parcel (server/shipping/models.py `parcels`,
    made when the label is printed) holds the order's waybill and carrier, and a courier parcel
    of a labelled order must carry that same waybill and courier (server/couriers/accounts.py
    `attach_waybills` refuses anything else). What lives here is the courier's side only: its
    status reports' last word, when it delivered, the remittance matching by (courier, waybill).
    Kept apart rather than as columns on `parcels` because a courier can also carry parcels
    Bodega never labelled (a seller printing the courier's own label, orders from before Bodega),
    which its status reports and remittance files name all the same."""

    __tablename__ = "courier_parcels"

    courier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("couriers.id"), primary_key=True)
    waybill: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), unique=True)
    # "" (not picked up yet) | picked_up | delivered | failed | returning | returned
    status: Mapped[str] = mapped_column(String(16), default="")
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attached_by: Mapped[str] = mapped_column(String(64), default="")
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CourierStatusEvent(Base):
    """Append-only: every status a courier reported (webhook or CSV), mapped or waiting for review.

    `event` is "" while a person has not said what the courier's word means (never guessed)."""

    __tablename__ = "courier_status_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    courier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("couriers.id"))
    waybill: Mapped[str] = mapped_column(String(64))
    raw_status: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(16), default="")
    reason: Mapped[str] = mapped_column(String(255), default="")
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))  # webhook | csv
    outcome: Mapped[str] = mapped_column(String(255), default="")  # what it did to the order
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # The same report twice (a webhook retried, a CSV imported again) is one event.
        UniqueConstraint("courier_id", "waybill", "raw_status", "happened_at"),
        Index("ix_courier_status_events_review", "courier_id", "event"),
    )


class RemittanceBatch(Base):
    """One imported remittance report (a file): its progress while importing, then its totals."""

    __tablename__ = "remittance_batches"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    courier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("couriers.id"))
    file_sha256: Mapped[str] = mapped_column(String(64))  # the same file again is the same batch
    filename: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="importing")  # | done | failed
    error: Mapped[str] = mapped_column(String(500), default="")
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_new: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    expected_total: Mapped[int] = mapped_column(BigInteger, default=0)
    collected_total: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_total: Mapped[int] = mapped_column(BigInteger, default=0)
    allowed_fee_total: Mapped[int] = mapped_column(BigInteger, default=0)
    remitted_total: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("courier_id", "file_sha256"),)


class RemittanceRow(Base):
    """Append-only: one waybill of a remittance batch, matched to our order (or not)."""

    __tablename__ = "remittance_rows"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("remittance_batches.id"))
    # The batch's courier, copied here for the one index below (the batch's key checks it).
    courier_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    waybill: Mapped[str] = mapped_column(String(64))
    row_no: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    expected_cod: Mapped[int] = mapped_column(BigInteger, default=0)  # ours; 0 when unknown
    collected: Mapped[int] = mapped_column(BigInteger)  # what the courier says it collected
    fee: Mapped[int] = mapped_column(BigInteger)  # what it kept as its fee
    allowed_fee: Mapped[int] = mapped_column(BigInteger)  # what its contract allows on `collected`
    remitted: Mapped[int] = mapped_column(BigInteger)

    # Idempotent import: one row per (batch, waybill). Led by (courier, waybill), the same index
    # finds a waybill in this batch and in the courier's earlier ones: one index to keep up, not two.
    __table_args__ = (UniqueConstraint("courier_id", "waybill", "batch_id"),)


class RemittanceFinding(Base):
    """Append-only: a discrepancy found reconciling a courier's remittance, with its exception."""

    __tablename__ = "remittance_findings"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("remittance_batches.id"), index=True)
    courier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("couriers.id"))
    waybill: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger, default=0)  # centavos at issue
    message: Mapped[str] = mapped_column(String(500))
    exception_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_remittance_findings_courier_waybill", "courier_id", "waybill", "kind"),)


class CourierReject(Base):
    """Append-only: input from a courier that was refused (a row, a webhook), kept with its reason."""

    __tablename__ = "courier_rejects"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    courier_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("couriers.id"))
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("remittance_batches.id"))
    source: Mapped[str] = mapped_column(String(16))  # remittance | status_csv | webhook
    row_no: Mapped[int] = mapped_column(Integer, default=0)
    raw: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_courier_rejects_batch_row", "batch_id", "row_no", unique=True),)
