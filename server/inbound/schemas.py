"""Wire shapes for inbound: suppliers, purchase orders, shipments, milestones, costs, receipts,
variances and dated incoming stock. Money in: integer minor units of the stated currency; money
out: integer centavos. Rates are decimal text ("8.0125": pesos per unit) so nothing is a float."""

# No `from __future__ import annotations`: Litestar resolves these types at runtime.
import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

_PLAIN = r"^[^\x00-\x1f\x7f]*$"  # PostgreSQL refuses NUL; no control characters anywhere
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
Ref = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=_PLAIN)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=_PLAIN)]
Text64 = Annotated[str, msgspec.Meta(max_length=64, pattern=_PLAIN)]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217, two-decimal")]
# Positive, below a million, at most six places: what landed.rate_micros takes, so the documented
# pattern admits nothing the server then refuses (zero, or 1-7 digit integers above the cap).
_RATE = (
    r"^([1-9][0-9]{0,5}(\.[0-9]{1,6})?"
    r"|0\.([1-9][0-9]{0,5}|0[1-9][0-9]{0,4}|00[1-9][0-9]{0,3}|000[1-9][0-9]{0,2}|0000[1-9][0-9]?|00000[1-9]))$"
)
Rate = Annotated[str, msgspec.Meta(pattern=_RATE, description="Pesos per unit of the currency, e.g. 8.0125")]
Qty = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Minor = Annotated[int, msgspec.Meta(ge=0, le=100_000_000_000)]  # minor units, up to a billion
Milestone = Literal[
    "shipped",
    "arrived_at_port",
    "customs_lodged",
    "assessed",
    "duties_paid",
    "released",
    "held",
    "delivered_to_warehouse",
]
CostKind = Literal["duties", "brokerage", "freight", "other"]
Decision = Literal["accept", "reject", "return_to_supplier"]
Mode = Literal["sea", "air", "truck"]
MAX_LINES = 500


class SupplierIn(msgspec.Struct):
    code: Code
    name: Name
    country: Annotated[str, msgspec.Meta(pattern=r"^([A-Z]{2})?$")] = ""
    currency: Currency = "PHP"


class SupplierOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    name: str
    country: str
    currency: str


class PoLineIn(msgspec.Struct):
    sku: Ref
    qty: Qty
    unit_cost: Minor  # minor units of the PO's currency


class PurchaseOrderIn(msgspec.Struct):
    number: Code
    supplier: Code
    warehouse: Ref
    lines: Annotated[list[PoLineIn], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    currency: Currency | None = None  # the supplier's when left out


class PoLineOut(msgspec.Struct):
    line_no: int
    sku: str
    qty: int
    unit_cost: int
    shipped: int  # units on shipments so far


class PurchaseOrderOut(msgspec.Struct):
    id: uuid.UUID
    number: str
    supplier: str
    warehouse: str
    currency: str
    status: str
    lines: list[PoLineOut]
    created_at: datetime


class ShipmentLineIn(msgspec.Struct):
    po: Code  # the purchase order's number
    line_no: Annotated[int, msgspec.Meta(ge=1, le=MAX_LINES)]
    qty: Qty


class ShipmentIn(msgspec.Struct):
    code: Code  # the ASN number the warehouse scans
    warehouse: Ref
    expected_on: date  # at the warehouse
    lines: Annotated[list[ShipmentLineIn], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    mode: Mode = "sea"
    container_no: Text64 = ""
    bill_of_lading: Text64 = ""
    airway_bill: Text64 = ""
    rate: Rate = "1"  # the goods' currency in pesos, as paid or as customs assessed it


class MilestoneIn(msgspec.Struct):
    milestone: Milestone
    actual_on: date | None = None  # when it happened; left out: only the expected date is planned
    expected_on: date | None = None
    note: Annotated[str, msgspec.Meta(max_length=255, pattern=_PLAIN)] = ""  # a hold's reason
    # A hold: when the goods are now expected at the warehouse (default: a week later than planned).
    new_expected_on: date | None = None


class CostIn(msgspec.Struct):
    kind: CostKind
    amount: Minor
    currency: Currency = "PHP"
    rate: Rate = "1"
    ref: Text64 = ""


class ReceiptLineIn(msgspec.Struct):
    sku: Ref
    qty: Qty


class ShipmentReceiptIn(msgspec.Struct):
    """Goods received at the console against a shipment (a phone sends stock.received ops)."""

    key: Ref  # the receipt's own id: sending it again changes nothing
    bin: Ref
    lines: Annotated[list[ReceiptLineIn], msgspec.Meta(min_length=1, max_length=MAX_LINES)]


class DecisionIn(msgspec.Struct):
    decision: Decision
    note: Annotated[str, msgspec.Meta(min_length=3, max_length=500, pattern=_PLAIN)]


class MilestoneOut(msgspec.Struct):
    milestone: str
    expected_on: date | None
    actual_on: date | None
    note: str


class CostOut(msgspec.Struct):
    kind: str
    amount: int
    currency: str
    rate: str
    centavos: int
    ref: str


class ShipmentLineOut(msgspec.Struct):
    po: str
    line_no: int
    sku: str
    expected: int
    received: int
    settled: bool
    goods_centavos: int
    added_centavos: int
    landed_centavos: int
    landed_unit_centavos: int


class VarianceOut(msgspec.Struct):
    id: uuid.UUID
    shipment: str
    sku: str
    kind: str
    qty: int
    status: str
    note: str
    exception_id: uuid.UUID | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime


class ShipmentOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    warehouse: str
    mode: str
    container_no: str
    bill_of_lading: str
    airway_bill: str
    currency: str
    rate: str
    status: str
    expected_on: date
    hold_reason: str
    lines: list[ShipmentLineOut]
    milestones: list[MilestoneOut]
    costs: list[CostOut]
    variances: list[VarianceOut]
    costs_centavos: int
    closed_at: datetime | None
    created_at: datetime


class ShipmentSummary(msgspec.Struct):
    id: uuid.UUID
    code: str
    warehouse: str
    status: str
    expected_on: date
    hold_reason: str
    expected_units: int
    received_units: int


class IncomingOut(msgspec.Struct):
    sku: str
    warehouse: str
    expected_on: date
    qty: int
    shipment: str
    status: str
