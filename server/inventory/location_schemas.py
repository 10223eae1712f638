"""Wire shapes for warehouses and the bins (shelf locations) inside them."""

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from server.catalog.schemas import CODE_PATTERN, TEXT_PATTERN

# A PSGC region code ("VII") or a name people write ("Central Visayas", "Region 7"); stored as
# the code, because allocation compares an order's region with serves_regions as plain strings.
RegionName = Annotated[
    str, msgspec.Meta(max_length=64, pattern=TEXT_PATTERN, description="PSGC region code or name, e.g. VII")
]

WarehouseCode = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=32, pattern=CODE_PATTERN, description="Short code, e.g. MNL-1 or CEB"
    ),
]
BinCode = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=32, pattern=CODE_PATTERN, description="Shelf label, e.g. A-01-03"),
]
Zone = Annotated[
    str, msgspec.Meta(max_length=32, pattern=TEXT_PATTERN, description="Area of the warehouse, e.g. A")
]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=TEXT_PATTERN)]
Place = Annotated[str, msgspec.Meta(max_length=128, pattern=TEXT_PATTERN)]
Priority = Annotated[
    int, msgspec.Meta(ge=0, le=1_000_000, description="Lower is tried first when allocating")
]
ServesRegions = Annotated[
    list[RegionName], msgspec.Meta(max_length=20, description="Regions this warehouse is preferred for")
]
MAX_BINS_PER_REQUEST = 1000


class WarehouseIn(msgspec.Struct, forbid_unknown_fields=True):
    code: WarehouseCode
    name: Name
    city: Place = ""
    province: Place = ""
    region: RegionName = ""
    priority: Priority = 100
    serves_regions: ServesRegions = []
    active: bool = True


class WarehousePatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent are changed. The code is fixed: stock and bins are filed under it."""

    name: Name | UnsetType = UNSET
    city: Place | UnsetType = UNSET
    province: Place | UnsetType = UNSET
    region: RegionName | UnsetType = UNSET
    priority: Priority | UnsetType = UNSET
    serves_regions: ServesRegions | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class WarehouseOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    name: str
    city: str
    province: str
    region: str  # PSGC code, or "" when not set
    priority: int
    serves_regions: list[str]
    active: bool
    created_at: datetime


class BinIn(msgspec.Struct, forbid_unknown_fields=True):
    code: BinCode
    zone: Zone = ""
    active: bool = True


class NewBins(msgspec.Struct, forbid_unknown_fields=True):
    """One bin ({"code": "A-01-01", "zone": "A"}) or many at once ({"bins": [...]}), all or none."""

    code: BinCode | UnsetType = UNSET
    zone: Zone = ""
    active: bool = True
    bins: Annotated[list[BinIn], msgspec.Meta(max_length=MAX_BINS_PER_REQUEST)] | UnsetType = UNSET


class BinPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent are changed. The code is the printed shelf label and is fixed."""

    zone: Zone | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class BinOut(msgspec.Struct):
    id: uuid.UUID
    warehouse: str
    code: str
    zone: str
    active: bool
    created_at: datetime


class BinsOut(msgspec.Struct):
    bins: list[BinOut]
