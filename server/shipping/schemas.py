"""The shipping API's bodies: msgspec Structs at the edge."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
CourierCode = Annotated[str, msgspec.Meta(max_length=32, pattern=r"^([a-z0-9][a-z0-9_-]{0,31})?$")]
Units = Annotated[int, msgspec.Meta(gt=0, le=1_000_000)]


class ItemIn(msgspec.Struct):
    sku: Code
    qty: Units


class PackIn(msgspec.Struct):
    """What the packer scanned and weighed. `courier` "" means our own riders carry it; left out,
    the courier the order's wave was built for (else its shop's) takes it."""

    order: uuid.UUID
    lines: Annotated[list[ItemIn], msgspec.Meta(min_length=1, max_length=500)]
    weight_grams: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
    parcels: Annotated[int, msgspec.Meta(ge=1, le=50)] = 1
    courier: CourierCode | None = None
    waybill: Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[A-Za-z0-9-]*$")] = ""


class PackCheckIn(msgspec.Struct):
    order: uuid.UUID
    lines: Annotated[list[ItemIn], msgspec.Meta(max_length=500)] = []


class PackCheckOut(msgspec.Struct):
    order: uuid.UUID
    complete: bool
    expected: dict[str, int]
    missing: dict[str, int]
    extra: dict[str, int]


class ParcelOut(msgspec.Struct):
    order: uuid.UUID
    waybill: str
    courier: str
    warehouse: str
    weight_grams: int
    parcels: int
    lines: list[ItemIn]
    packed_by: str
    packed_at: datetime
    order_status: str
    batch: uuid.UUID | None
    handed_over_at: datetime | None


class BatchIn(msgspec.Struct):
    warehouse: Code
    kind: Literal["courier", "rider"]
    carrier: Code  # the courier's code (jnt, flash ...) or the rider's username


class ScanIn(msgspec.Struct):
    waybill: Code


class CloseIn(msgspec.Struct):
    # Close although expected parcels were not scanned: they wait for the next pickup, and an
    # exception is raised for each so someone looks for it.
    leave_missing: bool = False


class BatchOut(msgspec.Struct):
    id: uuid.UUID
    warehouse: str
    kind: str
    carrier: str
    status: str
    expected: list[str]
    scanned: list[str]
    missing: list[str]
    created_by: str
    created_at: datetime
    closed_by: str | None
    closed_at: datetime | None


class PutBackOut(msgspec.Struct):
    order: uuid.UUID
    warehouse: str
    lines: list[ItemIn]  # what the cancel left in staging
    left: list[ItemIn]  # what is still to go back (a phone puts them back one by one)
    status: str
    created_at: datetime
    bin: str | None
    done_by: str | None
    done_at: datetime | None


class PutBackDoneIn(msgspec.Struct):
    bin: Code  # where the units went back
