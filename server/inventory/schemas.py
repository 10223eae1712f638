"""Wire shapes for stock: receipts, adjustments, balances and the movement ledger."""

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
# The most units one line may move (server/inventory/stock.py MAX_QTY); a buffer is no larger.
MAX_UNITS = 10_000_000
MAX_LINES = 1000  # lines per receipt, adjustment or transfer
Reference = Annotated[str, msgspec.Meta(max_length=64, description="Delivery receipt, PO or shipment")]


class StockLineIn(msgspec.Struct):
    sku: Code
    qty: Annotated[int, msgspec.Meta(ge=1, le=MAX_UNITS)]
    bin: Code | None = None


class AdjustmentLineIn(StockLineIn):
    # The signed change (not 0: server/openapi.py documents that); the schemas say so per purpose.
    qty: Annotated[int, msgspec.Meta(ge=-MAX_UNITS, le=MAX_UNITS)]  # pyright: ignore[reportIncompatibleVariableOverride]


Lines = Annotated[list[StockLineIn], msgspec.Meta(min_length=1, max_length=MAX_LINES)]


class ReceiptIn(msgspec.Struct):
    warehouse: Code
    lines: Lines
    reference: Reference = ""  # supplier delivery / inbound shipment reference


class AdjustmentIn(msgspec.Struct):
    warehouse: Code
    lines: Annotated[list[AdjustmentLineIn], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=255)]


class TransferIn(msgspec.Struct):
    from_warehouse: Code
    to_warehouse: Code
    lines: Lines  # bin, if given, is the destination bin
    reference: Reference = ""


class BufferIn(msgspec.Struct):
    safety_buffer: Annotated[
        int, msgspec.Meta(ge=0, le=MAX_UNITS, description="Units held back from sale, 0 to 10,000,000")
    ]


class BalanceOut(msgspec.Struct):
    sku: str
    name: str
    warehouse: str
    on_hand: int
    reserved: int
    safety_buffer: int
    available: int  # on hand less quarantined, reserved and the buffer: what may be sold
    quarantined: int = 0  # damaged units in the quarantine bin: on hand, not sellable


class PostedOut(msgspec.Struct):
    movements: int
    balances: list[BalanceOut]
    allocated_orders: list[uuid.UUID] = []  # held orders this stock let through


class MovementOut(msgspec.Struct):
    id: int
    sku: str
    warehouse: str
    bin: str | None
    kind: str
    qty: int
    reason: str
    ref_type: str
    ref_id: str
    actor: str
    created_at: datetime
