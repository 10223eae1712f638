"""Shopify: the REST order (also the body of the orders/* webhooks).

COD is not a field: it is the payment gateway's name ("Cash on Delivery (COD)" by default), which
each shop may configure (ShopSettings.cod_gateways). PH addresses: address2 is usually the
barangay, province the province or "Metro Manila".
"""

from __future__ import annotations

from typing import Any

from server.channels.adapters.base import ChannelLine, ChannelOrder, RawAddress, ShopSettings, join, text
from server.channels.values import centavos, ident, qty, utc_time


def raw_status(order: dict[str, Any]) -> str:
    if order.get("cancelled_at"):
        return "cancelled"
    return text(order.get("fulfillment_status")) or "unfulfilled"


def adapt(payload: dict[str, Any], settings: ShopSettings) -> ChannelOrder:
    order = payload.get("order", payload)
    lines = [
        ChannelLine(
            item_id=ident(i.get("product_id") or i["id"]),
            model_id=ident(i["variant_id"]) if i.get("variant_id") else "",
            channel_sku=text(i.get("sku")),
            qty=qty(i.get("quantity", 1)),
            unit_price=centavos(i.get("price") or "0"),
            external_line_id=ident(i["id"]),
        )
        for i in order.get("line_items") or []
    ]
    gateways = [text(g).lower() for g in order.get("payment_gateway_names") or []] + [
        text(order.get("gateway")).lower()
    ]
    cod = any(g in settings.cod_gateways for g in gateways if g)
    shipping = sum(centavos(s.get("price") or "0") for s in order.get("shipping_lines") or [])
    addr = order.get("shipping_address") or order.get("billing_address") or {}
    total = centavos(order["total_price"]) if order.get("total_price") else None
    return ChannelOrder(
        external_id=ident(order["id"]),
        raw_status=raw_status(order),
        cod=cod,
        placed_at=utc_time(order["created_at"]),
        updated_at=utc_time(order.get("updated_at") or order["created_at"]),
        lines=lines,
        address=RawAddress(
            name=text(addr.get("name")) or join(addr.get("first_name"), addr.get("last_name")),
            phone=text(addr.get("phone")) or text(order.get("phone")),
            street=text(addr.get("address1")),
            barangay=text(addr.get("address2")),
            city=text(addr.get("city")),
            province=text(addr.get("province")),
            region=text(addr.get("province")),
            zip_code=text(addr.get("zip")),
        ),
        shipping_fee=shipping,
        cod_amount=total if cod else None,
        payload=payload,
    )
