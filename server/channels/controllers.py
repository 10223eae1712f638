"""HTTP endpoints for shops and listings. Managers read them; only admins change them."""

# No `from __future__ import annotations`: Litestar resolves these signatures at runtime.
import uuid
from typing import Any

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from server.auth.principal import ADMIN, MANAGERS
from server.channels import services
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


channel_routes: list[Any] = [ShopController, ListingController]
