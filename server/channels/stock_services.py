"""Setting how a shop's listings are stocked: the shop's API connection, buffers and exclusivity
rules per shop or per listing, a marketplace's campaign lock; and reading a listing's stock state.
Each change that can move a listing's quantity marks it for a push (server/channels/push.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from server.channels.connection import write_connection
from server.channels.jobs import schedule_shop
from server.channels.models import Listing, ListingStock, Shop, ShopConnection, StockRule
from server.channels.push import drift, mark_listings_due
from server.channels.sellable import MAX_PREORDER_DAYS, targets
from server.db.base import new_id, utcnow
from server.errors import FieldError, InvalidInput, NotFound

Units = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
Platform = Literal["lazada", "shopee", "tiktok", "shopify", "woocommerce"]


# A connection's platform specifics: short snake_case names; text, numbers or lists of text.
ExtraKey = str
ExtraText = Annotated[str, msgspec.Meta(max_length=255, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]
ExtraValue = ExtraText | int | float | Annotated[list[ExtraText], msgspec.Meta(max_length=100)]


class ConnectionIn(msgspec.Struct, forbid_unknown_fields=True):
    """A shop's API connection. extra: TikTok shop_cipher and warehouse_ids, Shopify location_id."""

    platform: Platform
    # The platform's API root, e.g. https://partner.shopeemobile.com (http:// for a local fake).
    base_url: Annotated[
        str, msgspec.Meta(min_length=8, max_length=255, pattern=r"^https?://[^\s\x00-\x1f\x7f]+$")
    ]
    # As long as their columns (server/channels/models.py ShopConnection) allow.
    app_key: Annotated[str, msgspec.Meta(max_length=128)] = ""
    app_secret: Annotated[str, msgspec.Meta(max_length=255)] = ""
    access_token: Annotated[str, msgspec.Meta(max_length=512)] = ""
    refresh_token: Annotated[str, msgspec.Meta(max_length=512)] = ""
    token_expires_at: datetime | None = None
    extra: dict[ExtraKey, ExtraValue] = msgspec.field(default_factory=dict[ExtraKey, ExtraValue])


class StockRuleIn(msgspec.Struct, forbid_unknown_fields=True):
    """Units held back from this shop/listing: fixed, and/or a percentage (rounded up); below
    `only_shop_below` units left, only the shop `only_shop` sells it (this one shows 0).
    `preorder_days`: show free units plus those arriving within that many days (bundles never)."""

    buffer_units: Units = 0
    buffer_percent: Annotated[int, msgspec.Meta(ge=0, le=100)] = 0
    only_shop_below: Units = 0
    only_shop: str | None = None
    # Also show units arriving within this many days (pre-orders); 0 = free stock only.
    preorder_days: Annotated[int, msgspec.Meta(ge=0, le=MAX_PREORDER_DAYS)] = 0


class CampaignLockIn(msgspec.Struct, forbid_unknown_fields=True):
    """Units the marketplace has locked for a campaign: pushes never go below them."""

    locked: Units


class ConnectionOut(msgspec.Struct):
    shop: str
    platform: str
    base_url: str
    token_expires_at: datetime | None
    pulled_until: datetime | None


class ListingStockOut(msgspec.Struct):
    listing_id: uuid.UUID
    should: int
    sellable: int
    campaign_locked: int
    clamped: bool
    pushed_qty: int | None
    pushed_at: datetime | None
    push_due: bool
    push_error: str


PLATFORMS = ("lazada", "shopee", "tiktok", "shopify", "woocommerce")


def _insert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def _shop_id(conn: Connection, code: str, field: str = "shop") -> uuid.UUID:
    shop_id = conn.execute(select(Shop.id).where(Shop.code == code)).scalar()
    if shop_id is None:
        raise NotFound(f"no shop has the code {code}", [FieldError(field, "no shop has this code")])
    return shop_id


def _listing_shop(conn: Connection, listing_id: uuid.UUID) -> uuid.UUID:
    shop_id = conn.execute(select(Listing.shop_id).where(Listing.id == listing_id)).scalar()
    if shop_id is None:
        raise NotFound(f"no listing {listing_id}", [FieldError("listing_id", "no such listing")])
    return shop_id


def _mark_shop(conn: Connection, shop_id: uuid.UUID, listing_id: uuid.UUID | None = None) -> None:
    connected = select(ShopConnection.shop_id).where(
        ShopConnection.shop_id == shop_id, ShopConnection.base_url != ""
    )
    if conn.execute(connected).first() is None:
        return  # no API connection: nothing to push to yet
    stmt = select(Listing.id).where(Listing.shop_id == shop_id, Listing.active.is_(True))
    if listing_id is not None:
        stmt = stmt.where(Listing.id == listing_id)
    ids = list(conn.execute(stmt).scalars())
    if ids:
        mark_listings_due(conn, [(i, shop_id) for i in ids], utcnow())


