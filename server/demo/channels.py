"""How each sales channel numbers things: listings (item and variation ids), orders and order lines.

The shapes follow what the channels' seller APIs return, so the demo exercises the same parsing
and matching as real traffic: Lazada and TikTok give every variation its own SKU id, Shopee's
items without variations have no model id, and order numbers grow over time.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from datetime import datetime

from server.demo.records import DemoListing, DemoShop, DemoSku

# Share of the catalogue (by product) each shop lists. The outlet only carries clearance lines,
# TikTok Shop only what is worth a video; the webstore sells by Bodega's own SKU codes.
COVERAGE = {"lazada-main": 0.9, "shopee-main": 0.95, "shopee-outlet": 0.25, "tiktok-main": 0.6}

# The raw status a channel reports for an order that is waiting to ship, and for a cancelled one.
CHANNEL_STATUS = {
    "shopee": ("READY_TO_SHIP", "CANCELLED"),
    "lazada": ("pending", "canceled"),
    "tiktok": ("AWAITING_SHIPMENT", "CANCELLED"),
    "webstore": ("processing", "cancelled"),
}


class IdSeries:
    """Numeric ids that only grow, with random gaps (other sellers' items and orders in between)."""

    def __init__(self, rng: random.Random, start: int, gap: tuple[int, int]) -> None:
        self._rng = rng
        self._value = start
        self._gap = gap

    def next(self) -> str:
        self._value += self._rng.randint(*self._gap)
        return str(self._value)


class _ListingIds:
    def __init__(self, item: IdSeries, model: IdSeries, model_when_single: bool) -> None:
        self.item = item
        self.model = model
        self.model_when_single = model_when_single


def build_listings(
    shops: Sequence[DemoShop], skus: Sequence[DemoSku], rng: random.Random
) -> tuple[DemoListing, ...]:
    # Ids are per channel, not per shop: two Shopee shops never share an item id.
    ids = {
        # Lazada: 10-digit item ids, 11-digit SKU ids, one SKU id even for a single-variant item.
        "lazada": _ListingIds(
            IdSeries(rng, 3_104_000_000, (1_000, 900_000)), IdSeries(rng, 16_210_000_000, (1, 40_000)), True
        ),
        # Shopee: 11-digit item ids, 12-digit model ids, no model for an item without variations.
        "shopee": _ListingIds(
            IdSeries(rng, 22_380_000_000, (10_000, 9_000_000)),
            IdSeries(rng, 141_200_000_000, (1, 2_000_000)),
            False,
        ),
        # TikTok Shop: 19-digit product and SKU ids.
        "tiktok": _ListingIds(
            IdSeries(rng, 1_729_382_000_000_000_000, (10**9, 10**12)),
            IdSeries(rng, 1_729_510_000_000_000_000, (10**6, 10**10)),
            True,
        ),
    }
    products: dict[str, list[DemoSku]] = {}
    for sku in skus:
        products.setdefault(sku.product, []).append(sku)
    listings: list[DemoListing] = []
    for shop in shops:
        series = ids.get(shop.channel)
        if series is None:
            continue
        for variants in products.values():
            if rng.random() >= COVERAGE.get(shop.code, 0.8):
                continue
            item_id = series.item.next()
            single = len(variants) == 1
            for sku in variants:
                model_id = series.model.next() if series.model_when_single or not single else ""
                listings.append(
                    DemoListing(
                        shop=shop.code, item_id=item_id, model_id=model_id, channel_sku=sku.code, sku=sku.code
                    )
                )
    return tuple(listings)


class OrderNumbers:
    """The channel's order number and line ids, in the channel's format."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._lazada = IdSeries(rng, 781_204_000_000_000, (10**5, 10**8))
        self._lazada_lines = IdSeries(rng, 791_500_000_000_000, (10**5, 10**8))
        self._tiktok = IdSeries(rng, 577_112_000_000_000_000, (10**9, 10**12))
        self._tiktok_lines = IdSeries(rng, 577_400_000_000_000_000, (10**9, 10**12))
        self._webstore = 100_480
        self._shopee_seen: set[str] = set()

    def order(self, channel: str, placed_local: datetime) -> str:
        if channel == "shopee":
            # Shopee order_sn: the order date (YYMMDD) and eight letters and digits, "241127ABCDEF12".
            alphabet = string.ascii_uppercase + string.digits
            while True:
                sn = placed_local.strftime("%y%m%d") + "".join(self._rng.choices(alphabet, k=8))
                if sn not in self._shopee_seen:
                    self._shopee_seen.add(sn)
                    return sn
        if channel == "lazada":
            return self._lazada.next()
        if channel == "tiktok":
            return self._tiktok.next()
        self._webstore += 1
        return f"WS-{self._webstore}"

    def line(self, channel: str) -> str:
        # Lazada (order_item_id) and TikTok (line item id) number each line; Shopee and a webstore don't.
        if channel == "lazada":
            return self._lazada_lines.next()
        if channel == "tiktok":
            return self._tiktok_lines.next()
        return ""
