"""What the exceptions endpoints take and answer."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

ExceptionStatus = Literal["open", "resolved"]


class ExceptionOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    status: ExceptionStatus
    message: str
    order_id: uuid.UUID | None
    sku: str | None  # SKU code
    warehouse: str | None  # warehouse code
    details: dict[str, object]
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None


class ResolveIn(msgspec.Struct):
    # What was done about it, for whoever looks at it next (e.g. "re-counted bin A-01-01: 18 pcs").
    resolution: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]
