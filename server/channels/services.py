"""Shops and listings: where an order was sold, and which SKU a channel's item/variation is.

As in the catalog, checks run before each write so a refusal names the field; a concurrent
writer that wins the unique constraint meanwhile is answered 409 after checking again.
"""

import uuid
from collections.abc import Sequence

from msgspec import UNSET
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import Sku
from server.catalog.services import find_sku
from server.channels.models import Listing, Shop
from server.channels.schemas import ListingIn, ListingOut, ListingPatch, ShopIn, ShopOut, ShopPatch
from server.db import Database
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.inventory.models import Warehouse
from server.pagination import Page, PageParams, fetch_page

# ---------------------------------------------------------------------------------------------
# Shops


async def find_shop(session: AsyncSession, code: str) -> Shop | None:
    return await session.scalar(select(Shop).where(Shop.code == code))


async def _shop_or_404(session: AsyncSession, code: str) -> Shop:
    shop = await find_shop(session, code)
    if shop is None:
        raise NotFound(f"no shop has the code {code}", [FieldError("code", "no shop has this code")])
    return shop


async def _warehouse_id(session: AsyncSession, code: str | None) -> uuid.UUID | None:
    if code is None:
        return None
    warehouse_id = await session.scalar(select(Warehouse.id).where(Warehouse.code == code))
    if warehouse_id is None:
        raise InvalidInput(
            f"no warehouse has the code {code}",
            [FieldError("default_warehouse", f"no warehouse has the code {code}")],
        )
    return warehouse_id


async def _shop_outs(session: AsyncSession, shops: Sequence[Shop]) -> list[ShopOut]:
    warehouse_ids = {s.default_warehouse_id for s in shops if s.default_warehouse_id is not None}
    codes: dict[uuid.UUID, str] = {}
    if warehouse_ids:
        rows = await session.execute(
            select(Warehouse.id, Warehouse.code).where(Warehouse.id.in_(warehouse_ids))
        )
        codes = {warehouse_id: code for warehouse_id, code in rows}
    return [
        ShopOut(
            id=shop.id,
            channel=shop.channel,
            code=shop.code,
            name=shop.name,
            external_shop_id=shop.external_shop_id,
            default_warehouse=codes.get(shop.default_warehouse_id) if shop.default_warehouse_id else None,
            active=shop.active,
            created_at=shop.created_at,
        )
        for shop in shops
    ]


async def list_shops(
    db: Database, page: PageParams, *, channel: str | None = None, active: bool | None = None
) -> Page[ShopOut]:
    stmt = select(Shop).order_by(Shop.code)
    if channel is not None:
        stmt = stmt.where(Shop.channel == channel)
    if active is not None:
        stmt = stmt.where(Shop.active == active)
    async with db.read() as session:
        shops, total = await fetch_page(session, stmt, page)
        return page.of(await _shop_outs(session, shops), total)


async def _check_shop_code_free(session: AsyncSession, code: str) -> None:
    if await find_shop(session, code) is not None:
        raise Conflict(f"shop {code} already exists", [FieldError("code", f"shop {code} already exists")])


async def create_shop(db: Database, data: ShopIn) -> ShopOut:
    try:
        async with db.write() as session:
            warehouse_id = await _warehouse_id(session, data.default_warehouse)
            await _check_shop_code_free(session, data.code)
            shop = Shop(
                channel=data.channel,
                code=data.code,
                name=data.name,
                external_shop_id=data.external_shop_id,
                default_warehouse_id=warehouse_id,
                active=data.active,
            )
            session.add(shop)
            await session.flush()
            return (await _shop_outs(session, [shop]))[0]
    except IntegrityError as exc:
        async with db.read() as session:
            await _check_shop_code_free(session, data.code)
        raise Conflict("the shop changed at the same moment", [FieldError("code", "try again")]) from exc


async def update_shop(db: Database, code: str, data: ShopPatch) -> ShopOut:
    async with db.write() as session:
        shop = await _shop_or_404(session, code)
        if data.name is not UNSET:
            shop.name = data.name
        if data.external_shop_id is not UNSET:
            shop.external_shop_id = data.external_shop_id
        if data.default_warehouse is not UNSET:
            shop.default_warehouse_id = await _warehouse_id(session, data.default_warehouse)
        if data.active is not UNSET:
            shop.active = data.active
        await session.flush()
        return (await _shop_outs(session, [shop]))[0]


# ---------------------------------------------------------------------------------------------
# Listings


async def resolve_listing(
    session: AsyncSession, shop_id: uuid.UUID, item_id: str, model_id: str = ""
) -> uuid.UUID | None:
    """The SKU a channel item/variation sells in this shop, or None when it is not mapped.

    Only active listings resolve: deactivating a wrong mapping stops new orders using it, the
    same rule order ingestion applies in bulk. model_id is "" for an item without variations.
    """
    return await session.scalar(
        select(Listing.sku_id).where(
            Listing.shop_id == shop_id,
            Listing.item_id == item_id,
            Listing.model_id == model_id,
            Listing.active.is_(True),
        )
    )


