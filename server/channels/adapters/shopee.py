"""Shopee Open Platform v2: GET /api/v2/order/get_order_detail (response.order_list[i]).

Money is a JSON number (32119, 48000.5: read exactly), times epoch seconds, ids numbers. PH
recipient_address: state = province (or Metro Manila), city, district/town = barangay. COD is
the `cod` boolean. Shipping paid by the buyer is not in the detail: total_amount minus the items
is taken as the shipping fee, so the order total is what Shopee says the buyer pays.
"""

from __future__ import annotations

from typing import Any

from server.channels.adapters.base import ChannelLine, ChannelOrder, RawAddress, ShopSettings, text
from server.channels.values import centavos, ident, qty, truthy, utc_time


def unwrap(payload: dict[str, Any]) -> dict[str, Any]:
    """The order from a whole get_order_detail answer, or the order itself."""
    if "response" in payload:
        return payload["response"]["order_list"][0]
    return payload


def _v1_items(order: dict[str, Any]) -> list[dict[str, Any]]:
    """Shopee's v1 order (`ordersn`, `items` with variation_* fields, amounts as strings)."""
    return [
        {
            "item_id": i["item_id"],
            "model_id": i.get("variation_id"),
            "item_sku": i.get("item_sku"),
            "model_sku": i.get("variation_sku"),
            "model_quantity_purchased": i.get("variation_quantity_purchased", 1),
            "model_discounted_price": i.get(
                "variation_discounted_price", i.get("variation_original_price", 0)
            ),
            "order_item_id": i["item_id"],
        }
        for i in order.get("items") or []
    ]


def adapt(payload: dict[str, Any], settings: ShopSettings) -> ChannelOrder:
    order: dict[str, Any] = unwrap(payload)
    if "ordersn" in order and "order_sn" not in order:
        order = {**order, "order_sn": order["ordersn"], "item_list": _v1_items(order)}
    lines: list[ChannelLine] = []
    for item in order.get("item_list") or []:
        model = item.get("model_id")
        lines.append(
            ChannelLine(
                item_id=ident(item["item_id"]),
                model_id=ident(model) if model not in (None, 0, "0", "") else "",
                channel_sku=text(item.get("model_sku")) or text(item.get("item_sku")),
                qty=qty(item.get("model_quantity_purchased", 1)),
                unit_price=centavos(item.get("model_discounted_price", item.get("model_original_price", 0))),
                external_line_id=ident(item.get("order_item_id") or item["item_id"]),
            )
        )
    subtotal = sum(line.unit_price * line.qty for line in lines)
    total = centavos(order["total_amount"]) if order.get("total_amount") is not None else subtotal
    addr = order.get("recipient_address") or {}
    packages = order.get("package_list") or []
    raw = text(order.get("order_status"))
    flags = ["cancel_requested"] if raw == "IN_CANCEL" else []
    cod = truthy(order.get("cod"))
    return ChannelOrder(
        external_id=ident(order["order_sn"]),
        raw_status=raw,
        cod=cod,
        placed_at=utc_time(order["create_time"]),
        updated_at=utc_time(order.get("update_time") or order["create_time"]),
        lines=lines,
        address=RawAddress(
            name=text(addr.get("name")),
            phone=text(addr.get("phone")),
            street=text(addr.get("full_address")),
            barangay=text(addr.get("town")) or text(addr.get("district")),
            city=text(addr.get("city")),
            province=text(addr.get("state")),
            region=text(addr.get("state")),
            zip_code=text(addr.get("zipcode")),
        ),
        shipping_fee=max(total - subtotal, 0),
        cod_amount=total if cod else None,
        ship_by=utc_time(order["ship_by_date"]) if order.get("ship_by_date") else None,
        logistics_status=text(packages[0].get("logistics_status")) if packages else "",
        flags=flags,
        payload=payload,
    )
