"""TikTok Shop API 202309+: GET /order/202309/orders (data.orders[i]).

One line_item per UNIT (grouped per SKU later), money as strings, times epoch seconds, ids as
strings beyond 2^53. PH district_info levels: L1 region, L2 province, L3 city/municipality,
L4 barangay.
"""

from __future__ import annotations

from typing import Any

from server.channels.adapters.base import ChannelLine, ChannelOrder, RawAddress, ShopSettings, join, text
from server.channels.values import centavos, ident, truthy, utc_time


def unwrap(payload: dict[str, Any]) -> dict[str, Any]:
    data = payload.get("data")
    if isinstance(data, dict):
        if "orders" in data:
            return data["orders"][0]
        if "order_list" in data:
            return legacy(data["order_list"][0])
    if "order_line_list" in payload:
        return legacy(payload)
    return payload


def legacy(order: dict[str, Any]) -> dict[str, Any]:
    """The pre-202309 API's order (numeric statuses, numeric money, create_time in milliseconds,
    order_line_list, payment_info, district_info_list without levels) in the 202309 names."""
    addr = dict(order.get("recipient_address") or {})
    levels = [d for d in order.get("district_info_list") or [] if d.get("address_level_name") != "Country"]
    addr["district_info"] = [
        {"address_level": f"L{i}", "address_name": d.get("address_name")}
        for i, d in enumerate(levels, start=1)
    ]
    addr.setdefault("phone_number", addr.get("phone"))
    addr.setdefault("postal_code", addr.get("zipcode"))
    addr.setdefault("address_line1", addr.get("addressline1"))
    addr.setdefault("address_line2", addr.get("addressline2"))
    return {
        **order,
        "id": order["order_id"],
        "status": str(order.get("order_status", "")),
        "line_items": [
            {
                **line,
                "id": line.get("order_line_id"),
                "display_status": "CANCELLED" if line.get("display_status") == 140 else "",
            }
            for line in order.get("order_line_list") or []
        ],
        "payment": order.get("payment_info") or {},
        "recipient_address": addr,
        "update_time": order.get("update_time") or order.get("create_time"),
        "rts_sla_time": order.get("rts_sla") or order.get("rts_sla_time"),
    }


def adapt(payload: dict[str, Any], settings: ShopSettings) -> ChannelOrder:
    order = unwrap(payload)
    items = order.get("line_items") or []
    live = [i for i in items if text(i.get("display_status")) != "CANCELLED"] or items
    lines = [
        ChannelLine(
            item_id=ident(i["product_id"]),
            model_id=ident(i["sku_id"]) if i.get("sku_id") else "",
            channel_sku=text(i.get("seller_sku")),
            qty=1,
            unit_price=centavos(i.get("sale_price") or "0"),
            external_line_id=ident(i["id"]),
        )
        for i in live
    ]
    pay = order.get("payment") or {}
    addr = order.get("recipient_address") or {}
    levels = {
        text(d.get("address_level")): text(d.get("address_name")) for d in addr.get("district_info") or []
    }
    cod = truthy(order.get("is_cod"))
    flags = ["cancel_requested"] if truthy(order.get("is_buyer_request_cancel")) else []
    if truthy(order.get("is_on_hold_order")):
        flags.append("platform_on_hold")
    shipping = centavos(pay.get("shipping_fee") or "0")
    total = centavos(pay["total_amount"]) if pay.get("total_amount") else None
    return ChannelOrder(
        external_id=ident(order["id"]),
        raw_status=text(order.get("status")),
        cod=cod,
        placed_at=utc_time(order["create_time"]),
        updated_at=utc_time(order.get("update_time") or order["create_time"]),
        lines=lines,
        address=RawAddress(
            name=text(addr.get("name")) or join(addr.get("first_name"), addr.get("last_name")),
            phone=text(addr.get("phone_number")),
            street=join(addr.get("address_detail"), addr.get("address_line1"), addr.get("address_line2")),
            barangay=levels.get("L4", ""),
            city=levels.get("L3", ""),
            province=levels.get("L2", ""),
            region=levels.get("L1", ""),
            zip_code=text(addr.get("postal_code")),
        ),
        shipping_fee=shipping,
        cod_amount=total if cod else None,
        ship_by=utc_time(order["rts_sla_time"]) if order.get("rts_sla_time") else None,
        flags=flags,
        payload=payload,
    )