async def _listing_outs(session: AsyncSession, listings: Sequence[Listing]) -> list[ListingOut]:
    shop_ids = {listing.shop_id for listing in listings}
    sku_ids = {listing.sku_id for listing in listings}
    shops: dict[uuid.UUID, tuple[str, str]] = {}
    skus: dict[uuid.UUID, str] = {}
    if listings:
        rows = await session.execute(select(Shop.id, Shop.code, Shop.channel).where(Shop.id.in_(shop_ids)))
        shops = {shop_id: (code, channel) for shop_id, code, channel in rows}
        sku_rows = await session.execute(select(Sku.id, Sku.code).where(Sku.id.in_(sku_ids)))
        skus = {sku_id: code for sku_id, code in sku_rows}
    return [
        ListingOut(
            id=listing.id,
            shop=shops[listing.shop_id][0],
            channel=shops[listing.shop_id][1],
            item_id=listing.item_id,
            model_id=listing.model_id,
            channel_sku=listing.channel_sku,
            sku=skus[listing.sku_id],
            active=listing.active,
            created_at=listing.created_at,
        )
        for listing in listings
    ]


async def list_listings(
    db: Database,
    page: PageParams,
    *,
    shop: str | None = None,
    sku: str | None = None,
    item_id: str | None = None,
    active: bool | None = None,
) -> Page[ListingOut]:
    """Listings by shop, item and variation. Unknown shop or SKU codes simply match nothing."""
    stmt = select(Listing).join(Shop, Shop.id == Listing.shop_id)
    if shop is not None:
        stmt = stmt.where(Shop.code == shop)
    if sku is not None:
        stmt = stmt.where(Listing.sku_id.in_(select(Sku.id).where(Sku.code == sku)))
    if item_id is not None:
        stmt = stmt.where(Listing.item_id == item_id)
    if active is not None:
        stmt = stmt.where(Listing.active == active)
    stmt = stmt.order_by(Shop.code, Listing.item_id, Listing.model_id)
    async with db.read() as session:
        listings, total = await fetch_page(session, stmt, page)
        return page.of(await _listing_outs(session, listings), total)


async def _sku_id(session: AsyncSession, code: str) -> uuid.UUID:
    sku = await find_sku(session, code)
    if sku is None:
        raise InvalidInput(f"no SKU has the code {code}", [FieldError("sku", f"no SKU has the code {code}")])
    return sku.id


async def _check_listing_free(session: AsyncSession, shop: Shop, data: ListingIn) -> None:
    stmt = (
        select(Sku.code)
        .join(Listing, Listing.sku_id == Sku.id)
        .where(Listing.shop_id == shop.id, Listing.item_id == data.item_id, Listing.model_id == data.model_id)
    )
    mapped_to = await session.scalar(stmt)
    if mapped_to is not None:
        variation = f" variation {data.model_id}" if data.model_id else ""
        message = f"item {data.item_id}{variation} in shop {shop.code} is already mapped to SKU {mapped_to}"
        raise Conflict(message, [FieldError("item_id", message)])


async def create_listing(db: Database, data: ListingIn) -> ListingOut:
    try:
        async with db.write() as session:
            shop = await find_shop(session, data.shop)
            if shop is None:
                raise InvalidInput(
                    f"no shop has the code {data.shop}",
                    [FieldError("shop", f"no shop has the code {data.shop}")],
                )
            sku_id = await _sku_id(session, data.sku)
            await _check_listing_free(session, shop, data)
            listing = Listing(
                shop_id=shop.id,
                item_id=data.item_id,
                model_id=data.model_id,
                channel_sku=data.channel_sku,
                sku_id=sku_id,
                active=data.active,
            )
            session.add(listing)
            await session.flush()
            return (await _listing_outs(session, [listing]))[0]
    except IntegrityError as exc:
        async with db.read() as session:
            shop = await find_shop(session, data.shop)
            if shop is not None:
                await _check_listing_free(session, shop, data)
        raise Conflict(
            "the listing changed at the same moment", [FieldError("item_id", "try again")]
        ) from exc


async def update_listing(db: Database, listing_id: uuid.UUID, data: ListingPatch) -> ListingOut:
    async with db.write() as session:
        listing = await session.get(Listing, listing_id)
        if listing is None:
            raise NotFound(
                f"no listing has the id {listing_id}", [FieldError("id", "no listing has this id")]
            )
        if data.sku is not UNSET:
            listing.sku_id = await _sku_id(session, data.sku)
        if data.channel_sku is not UNSET:
            listing.channel_sku = data.channel_sku
        if data.active is not UNSET:
            listing.active = data.active
        await session.flush()
        return (await _listing_outs(session, [listing]))[0]