def set_connection(conn: Connection, shop_code: str, data: ConnectionIn, actor: str) -> None:
    if data.platform not in PLATFORMS:
        raise InvalidInput("unknown platform", [FieldError("platform", f"one of {', '.join(PLATFORMS)}")])
    if not data.base_url.startswith(("https://", "http://")):
        raise InvalidInput("base_url must be a URL", [FieldError("base_url", "start with https://")])
    shop_id = _shop_id(conn, shop_code, "code")
    values = {f: getattr(data, f) for f in ConnectionIn.__struct_fields__ if f != "platform"}
    write_connection(conn, shop_id, data.platform, values, actor)
    _mark_shop(conn, shop_id)  # connected: push everything once
    schedule_shop(conn, shop_id, data.platform, utcnow())  # and start pulling its orders


def set_stock_rule(conn: Connection, shop_code: str, listing_id: uuid.UUID | None, data: StockRuleIn) -> None:
    for name in ("buffer_units", "buffer_percent", "only_shop_below", "preorder_days"):
        if getattr(data, name) < 0:
            raise InvalidInput(f"{name} must not be negative", [FieldError(name, "0 or more")])
    if data.buffer_percent > 100:
        raise InvalidInput("buffer_percent is at most 100", [FieldError("buffer_percent", "0 to 100")])
    if data.preorder_days > MAX_PREORDER_DAYS:
        raise InvalidInput(
            f"preorder_days is at most {MAX_PREORDER_DAYS}",
            [FieldError("preorder_days", f"0 to {MAX_PREORDER_DAYS} days")],
        )
    shop_id = _shop_id(conn, shop_code, "code")
    if listing_id is not None and _listing_shop(conn, listing_id) != shop_id:
        raise InvalidInput("the listing is in another shop", [FieldError("listing_id", "not in this shop")])
    only = _shop_id(conn, data.only_shop, "only_shop") if data.only_shop else None
    existing = conn.execute(
        select(StockRule.id).where(
            StockRule.shop_id == shop_id,
            StockRule.listing_id.is_(None) if listing_id is None else StockRule.listing_id == listing_id,
        )
    ).scalar()
    values = {
        "buffer_units": data.buffer_units,
        "buffer_percent": data.buffer_percent,
        "only_shop_below": data.only_shop_below,
        "only_shop_id": only,
        "preorder_days": data.preorder_days,
        "updated_at": utcnow(),
    }
    if existing is None:
        conn.execute(
            _insert(conn)(StockRule).values(id=new_id(), shop_id=shop_id, listing_id=listing_id, **values)
        )
    else:
        conn.execute(update(StockRule).where(StockRule.id == existing).values(values))
    _mark_shop(conn, shop_id, listing_id)


def set_campaign_lock(conn: Connection, listing_id: uuid.UUID, locked: int) -> None:
    """The units the marketplace has locked for a campaign (it refuses a stock below them)."""
    if locked < 0:
        raise InvalidInput("locked must not be negative", [FieldError("locked", "0 or more")])
    shop_id = _listing_shop(conn, listing_id)
    stmt = _insert(conn)(ListingStock).values(
        listing_id=listing_id,
        shop_id=shop_id,
        campaign_locked=locked,
        push_due=False,
        due_seq=0,
        push_error="",
    )
    conn.execute(stmt.on_conflict_do_update(index_elements=["listing_id"], set_={"campaign_locked": locked}))
    _mark_shop(conn, shop_id, listing_id)


def listing_stock(conn: Connection, listing_id: uuid.UUID) -> ListingStockOut:
    _listing_shop(conn, listing_id)
    target = targets(conn, [listing_id])[listing_id]
    row = conn.execute(
        select(
            ListingStock.campaign_locked,
            ListingStock.pushed_qty,
            ListingStock.pushed_at,
            ListingStock.push_due,
            ListingStock.push_error,
        ).where(ListingStock.listing_id == listing_id)
    ).first()
    locked, pushed, at, due, error = row if row is not None else (0, None, None, False, "")
    return ListingStockOut(
        listing_id, target.qty, target.sellable, int(locked), target.clamped, pushed, at, bool(due), error
    )


def drifting(conn: Connection) -> list[ListingStockOut]:
    return [listing_stock(conn, d.listing_id) for d in drift(conn)]


def set_listing_rule(conn: Connection, listing_id: uuid.UUID, data: StockRuleIn) -> None:
    shop_id = _listing_shop(conn, listing_id)
    code = conn.execute(select(Shop.code).where(Shop.id == shop_id)).scalar_one()
    set_stock_rule(conn, code, listing_id, data)


def connect_shop(conn: Connection, shop_code: str, data: ConnectionIn, actor: str) -> ConnectionOut:
    set_connection(conn, shop_code, data, actor)
    row = conn.execute(
        select(
            ShopConnection.platform,
            ShopConnection.base_url,
            ShopConnection.token_expires_at,
            ShopConnection.pulled_until,
        )
        .join(Shop, Shop.id == ShopConnection.shop_id)
        .where(Shop.code == shop_code)
    ).one()
    return ConnectionOut(shop_code, row[0], row[1], row[2], row[3])
