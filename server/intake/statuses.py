"""Each platform's order statuses onto the canonical channel statuses.

The raw status is always kept (orders.channel_status, channel_orders.raw_status). A status no
table below knows is NOT guessed: the order waits in the review queue (channel_status_map rows
with no canonical status) until someone maps it (server/channels/review.py).

Cancellation REQUESTS are flags, not states: the order is still to be shipped until the platform
says it is cancelled. A Shopee order CANCELLED because the buyer refused the COD parcel
(logistics LOGISTICS_COD_REJECTED) is a failed delivery, not a buyer cancel: the parcel is on its
way back and the money was never collected.
"""

from __future__ import annotations

from typing import Literal

from server.orders.schemas import IngestStatus

Canonical = Literal["unpaid", "to_ship", "shipped", "delivered", "cancelled", "failed_delivery", "returned"]
CANONICAL: tuple[Canonical, ...] = (
    "unpaid",
    "to_ship",
    "shipped",
    "delivered",
    "cancelled",
    "failed_delivery",
    "returned",
)

PLATFORMS = ("lazada", "shopee", "tiktok", "shopify", "woocommerce")

BUILTIN: dict[str, dict[str, Canonical]] = {
    "shopee": {
        "UNPAID": "unpaid",
        "READY_TO_SHIP": "to_ship",
        "PROCESSED": "to_ship",
        "RETRY_SHIP": "to_ship",
        "IN_CANCEL": "to_ship",  # a cancellation request: flagged, still to ship
        "SHIPPED": "shipped",
        "TO_CONFIRM_RECEIVE": "delivered",
        "COMPLETED": "delivered",
        "TO_RETURN": "returned",
        "CANCELLED": "cancelled",
        "INVOICE_PENDING": "to_ship",
        # Shopee v1 / Seller Center export wording
        "PAY_COD": "to_ship",
        "To ship": "to_ship",
        "Unpaid": "unpaid",
        "Shipping": "shipped",
        "Completed": "delivered",
        "Cancelled": "cancelled",
        "Return/Refund": "returned",
    },
    "lazada": {
        "unpaid": "unpaid",
        "pending": "to_ship",
        "topack": "to_ship",
        "packed": "to_ship",
        "repacked": "to_ship",
        "toship": "to_ship",
        "ready_to_ship": "to_ship",
        "ready_to_ship_pending": "to_ship",
        "confirmed": "to_ship",
        "shipped": "shipped",
        "delivered": "delivered",
        "failed": "failed_delivery",
        "failed_delivery": "failed_delivery",
        "lost_by_3pl": "failed_delivery",
        "damaged_by_3pl": "failed_delivery",
        "canceled": "cancelled",
        "cancelled": "cancelled",
        "returned": "returned",
        "shipped_back": "returned",
        "shipped_back_success": "returned",
    },
    "tiktok": {
        "UNPAID": "unpaid",
        "ON_HOLD": "to_ship",
        "AWAITING_SHIPMENT": "to_ship",
        "PARTIALLY_SHIPPING": "to_ship",
        "AWAITING_COLLECTION": "to_ship",
        "IN_TRANSIT": "shipped",
        "DELIVERED": "delivered",
        "COMPLETED": "delivered",
        "CANCELLED": "cancelled",
        # pre-202309 API: numeric codes
        "100": "unpaid",
        "105": "to_ship",
        "111": "to_ship",
        "112": "to_ship",
        "114": "to_ship",
        "121": "shipped",
        "122": "delivered",
        "130": "delivered",
        "140": "cancelled",
    },
    "shopify": {
        "unfulfilled": "to_ship",
        "partial": "to_ship",
        "fulfilled": "shipped",
        "restocked": "returned",
        "cancelled": "cancelled",
    },
    "woocommerce": {
        "pending": "unpaid",
        "on-hold": "unpaid",
        "checkout-draft": "unpaid",
        "processing": "to_ship",
        "completed": "shipped",
        "cancelled": "cancelled",
        "refunded": "returned",
        "failed": "cancelled",  # the payment failed: the order will never ship
    },
}

# Statuses that, alone, mean a cancellation was requested (not done).
CANCEL_REQUESTS = {("shopee", "IN_CANCEL")}


def canonical(
    platform: str, raw: str, learned: dict[tuple[str, str], str] | None = None, *, logistics: str = ""
) -> Canonical | None:
    """The canonical status, or None when nobody has said what `raw` means yet."""
    if platform == "shopee" and raw == "CANCELLED" and logistics == "LOGISTICS_COD_REJECTED":
        return "failed_delivery"
    found = BUILTIN.get(platform, {}).get(raw)
    if found is not None:
        return found
    mapped = (learned or {}).get((platform, raw))
    return mapped if mapped in CANONICAL else None  # type: ignore[return-value]


def ingest_status(status: Canonical) -> IngestStatus:
    """What ingestion is told: only a real cancel cancels. A failed delivery or a return keeps the
    order (its stock comes back through the returns flow, the COD through reconciliation)."""
    return "cancelled" if status == "cancelled" else "pending"
