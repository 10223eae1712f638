"""API clients per platform (request signing, token refresh, pagination, back-off on rate limits).

`client_for(platform, http)` gives the client; each implements `fetch_order(shop, order_id)`
(the `OrderSource` protocol webhook processing calls), `list_orders(shop, since, until)` by update
time, and `update_stock(shop, pushes)` with absolute quantities, plus `batches(pushes)` that cuts a
push into the platform's per-call limits.
"""

from __future__ import annotations

from typing import Any

import httpx

from server.channels.clients.base import OrderSource, PlatformClient, PlatformError, ShopApi, StockPush
from server.channels.clients.lazada import LazadaClient
from server.channels.clients.shopee import ShopeeClient
from server.channels.clients.shopify import ShopifyClient
from server.channels.clients.tiktok import TikTokClient
from server.channels.clients.woocommerce import WooCommerceClient

CLIENTS: dict[str, type[PlatformClient]] = {
    "lazada": LazadaClient,
    "shopee": ShopeeClient,
    "tiktok": TikTokClient,
    "shopify": ShopifyClient,
    "woocommerce": WooCommerceClient,
}


def client_for(platform: str, http: httpx.AsyncClient | None = None, **kw: Any) -> PlatformClient:
    return CLIENTS[platform](http, **kw)


def batches(platform: str, pushes: list[StockPush]) -> list[list[StockPush]]:
    """Cut pushes into calls within the platform's limits: Lazada ≤ 50 SKUs a call; Shopee and
    TikTok one item/product a call (its models/SKUs together, TikTok's with all its warehouses),
    WooCommerce one product's variations a batch (≤ 100);
    Shopify one a call."""
    limit = CLIENTS[platform].max_push_batch
    if platform in ("shopee", "tiktok", "woocommerce"):
        grouped: dict[str, list[StockPush]] = {}
        for push in pushes:
            grouped.setdefault(push.item_id, []).append(push)
        return [group[i : i + limit] for group in grouped.values() for i in range(0, len(group), limit)]
    return [pushes[i : i + limit] for i in range(0, len(pushes), limit)]


__all__ = [
    "CLIENTS",
    "OrderSource",
    "PlatformClient",
    "PlatformError",
    "ShopApi",
    "StockPush",
    "batches",
    "client_for",
]
