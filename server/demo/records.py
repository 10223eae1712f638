"""What the demo generator hands to a loader: plain values, cross-referenced by code, never by id.

Every record names the things it points at by their natural key (SKU code, warehouse code, shop
code, bin code), so a loader can write them in any database without knowing generated ids.
Money is a peso string ("349.00") exactly as an integration would send it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from server.orders.schemas import OrderIn

BarcodeKind = Literal["ean13", "upc", "internal"]
Role = Literal["admin", "supervisor", "warehouse", "rider"]


class DemoBarcode(msgspec.Struct, frozen=True):
    code: str
    kind: BarcodeKind


class DemoComponent(msgspec.Struct, frozen=True):
    sku: str  # code of a non-bundle SKU
    qty: int


class DemoSku(msgspec.Struct, frozen=True):
    code: str  # e.g. "PHC-CASE-IP15-BLK"
    name: str
    family: str  # product family code: PHC, BTY, HOM, SNK, BBY, APP, or BDL for bundles
    # The channel item this SKU is a variation of ("PHC-CASE"); a bundle is its own product.
    product: str
    weight_grams: int
    list_price: str  # pesos; the catalogue table has no price, orders are priced from it
    barcodes: tuple[DemoBarcode, ...]
    is_bundle: bool = False
    components: tuple[DemoComponent, ...] = ()


class DemoBin(msgspec.Struct, frozen=True):
    code: str  # zone-aisle-level, e.g. "A-01-03"
    zone: str


class DemoWarehouse(msgspec.Struct, frozen=True):
    code: str
    name: str
    city: str
    province: str
    region: str
    priority: int
    serves_regions: tuple[str, ...]
    bins: tuple[DemoBin, ...]


class DemoStock(msgspec.Struct, frozen=True):
    """Opening stock: units of a SKU received into one bin of one warehouse."""

    sku: str
    warehouse: str
    bin: str
    on_hand: int


class DemoShop(msgspec.Struct, frozen=True):
    code: str
    channel: Literal["lazada", "shopee", "tiktok", "webstore"]
    name: str
    external_shop_id: str | None
    default_warehouse: str | None = None


class DemoListing(msgspec.Struct, frozen=True):
    shop: str
    item_id: str
    model_id: str  # "" when the channel item has no variations
    channel_sku: str
    sku: str


class DemoUser(msgspec.Struct, frozen=True):
    username: str
    full_name: str
    role: Role
    password: str
    warehouse: str | None = None


class LifecycleStep(msgspec.Struct, frozen=True):
    status: str  # a canonical order status to move the order to
    at: datetime  # when it happened in the story; always after the previous step, never after "now"


class DemoOrder(msgspec.Struct, frozen=True):
    order: OrderIn  # exactly what an integration would post
    # Statuses to walk after ingestion, in order. Starts with "allocated": a loader skips steps the
    # order has already reached (ingestion may allocate by itself).
    lifecycle: tuple[LifecycleStep, ...]
    # The generator's own replay of the allocation rules says no warehouse can fill this order when
    # the orders are ingested in placed_at order; such orders have an empty lifecycle.
    expect_hold: bool = False


class DemoData(msgspec.Struct, frozen=True):
    seed: int
    now: datetime
    skus: tuple[DemoSku, ...]
    warehouses: tuple[DemoWarehouse, ...]
    stock: tuple[DemoStock, ...]
    shops: tuple[DemoShop, ...]
    listings: tuple[DemoListing, ...]
    users: tuple[DemoUser, ...]
    orders: tuple[DemoOrder, ...]
