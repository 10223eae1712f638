"""WooCommerce REST v3 order (also the body of the order.* webhooks).

`payment_method` "cod" is Cash on Delivery. Times: the *_gmt fields are UTC without an offset.
A line's `price` is a float that may be rounded (8.333...), so the unit price is its exact
`subtotal` / quantity when that divides to whole centavos. PH `state` is WooCommerce's province
code ("00" is Metro Manila).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from server.channels.adapters.base import ChannelLine, ChannelOrder, RawAddress, ShopSettings, join, text
from server.channels.values import centavos, ident, qty, utc_time

STATES = {"00": "Metro Manila", "MM": "Metro Manila", "NCR": "Metro Manila"}


def _unit(item: dict[str, Any]) -> int:
    n = qty(item.get("quantity", 1))
    if item.get("subtotal") not in (None, "") and n:
        whole = centavos(item["subtotal"])
        if whole % n == 0:
            return whole // n
    return centavos(item.get("price") or 0)


def _time(order: dict[str, Any], name: str) -> Any:
    gmt = order.get(f"{name}_gmt")
    return utc_time(gmt, naive_tz=UTC) if gmt else utc_time(order[name])


def adapt(payload: dict[str, Any], settings: ShopSettings) -> ChannelOrder:
    order = payload
    lines = [
        ChannelLine(
            item_id=ident(i["product_id"]),
            model_id=ident(i["variation_id"]) if i.get("variation_id") not in (None, 0, "0") else "",
            channel_sku=text(i.get("sku")),
            qty=qty(i.get("quantity", 1)),
            unit_price=_unit(i),
            external_line_id=ident(i["id"]),
        )
        for i in order.get("line_items") or []
    ]
    ship = order.get("shipping") or {}
    bill = order.get("billing") or {}
    state = text(ship.get("state"))
    cod = text(order.get("payment_method")) == "cod"
    total = centavos(order["total"]) if order.get("total") not in (None, "") else None
    return ChannelOrder(
        external_id=ident(order["id"]),
        raw_status=text(order.get("status")),
        cod=cod,
        placed_at=_time(order, "date_created"),
        updated_at=_time(order, "date_modified")
        if order.get("date_modified")
        else _time(order, "date_created"),
        lines=lines,
        address=RawAddress(
            name=join(ship.get("first_name"), ship.get("last_name")).replace(", ", " "),
            phone=text(ship.get("phone")) or text(bill.get("phone")),
            street=text(ship.get("address_1")),
            barangay=text(ship.get("address_2")),
            city=text(ship.get("city")),
            province=STATES.get(state, state),
            region=STATES.get(state, state),
            zip_code=text(ship.get("postcode")),
        ),
        shipping_fee=centavos(order.get("shipping_total") or "0"),
        cod_amount=total if cod else None,
        payload=payload,
    )
