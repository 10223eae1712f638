"""HTTP endpoints for shops and listings. Managers read them; only admins change them."""

# No `from __future__ import annotations`: Litestar resolves these signatures at runtime.
import uuid
from typing import Any

from litestar import Controller, Request, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from server.auth.principal import ADMIN, MANAGERS, Principal
from server.channels import services
from server.channels import stock_services as stock
from server.channels.schemas import Channel, ListingIn, ListingOut, ListingPatch, ShopIn, ShopOut, ShopPatch
from server.db import Database
from server.pagination import PAGINATION, Page, PageParams, TextFilter, UrlKey

Db = NamedDependency[Database]


class ShopController(Controller):
    path = "/api/v1/shops"
    tags = ["channels"]

    @get("/", opt=MANAGERS, dependencies=PAGINATION, summary="List shops by code")
    async def list_shops(
        self,
        db: Db,
        page: NamedDependency[PageParams],
        channel: FromQuery[Channel | None] = None,
        active: FromQuery[bool | None] = None,
    ) -> Page[ShopOut]:
        return await services.list_shops(db, page, channel=channel, active=active)

    @post("/", opt=ADMIN, summary="Add a shop on a sales channel")
    async def create_shop(self, db: Db, data: JSONBody[ShopIn]) -> ShopOut:
        return await services.create_shop(db, data)

    @patch(
        "/{code:str}",
        opt=ADMIN,
        summary="Change a shop's name, channel shop id, default warehouse or active flag",
    )
    async def update_shop(self, db: Db, code: UrlKey, data: JSONBody[ShopPatch]) -> ShopOut:
        return await services.update_shop(db, code, data)


class ListingController(Controller):
    path = "/api/v1/listings"
    tags = ["channels"]

    @get("/", opt=MANAGERS, dependencies=PAGINATION, summary="List listings by shop, item and variation")
    async def list_listings(
        self,
        db: Db,
        page: NamedDependency[PageParams],
        shop: TextFilter = None,
        sku: TextFilter = None,
        item_id: TextFilter = None,
        active: FromQuery[bool | None] = None,
    ) -> Page[ListingOut]:
        return await services.list_listings(db, page, shop=shop, sku=sku, item_id=item_id, active=active)

    @post("/", opt=ADMIN, summary="Map a channel item/variation in a shop to a SKU")
    async def create_listing(self, db: Db, data: JSONBody[ListingIn]) -> ListingOut:
        return await services.create_listing(db, data)

    @patch("/{listing_id:uuid}", opt=ADMIN, summary="Change the SKU, channel SKU or active flag of a listing")
    async def update_listing(
        self, db: Db, listing_id: FromPath[uuid.UUID], data: JSONBody[ListingPatch]
    ) -> ListingOut:
        return await services.update_listing(db, listing_id, data)


class ChannelStockController(Controller):
    """Stock out to the channels: connections, buffers and rules, campaign locks, push state."""

    path = "/api/v1"
    tags = ["channels"]

    @put("/shops/{code:str}/connection", opt=ADMIN, summary="Connect a shop to its platform's API")
    async def connect(
        self, request: Request[Principal, Any, Any], db: Db, code: UrlKey, data: JSONBody[stock.ConnectionIn]
    ) -> stock.ConnectionOut:
        return await db.run_write(stock.connect_shop, code, data, request.user.actor)

    @put("/shops/{code:str}/stock-rule", opt=ADMIN, summary="Set the stock buffer/rule of a shop's listings")
    async def shop_rule(self, db: Db, code: UrlKey, data: JSONBody[stock.StockRuleIn]) -> None:
        await db.run_write(stock.set_stock_rule, code, None, data)

    @put("/listings/{listing_id:uuid}/stock-rule", opt=ADMIN, summary="Set one listing's stock buffer/rule")
    async def listing_rule(
        self, db: Db, listing_id: FromPath[uuid.UUID], data: JSONBody[stock.StockRuleIn]
    ) -> None:
        await db.run_write(stock.set_listing_rule, listing_id, data)

    @put(
        "/listings/{listing_id:uuid}/campaign-lock",
        opt=ADMIN,
        summary="Record the units a marketplace locked for a campaign",
    )
    async def campaign_lock(
        self, db: Db, listing_id: FromPath[uuid.UUID], data: JSONBody[stock.CampaignLockIn]
    ) -> None:
        await db.run_write(stock.set_campaign_lock, listing_id, data.locked)

    @get(
        "/listings/{listing_id:uuid}/stock",
        opt=MANAGERS,
        summary="What a listing should show, and what was pushed",
    )
    async def listing_stock(self, db: Db, listing_id: FromPath[uuid.UUID]) -> stock.ListingStockOut:
        return await db.run_read(stock.listing_stock, listing_id)

    @get("/channels/drift", opt=MANAGERS, summary="Listings whose last push is not what they should show")
    async def drift(self, db: Db) -> list[stock.ListingStockOut]:
        return await db.run_read(stock.drifting)


channel_routes: list[Any] = [ShopController, ListingController, ChannelStockController]
