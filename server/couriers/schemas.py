"""The couriers' wire types (msgspec): accounts, parcels, status reports, remittance batches.

Money is integer centavos and fee rates basis points (1 bp = 0.01%), as the COD endpoints take them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from sync import FailureReason

Code = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{1,31}$")]
Waybill = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")]
Header = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Word = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")]
Centavos = Annotated[int, msgspec.Meta(ge=0, le=100_000_000_000)]
BasisPoints = Annotated[int, msgspec.Meta(ge=0, le=10_000)]
Event = Literal["picked_up", "delivered", "failed", "returning", "returned", "ignore"]


class FeeIn(msgspec.Struct, forbid_unknown_fields=True):
    percent_bp: BasisPoints = 0  # of the COD collected, rounded half up to the centavo
    minimum: Centavos = 0
    flat: Centavos = 0
    vat_bp: BasisPoints = 0  # on top of the fee


class CycleIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["every_n_days", "weekly"] = "every_n_days"
    days: Annotated[int, msgspec.Meta(ge=1, le=90)] = 7  # every_n_days: remitted N days after delivery
    weekday: Annotated[int, msgspec.Meta(ge=0, le=6)] = 4  # weekly: 0 Monday ... 6 Sunday


class RemittanceColumns(msgspec.Struct, forbid_unknown_fields=True):
    waybill: Header
    collected: Header
    remitted: Header
    fee: Header | None = None  # absent: the fee is collected - remitted


class StatusColumns(msgspec.Struct, forbid_unknown_fields=True):
    waybill: Header
    status: Header
    reason: Header | None = None
    at: Header | None = None  # absent: the time of the import


class CourierIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    fee: FeeIn = msgspec.field(default_factory=FeeIn)
    cycle: CycleIn = msgspec.field(default_factory=CycleIn)
    grace_days: Annotated[int, msgspec.Meta(ge=0, le=90)] = 3
    webhook_secret: Annotated[str, msgspec.Meta(max_length=128)] = ""
    remittance_columns: RemittanceColumns | None = None
    status_columns: StatusColumns | None = None
    status_map: dict[Word, Event] = msgspec.field(default_factory=dict[str, Event])
    reason_map: dict[Word, FailureReason] = msgspec.field(default_factory=dict[str, FailureReason])


class CourierOut(msgspec.Struct):
    code: str
    name: str
    fee: FeeIn
    cycle: CycleIn
    grace_days: int
    has_webhook_secret: bool
    remittance_columns: dict[str, str]
    status_columns: dict[str, str]
    status_map: dict[str, str]
    reason_map: dict[str, str]


class ParcelIn(msgspec.Struct, forbid_unknown_fields=True):
    order: uuid.UUID
    waybill: Waybill


class ParcelsIn(msgspec.Struct, forbid_unknown_fields=True):
    parcels: Annotated[list[ParcelIn], msgspec.Meta(min_length=1, max_length=1000)]


class ParcelsOut(msgspec.Struct):
    attached: int  # new; the rest were already recorded


class StatusEventIn(msgspec.Struct, forbid_unknown_fields=True):
    waybill: Waybill
    status: Word  # the courier's own word
    at: datetime  # when it happened (with its zone)
    reason: Annotated[str, msgspec.Meta(max_length=255)] = ""


class WebhookIn(msgspec.Struct, forbid_unknown_fields=True):
    events: Annotated[list[StatusEventIn], msgspec.Meta(min_length=1, max_length=1000)]


class StatusResultOut(msgspec.Struct):
    received: int
    duplicates: int
    applied: int
    queued: int  # waiting for a person to say what the status means
    unknown_waybills: int
    rejected: int


class MapStatusIn(msgspec.Struct, forbid_unknown_fields=True):
    status: Word
    event: Event


class MapStatusOut(msgspec.Struct):
    status: str
    event: str
    applied: int  # waiting events now applied


class WaitingStatusOut(msgspec.Struct):
    status: str
    events: int
    first_seen: datetime
    last_seen: datetime
    example_waybill: str


class BatchOut(msgspec.Struct):
    id: uuid.UUID
    courier: str
    filename: str
    status: str  # importing | done | failed
    rows_total: int
    rows_done: int
    progress: float  # 0..1
    rows_new: int
    rows_rejected: int
    findings: int
    findings_by_kind: dict[str, int]
    expected_total: int
    collected_total: int
    fee_total: int
    allowed_fee_total: int
    remitted_total: int
    created_at: datetime
    finished_at: datetime | None
    error: str = ""


class FindingOut(msgspec.Struct):
    waybill: str
    kind: str
    amount: int
    message: str
    order: uuid.UUID | None
    exception: uuid.UUID | None


class RejectOut(msgspec.Struct):
    row: int
    reason: str
    cells: dict[str, object]


class OverdueOut(msgspec.Struct):
    raised: int
