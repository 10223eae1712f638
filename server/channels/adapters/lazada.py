"""Lazada Open Platform: GET /order/get (the order) + GET /order/items/get (one row per UNIT).

The adapter takes {"order": <order/get data>, "items": <order/items/get data>}, which is what the
platform client's fetch returns (two calls; Lazada keeps items apart). Amounts are strings,
times "2014-10-15 18:36:05 +0800", booleans "true"/"false" strings. PH addresses: address3 is the
region/province, address4 (or city) the city, address5 the barangay.
"""

from __future__ import annotations

from typing import Any

from server.channels.adapters.base import ChannelLine, ChannelOrder, RawAddress, ShopSettings, join, text
from server.channels.values import centavos, ident, truthy, utc_time

# Item statuses from least to most advanced: an order's status is its least advanced live item's.
_ORDER = (
    "unpaid",
    "pending",
    "topack",
    "packed",
    "repacked",
    "toship",
    "ready_to_ship",
    "shipped",
    "delivered",
)


def _status(order: dict[str, Any], items: list[dict[str, Any]]) -> str:
    statuses = [text(s) for s in order.get("statuses") or []] or [text(i.get("status")) for i in items]
    live = [s for s in statuses if s not in ("canceled", "cancelled")]
    if not live:
        return statuses[0] if statuses else ""
    known = [s for s in live if s in _ORDER]
    return min(known, key=_ORDER.index) if known else live[0]


def adapt(payload: dict[str, Any], settings: ShopSettings) -> ChannelOrder:
    order: dict[str, Any] = payload["order"]
    items: list[dict[str, Any]] = payload.get("items") or []
    live = [i for i in items if text(i.get("status")) not in ("canceled", "cancelled")] or items
    lines = [
        ChannelLine(
            item_id=ident(i.get("product_id")),
            model_id=ident(i["sku_id"]) if i.get("sku_id") else "",
            channel_sku=text(i.get("sku")),
            qty=1,  # Lazada sends one item row per unit
            unit_price=centavos(i.get("item_price") or i.get("paid_price") or "0"),
            external_line_id=ident(i.get("order_item_id")),
        )
        for i in live
    ]
    ship = order.get("address_shipping") or {}
    name = " ".join(p for p in (text(ship.get("first_name")), text(ship.get("last_name"))) if p)
    cod = text(order.get("payment_method")).upper().replace(" ", "_") in ("COD", "CASH_ON_DELIVERY")
    flags = ["cancel_requested"] if truthy(order.get("is_cancel_pending")) else []
    shipping = centavos(order.get("shipping_fee") or "0")
    paid = sum(centavos(i.get("paid_price") or i.get("item_price") or "0") for i in live)
    promised = next((i.get("promised_shipping_time") for i in live if i.get("promised_shipping_time")), None)
    promised = promised or order.get("promised_shipping_times")
    return ChannelOrder(
        external_id=ident(order.get("order_id") or order.get("order_number")),
        raw_status=_status(order, items),
        cod=cod,
        placed_at=utc_time(order["created_at"]),
        updated_at=utc_time(order.get("updated_at") or order["created_at"]),
        lines=lines,
        address=RawAddress(
            name=name or text(order.get("customer_first_name")),
            phone=text(ship.get("phone")),
            street=join(ship.get("address1"), ship.get("address2")),
            barangay=text(ship.get("address5")) or text(ship.get("addressDistrict")),
            city=text(ship.get("address4")) or text(ship.get("city")),
            province=text(ship.get("address3")),
            region=text(ship.get("address3")),
            zip_code=text(ship.get("post_code")),
        ),
        shipping_fee=shipping,
        cod_amount=paid + shipping if cod else None,
        ship_by=utc_time(promised) if promised else None,
        flags=flags,
        payload=payload,
    )
