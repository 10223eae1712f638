"""Wire shapes for the catalog: SKUs, their barcodes, and bundles of component SKUs."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

# Codes travel in URLs (/skus/{code}, /warehouses/{code}/bins/{bin}), so they may not hold "/",
# control characters, or spaces at either end. Other domains reuse these patterns.
CODE_PATTERN = r"^(?!\s)[^/\x00-\x1f\x7f]*(?<!\s)$"
# Single-line text that PostgreSQL will store (it refuses NUL).
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"

SkuCode = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        pattern=CODE_PATTERN,
        description="The seller's own SKU code, e.g. TSHIRT-RED-M",
    ),
]
SkuName = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=TEXT_PATTERN)]
Grams = Annotated[int, msgspec.Meta(ge=0, le=1_000_000, description="Shipping weight in grams")]
ComponentQty = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
# Must match server.catalog.models.BARCODE_KINDS (a test checks).
BarcodeKind = Literal["ean13", "upc", "code128", "internal"]
# The shape of each kind (digits, check digit) is checked in services, with a clearer message.
BarcodeCode = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class BarcodeIn(msgspec.Struct, forbid_unknown_fields=True):
    code: BarcodeCode
    kind: BarcodeKind


class ComponentIn(msgspec.Struct, forbid_unknown_fields=True):
    sku: SkuCode  # the component's SKU code
    qty: ComponentQty  # units of the component in one bundle


class SkuIn(msgspec.Struct, forbid_unknown_fields=True):
    code: SkuCode
    name: SkuName
    weight_grams: Grams = 0
    active: bool = True
    barcodes: Annotated[list[BarcodeIn], msgspec.Meta(max_length=50)] = []
    # Any components make the SKU a bundle: selling one takes these from stock instead.
    components: Annotated[list[ComponentIn], msgspec.Meta(max_length=100)] = []


class SkuPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent are changed. Barcodes and components have their own endpoints."""

    name: SkuName | UnsetType = UNSET
    weight_grams: Grams | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class ComponentsIn(msgspec.Struct, forbid_unknown_fields=True):
    """The complete new list of components; an empty list makes the bundle a plain SKU again."""

    components: Annotated[list[ComponentIn], msgspec.Meta(max_length=100)]


class BarcodeOut(msgspec.Struct):
    code: str
    kind: str
    created_at: datetime


class ComponentOut(msgspec.Struct):
    sku: str
    name: str
    qty: int


class SkuOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    name: str
    weight_grams: int
    active: bool
    is_bundle: bool
    barcodes: list[BarcodeOut]
    components: list[ComponentOut]
    created_at: datetime
    updated_at: datetime


class BarcodeLookup(msgspec.Struct):
    """What a scanned code is: the barcode as stored (which may differ, see UPC-A) and its SKU."""

    code: str
    kind: str
    sku: SkuOut
