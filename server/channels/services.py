"""Shops and listings: where an order was sold, and which SKU a channel's item/variation is.

As in the catalog, checks run before each write so a refusal names the field; a concurrent
writer that wins the unique constraint meanwhile is answered 409 after checking again.
"""

import uuid
from collections.abc import Sequence

from msgspec import UNSET
from sqlalchemy import Select, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.catalog.models import Sku
from server.catalog.services import find_sku
from server.channels.models import Listing, Shop
from server.channels.schemas import ListingIn, ListingOut, ListingPatch, ShopIn, ShopOut, ShopPatch
from server.db import Database
from server.db.orm import orm_session
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.inventory.models import Warehouse
from server.pagination import Page, PageParams, fetch_page

# ---------------------------------------------------------------------------------------------
# Shops


def find_shop(session: Session, code: str) -> Shop | None:
    return session.scalar(select(Shop).where(Shop.code == code))


def _shop_or_404(session: Session, code: str) -> Shop:
    shop = find_shop(session, code)
    if shop is None:
        raise NotFound(f"no shop has the code {code}", [FieldError("code", "no shop has this code")])
    return shop


def _warehouse_id(session: Session, code: str | None) -> uuid.UUID | None:
    if code is None:
        return None
    warehouse_id = session.scalar(select(Warehouse.id).where(Warehouse.code == code))
    if warehouse_id is None:
        raise InvalidInput(
            f"no warehouse has the code {code}",
            [FieldError("default_warehouse", f"no warehouse has the code {code}")],
        )
    return warehouse_id


