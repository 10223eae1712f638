"""Wire shapes for stock: receipts, adjustments, balances and the movement ledger."""

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class StockLineIn(msgspec.Struct):
    sku: Code
    qty: int
    bin: str | None = None


class ReceiptIn(msgspec.Struct):
    warehouse: Code
    lines: list[StockLineIn]
    reference: str = ""  # supplier delivery / inbound shipment reference


class AdjustmentIn(msgspec.Struct):
    warehouse: Code
    lines: list[StockLineIn]  # qty is the signed change
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=255)]


class TransferIn(msgspec.Struct):
    from_warehouse: Code
    to_warehouse: Code
    lines: list[StockLineIn]  # bin, if given, is the destination bin
    reference: str = ""


# The most units one line may move (server/inventory/stock.py MAX_QTY); a buffer is no larger.
MAX_UNITS = 10_000_000


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
    available: int


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
