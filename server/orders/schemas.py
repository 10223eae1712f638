"""Wire shapes for orders: what an integration posts and what Bodega answers.

Money arrives as a peso amount in a string ("1299.50") and is turned into integer centavos
exactly once, here at the edge. Times are ISO 8601 with an offset; stored in UTC.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

PaymentMethod = Literal["cod", "prepaid"]
# Every order status (server/orders/lifecycle.py STATUSES, in its order; a test keeps them equal):
# the request schemas name them, so a status that does not exist is a 422, and 409 is left for a
# change the order's current status does not allow.
OrderStatus = Literal[
    "pending",
    "on_hold",
    "allocated",
    "picking",
    "packed",
    "shipped",
    "delivered",
    "failed_delivery",
    "return_to_sender",
    "returned",
    "cancelled",
]
# What the channel says happened to the order, in Bodega's words. Adapters map the channel's
# raw status onto one of these and pass the raw one along as channel_status.
IngestStatus = Literal["pending", "cancelled"]

NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
# Times must carry their offset: a naive "2026-11-11 00:05" could be Manila or UTC.
AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]


class AddressIn(msgspec.Struct, forbid_unknown_fields=False):
    name: NonEmpty
    phone: NonEmpty
    street: NonEmpty
    barangay: NonEmpty
    city: NonEmpty  # city or municipality
    province: NonEmpty
    region: NonEmpty  # PSGC region code or name: "NCR", "VII", "Central Visayas", ...
    zip_code: str


class OrderLineIn(msgspec.Struct):
    qty: int
    unit_price: str  # pesos, e.g. "349.00"
    # Either Bodega's SKU code, or the channel listing (item_id + model_id) mapped to a SKU.
    sku: str | None = None
    item_id: str | None = None
    model_id: str = ""
    external_line_id: str = ""


class OrderIn(msgspec.Struct):
    shop: str  # shop code, e.g. "shopee-main"
    external_id: str  # the channel's order number
    payment_method: PaymentMethod
    address: AddressIn
    lines: list[OrderLineIn]
    placed_at: AwareTime
    status: IngestStatus = "pending"
    channel_status: str = ""
    cod_amount: str | None = None  # defaults to the order total for COD orders
    shipping_fee: str = "0"
    ship_by: AwareTime | None = None
    # The channel's last-modified time; defaults to placed_at. Older versions are ignored.
    updated_at: AwareTime | None = None
    # Set by a channel adapter when the address could not be matched to the PSGC: the address is
    # then kept as written (region, ZIP and phone are not refused) and the order is flagged for
    # the courier with this reason. Left out by integrations posting Bodega's own JSON.
    address_flag: str = ""


MAX_BATCH = 5000


class OrderBatchIn(msgspec.Struct):
    orders: Annotated[list[OrderIn], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]


class OrderLineOut(msgspec.Struct):
    line_no: int
    sku: str
    qty: int
    unit_price: int  # centavos


class OrderOut(msgspec.Struct):
    id: uuid.UUID
    shop: str
    channel: str
    external_id: str
    status: str
    channel_status: str
    payment_method: str
    cod_amount: int  # centavos
    total_amount: int  # centavos
    warehouse: str | None
    hold_reason: str | None
    placed_at: datetime
    ship_by: datetime | None
    customer_name: str
    phone: str
    street: str
    barangay: str
    city: str
    province: str
    region: str
    zip_code: str
    lines: list[OrderLineOut] = []
    address_flag: str | None = None
    # Held and waiting for a restock on a supervisor's decision (retried first when stock arrives).
    backordered: bool = False


IngestOutcome = Literal["created", "updated", "unchanged", "stale"]


class IngestResult(msgspec.Struct):
    id: uuid.UUID
    external_id: str
    outcome: IngestOutcome
    status: str
    warehouse: str | None = None
    hold_reason: str | None = None


class BatchResult(msgspec.Struct):
    results: list[IngestResult]


class StatusChangeIn(msgspec.Struct):
    status: OrderStatus
    reason: Annotated[str, msgspec.Meta(max_length=255)] = ""


class HistoryEntryOut(msgspec.Struct):
    from_status: str | None
    to_status: str
    actor: str
    reason: str
    at: datetime
