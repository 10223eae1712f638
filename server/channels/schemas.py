"""Wire shapes for shops on the sales channels and for listings (a channel item -> a SKU)."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from server.catalog.schemas import CODE_PATTERN, TEXT_PATTERN, SkuCode
from server.inventory.location_schemas import WarehouseCode

# Must match server.channels.models.CHANNELS (a test checks).
Channel = Literal["lazada", "shopee", "tiktok", "webstore"]

ShopCode = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        pattern=CODE_PATTERN,
        description="Your name for the shop, e.g. shopee-main",
    ),
]
ShopName = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=TEXT_PATTERN)]
ExternalShopId = Annotated[
    str, msgspec.Meta(max_length=64, pattern=TEXT_PATTERN, description="The channel's own shop or seller id")
]
CourierCode = Annotated[
    str,
    msgspec.Meta(
        max_length=32,
        pattern=r"^[A-Za-z0-9_.-]*$",
        description='The courier this shop\'s parcels go with (its code, e.g. "jnt"); "" = our own riders',
    ),
]
ItemId = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, pattern=TEXT_PATTERN, description="The channel's item id")
]
ModelId = Annotated[
    str,
    msgspec.Meta(
        max_length=64,
        pattern=TEXT_PATTERN,
        description="The channel's variation (model/SKU) id; empty when none",
    ),
]
ChannelSku = Annotated[
    str,
    msgspec.Meta(max_length=128, pattern=TEXT_PATTERN, description="The seller SKU typed in Seller Center"),
]


class ShopIn(msgspec.Struct, forbid_unknown_fields=True):
    channel: Channel
    code: ShopCode
    name: ShopName
    external_shop_id: ExternalShopId | None = None
    # Tried first when allocating this shop's orders.
    default_warehouse: WarehouseCode | None = None
    courier: CourierCode = ""
    active: bool = True


class ShopPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent are changed; null clears external_shop_id or default_warehouse.

    The channel and code are fixed: orders are already filed under them.
    """

    name: ShopName | UnsetType = UNSET
    external_shop_id: ExternalShopId | UnsetType | None = UNSET
    default_warehouse: WarehouseCode | UnsetType | None = UNSET
    courier: CourierCode | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class ShopOut(msgspec.Struct):
    id: uuid.UUID
    channel: str
    code: str
    name: str
    external_shop_id: str | None
    default_warehouse: str | None
    courier: str
    active: bool
    created_at: datetime


class ListingIn(msgspec.Struct, forbid_unknown_fields=True):
    shop: ShopCode
    item_id: ItemId
    sku: SkuCode  # what one unit of this listing sells
    model_id: ModelId = ""
    channel_sku: ChannelSku | None = None
    active: bool = True


class ListingPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent are changed. Shop, item and model identify the listing and are fixed."""

    sku: SkuCode | UnsetType = UNSET
    channel_sku: ChannelSku | UnsetType | None = UNSET
    active: bool | UnsetType = UNSET


class ListingOut(msgspec.Struct):
    id: uuid.UUID
    shop: str
    channel: str
    item_id: str
    model_id: str
    channel_sku: str | None
    sku: str
    active: bool
    created_at: datetime
