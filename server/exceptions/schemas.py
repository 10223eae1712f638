"""What the exceptions endpoints take and answer."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

ExceptionStatus = Literal["open", "resolved"]
SeverityName = Literal["info", "warning", "critical"]
SubjectKind = Literal["order", "sku", "bin", "rider", "device", "shop", "courier_batch", "shipment"]


class ExceptionOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    status: ExceptionStatus
    message: str
    order_id: uuid.UUID | None
    sku: str | None  # SKU code
    warehouse: str | None  # warehouse code
    details: dict[str, object]  # the evidence its raiser kept (op, device, codes, amounts)
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None
    severity: str = "warning"
    subject_kind: str | None = None
    subject_id: str | None = None
    raised_by: str = "system"
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    assigned_to: str | None = None
    escalation_level: int = 0
    last_notified_at: datetime | None = None
    action: str | None = None  # the action that resolved it
    actions: list[str] = []  # what may be done about it now (empty once resolved)


class AuditOut(msgspec.Struct):
    action: str
    actor: str
    at: datetime
    details: dict[str, Any]


class ExceptionDetailOut(msgspec.Struct):
    exception: ExceptionOut
    # The sync op that raised it, when a phone's fact did (type, device, actor, payload).
    op: dict[str, Any] | None
    history: list[AuditOut]  # what people did about it, oldest first


class ExceptionCounts(msgspec.Struct):
    total: int
    by_kind: dict[str, int]
    by_severity: dict[str, int]
    unacknowledged: int


class ResolveIn(msgspec.Struct):
    # What was done about it, for whoever looks at it next (e.g. "re-counted bin A-01-01: 18 pcs").
    resolution: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]


ActionName = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[a-z_]+$")]
Note = Annotated[str, msgspec.Meta(max_length=400)]


class ActIn(msgspec.Struct, forbid_unknown_fields=True):
    action: ActionName
    note: Note = ""
    # What the action needs beyond the exception: map_status {"status": "shipped"}; count_task
    # {"bin": "A-01", "sku": "S1", "warehouse": "MNL"} (defaults from the exception's evidence).
    params: Annotated[dict[str, str | int | bool], msgspec.Meta(max_length=10)] = {}


class ActOut(msgspec.Struct):
    outcome: Literal["done", "already_resolved"]
    exception: ExceptionOut


class AssignIn(msgspec.Struct, forbid_unknown_fields=True):
    to: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]  # a username
