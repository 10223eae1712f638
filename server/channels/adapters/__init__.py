"""One adapter per platform: the platform's order (as its API or webhook sends it) -> ChannelOrder."""

from __future__ import annotations

from server.channels.adapters import lazada, shopee, shopify, tiktok, woocommerce
from server.channels.adapters.base import Adapter

ADAPTERS: dict[str, Adapter] = {
    "lazada": lazada.adapt,
    "shopee": shopee.adapt,
    "tiktok": tiktok.adapt,
    "shopify": shopify.adapt,
    "woocommerce": woocommerce.adapt,
}
