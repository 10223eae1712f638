"""A pulled platform order -> what the intake records: the platform's adapter, then the shared mapping.

Polling, Shopee's lost-push recovery (server/channel_orders/pull.py) and webhook processing all go
the same way: the platform's adapter (server/channels/adapters/, one per platform) reads the raw
order into a ChannelOrder; server/intake/mapping.py maps it onto the canonical OrderIn (listing map,
status mapping, PSGC address) or says why it is held; server/intake/inbox.py `record_orders` ingests
it and records what the channel said. One path, so a pulled order and a webhook's are the same fact.
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.engine import Connection

from server.channels.adapters import ADAPTERS
from server.channels.fetch import adapter_payload
from server.channels.values import BadValue
from server.intake.inbox import record_orders
from server.intake.mapping import Mapped, ShopContext, load_context, to_order

log = structlog.get_logger("bodega.channel_orders")


def external_id(platform: str, raw: dict[str, Any]) -> str:
    """The platform's order number in a raw order, as a string (TikTok ids exceed 2^53)."""
    keys = {
        "lazada": ("order_id", "order_number"),
        "shopee": ("order_sn", "ordersn"),
        "tiktok": ("id", "order_id"),
        "shopify": ("id",),
        "woocommerce": ("id",),
    }[platform]
    if platform == "lazada" and isinstance(raw.get("order"), dict):
        raw = raw["order"]
    for key in keys:
        if raw.get(key) not in (None, ""):
            return str(raw[key])
    raise KeyError(f"{platform} order without {keys[0]}")


def record_pulled(
    conn: Connection, shop_code: str, raws: list[dict[str, Any]], actor: str
) -> tuple[int, int]:
    """Adapt, map and record the shop's pulled orders in one transaction: (recorded, unreadable).

    An order the adapter cannot read is logged and skipped (the next pull tries it again); held
    orders (an unmapped listing, an unknown status) are recorded as held, like a webhook's."""
    ctx: ShopContext | None = load_context(conn, shop_code)
    if ctx is None:
        return 0, len(raws)
    batch: list[tuple[Mapped, ShopContext]] = []
    unreadable = 0
    for raw in raws:
        try:
            channel_order = ADAPTERS[ctx.platform](adapter_payload(ctx.platform, raw), ctx.settings)
        except (ValueError, KeyError, TypeError, BadValue) as exc:
            unreadable += 1
            log.warning("pulled_order_unreadable", shop=shop_code, error=repr(exc)[:300])
            continue
        batch.append((to_order(channel_order, ctx), ctx))
    record_orders(conn, batch, actor=actor)
    return len(batch), unreadable