def _shop_outs(session: Session, shops: Sequence[Shop]) -> list[ShopOut]:
    warehouse_ids = {s.default_warehouse_id for s in shops if s.default_warehouse_id is not None}
    codes: dict[uuid.UUID, str] = {}
    if warehouse_ids:
        rows = session.execute(select(Warehouse.id, Warehouse.code).where(Warehouse.id.in_(warehouse_ids)))
        codes = {warehouse_id: code for warehouse_id, code in rows}
    return [
        ShopOut(
            id=shop.id,
            channel=shop.channel,
            code=shop.code,
            name=shop.name,
            external_shop_id=shop.external_shop_id,
            default_warehouse=codes.get(shop.default_warehouse_id) if shop.default_warehouse_id else None,
            courier=shop.courier or "",
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
    return await db.run_read(_shop_page, stmt, page)


def _shop_page(conn: Connection, stmt: Select[Shop], page: PageParams) -> Page[ShopOut]:
    with orm_session(conn) as session:
        shops, total = fetch_page(session, stmt, page)
        return page.of(_shop_outs(session, shops), total)


def _check_shop_code_free(session: Session, code: str) -> None:
    if find_shop(session, code) is not None:
        raise Conflict(f"shop {code} already exists", [FieldError("code", f"shop {code} already exists")])


async def create_shop(db: Database, data: ShopIn) -> ShopOut:
    try:
        return await db.run_write(_create_shop, data)
    except IntegrityError as exc:
        await db.run_read(_recheck_shop_code, data.code)
        raise Conflict("the shop changed at the same moment", [FieldError("code", "try again")]) from exc


def _create_shop(conn: Connection, data: ShopIn) -> ShopOut:
    with orm_session(conn) as session:
        warehouse_id = _warehouse_id(session, data.default_warehouse)
        _check_shop_code_free(session, data.code)
        shop = Shop(
            channel=data.channel,
            code=data.code,
            name=data.name,
            external_shop_id=data.external_shop_id,
            default_warehouse_id=warehouse_id,
            courier=data.courier,
            active=data.active,
        )
        session.add(shop)
        session.flush()
        return _shop_outs(session, [shop])[0]


def _recheck_shop_code(conn: Connection, code: str) -> None:
    with orm_session(conn) as session:
        _check_shop_code_free(session, code)


async def update_shop(db: Database, code: str, data: ShopPatch) -> ShopOut:
    return await db.run_write(_update_shop, code, data)


def _update_shop(conn: Connection, code: str, data: ShopPatch) -> ShopOut:
    with orm_session(conn) as session:
        shop = _shop_or_404(session, code)
        if data.name is not UNSET:
            shop.name = data.name
        if data.external_shop_id is not UNSET:
            shop.external_shop_id = data.external_shop_id
        if data.default_warehouse is not UNSET:
            shop.default_warehouse_id = _warehouse_id(session, data.default_warehouse)
        if data.courier is not UNSET:
            shop.courier = data.courier
        if data.active is not UNSET:
            shop.active = data.active
        session.flush()
        return _shop_outs(session, [shop])[0]


# ---------------------------------------------------------------------------------------------
# Listings


def resolve_listing(
    session: Session, shop_id: uuid.UUID, item_id: str, model_id: str = ""
) -> uuid.UUID | None:
    """The SKU a channel item/variation sells in this shop, or None when it is not mapped.

    Only active listings resolve: deactivating a wrong mapping stops new orders using it, the
    same rule order ingestion applies in bulk. model_id is "" for an item without variations.
    """
    return session.scalar(
        select(Listing.sku_id).where(
            Listing.shop_id == shop_id,
            Listing.item_id == item_id,
            Listing.model_id == model_id,
            Listing.active.is_(True),
        )
    )


def _listing_outs(session: Session, listings: Sequence[Listing]) -> list[ListingOut]:
    shop_ids = {listing.shop_id for listing in listings}
    sku_ids = {listing.sku_id for listing in listings}
    shops: dict[uuid.UUID, tuple[str, str]] = {}
    skus: dict[uuid.UUID, str] = {}
    if listings:
        rows = session.execute(select(Shop.id, Shop.code, Shop.channel).where(Shop.id.in_(shop_ids)))
        shops = {shop_id: (code, channel) for shop_id, code, channel in rows}
        sku_rows = session.execute(select(Sku.id, Sku.code).where(Sku.id.in_(sku_ids)))
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
    return await db.run_read(_listing_page, stmt, page)


def _listing_page(conn: Connection, stmt: Select[Listing], page: PageParams) -> Page[ListingOut]:
    with orm_session(conn) as session:
        listings, total = fetch_page(session, stmt, page)
        return page.of(_listing_outs(session, listings), total)


def _sku_id(session: Session, code: str) -> uuid.UUID:
    sku = find_sku(session, code)
    if sku is None:
        raise InvalidInput(f"no SKU has the code {code}", [FieldError("sku", f"no SKU has the code {code}")])
    return sku.id


def _check_listing_free(session: Session, shop: Shop, data: ListingIn) -> None:
    stmt = (
        select(Sku.code)
        .join(Listing, Listing.sku_id == Sku.id)
        .where(Listing.shop_id == shop.id, Listing.item_id == data.item_id, Listing.model_id == data.model_id)
    )
    mapped_to = session.scalar(stmt)
    if mapped_to is not None:
        variation = f" variation {data.model_id}" if data.model_id else ""
        message = f"item {data.item_id}{variation} in shop {shop.code} is already mapped to SKU {mapped_to}"
        raise Conflict(message, [FieldError("item_id", message)])


async def create_listing(db: Database, data: ListingIn) -> ListingOut:
    try:
        return await db.run_write(_create_listing, data)
    except IntegrityError as exc:
        await db.run_read(_recheck_listing, data)
        raise Conflict(
            "the listing changed at the same moment", [FieldError("item_id", "try again")]
        ) from exc


def _create_listing(conn: Connection, data: ListingIn) -> ListingOut:
    with orm_session(conn) as session:
        shop = find_shop(session, data.shop)
        if shop is None:
            raise InvalidInput(
                f"no shop has the code {data.shop}",
                [FieldError("shop", f"no shop has the code {data.shop}")],
            )
        sku_id = _sku_id(session, data.sku)
        _check_listing_free(session, shop, data)
        listing = Listing(
            shop_id=shop.id,
            item_id=data.item_id,
            model_id=data.model_id,
            channel_sku=data.channel_sku,
            sku_id=sku_id,
            active=data.active,
        )
        session.add(listing)
        session.flush()
        return _listing_outs(session, [listing])[0]


def _recheck_listing(conn: Connection, data: ListingIn) -> None:
    with orm_session(conn) as session:
        shop = find_shop(session, data.shop)
        if shop is not None:
            _check_listing_free(session, shop, data)


async def update_listing(db: Database, listing_id: uuid.UUID, data: ListingPatch) -> ListingOut:
    return await db.run_write(_update_listing, listing_id, data)


def _update_listing(conn: Connection, listing_id: uuid.UUID, data: ListingPatch) -> ListingOut:
    with orm_session(conn) as session:
        listing = session.get(Listing, listing_id)
        if listing is None:
            raise NotFound(
                f"no listing has the id {listing_id}", [FieldError("id", "no listing has this id")]
            )
        if data.sku is not UNSET:
            listing.sku_id = _sku_id(session, data.sku)
        if data.channel_sku is not UNSET:
            listing.channel_sku = data.channel_sku
        if data.active is not UNSET:
            listing.active = data.active
        session.flush()
        return _listing_outs(session, [listing])[0]
