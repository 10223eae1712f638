"""A platform's order (ChannelOrder) -> the canonical OrderIn that ingestion takes, or why not yet.

Shared by every platform and every way in (webhook, CSV): the listing map (channel item/variation
or seller SKU -> our SKU), lines grouped per SKU, the status mapping, the PSGC address check.
Nothing here writes: what to do with a held order is the caller's (server/channels/inbox.py).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.address import normalise_phone
from server.address.psgc import match
from server.catalog.models import Sku
from server.channels.adapters.base import ChannelOrder, RawAddress, ShopSettings
from server.channels.models import Listing, Shop, ShopConnection, StatusMapping
from server.channels.values import pesos
from server.intake.statuses import Canonical, canonical, ingest_status
from server.orders.schemas import AddressIn, OrderIn, OrderLineIn


@dataclass
class ShopContext:
    shop_id: uuid.UUID
    code: str
    platform: str
    settings: ShopSettings
    by_listing: dict[tuple[str, str], str] = field(default_factory=dict)  # (item, model) -> SKU code
    by_channel_sku: dict[str, str] = field(default_factory=dict)
    learned: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass
class Mapped:
    channel: ChannelOrder
    status: Canonical | None
    order: OrderIn | None
    hold: str | None = None  # why it is not an order yet
    hold_kind: str = ""  # unmapped_listing | unknown_status
    flags: list[str] = field(default_factory=list)


def platform_of(shop_channel: str, settings_platform: str | None) -> str:
    if settings_platform:
        return settings_platform
    return "shopify" if shop_channel == "webstore" else shop_channel


def load_context(conn: Connection, shop_code: str) -> ShopContext | None:
    row = conn.execute(
        select(
            Shop.id,
            Shop.channel,
            ShopConnection.platform,
            ShopConnection.cod_gateways,
        )
        .outerjoin(ShopConnection, ShopConnection.shop_id == Shop.id)
        .where(Shop.code == shop_code)
    ).first()
    if row is None:
        return None
    shop_id, channel, platform, gateways = row
    settings = ShopSettings(tuple(g.lower() for g in gateways)) if gateways else ShopSettings()
    ctx = ShopContext(shop_id, shop_code, platform_of(channel, platform), settings)
    listings = conn.execute(
        select(Listing.item_id, Listing.model_id, Listing.channel_sku, Sku.code)
        .join(Sku, Sku.id == Listing.sku_id)
        .where(Listing.shop_id == shop_id, Listing.active.is_(True))
    ).all()
    for item_id, model_id, channel_sku, sku in listings:
        ctx.by_listing[(item_id, model_id)] = sku
        if channel_sku:
            ctx.by_channel_sku[channel_sku] = sku
    learned = conn.execute(
        select(StatusMapping.raw_status, StatusMapping.canonical).where(
            StatusMapping.platform == ctx.platform, StatusMapping.canonical.is_not(None)
        )
    ).all()
    ctx.learned = {(ctx.platform, raw): str(mapped) for raw, mapped in learned}
    return ctx


def address(raw: RawAddress) -> tuple[AddressIn, str]:
    """The PH address with official PSGC names, or as written plus the reason it is flagged."""
    found = match(raw.region, raw.province, raw.city, raw.barangay, raw.zip_code)
    problems = list(found.problems)
    if normalise_phone(raw.phone) is None:
        problems.append(f"phone {raw.phone!r} is not a valid Philippine number")
    if found.matched:
        out = AddressIn(
            name=raw.name or "-",
            phone=raw.phone,
            street=raw.street or "-",
            barangay=found.barangay,
            city=found.city,
            province=found.province,
            region=found.region or "",
            zip_code=raw.zip_code.strip(),
        )
    else:
        out = AddressIn(
            name=raw.name or "-",
            phone=raw.phone,
            street=raw.street or "-",
            barangay=raw.barangay,
            city=raw.city,
            province=raw.province,
            region=found.region or raw.region,
            zip_code=raw.zip_code.strip(),
        )
    return out, "; ".join(problems)


def to_order(co: ChannelOrder, ctx: ShopContext) -> Mapped:
    status = canonical(ctx.platform, co.raw_status, ctx.learned, logistics=co.logistics_status)
    flags = list(co.flags)
    if status == "failed_delivery":
        flags.append("failed_delivery")
    if status is None:
        why = f"{ctx.platform} status {co.raw_status!r} is not mapped yet: map it in the status review queue"
        return Mapped(co, None, None, why, "unknown_status", flags)
    unmapped: list[str] = []
    grouped: dict[tuple[str, int], OrderLineIn] = {}
    for line in co.lines:
        sku = (
            ctx.by_listing.get((line.item_id, line.model_id))
            or (ctx.by_listing.get((line.item_id, "")) if line.model_id else None)
            or (ctx.by_channel_sku.get(line.channel_sku) if line.channel_sku else None)
        )
        if sku is None:
            unmapped.append(f"{line.item_id}/{line.model_id or '-'} (seller SKU {line.channel_sku or '-'})")
            continue
        # One line per SKU and price: TikTok and Lazada send one row per unit.
        key = (sku, line.unit_price)
        if key in grouped:
            grouped[key].qty += line.qty
        else:
            grouped[key] = OrderLineIn(
                qty=line.qty,
                unit_price=pesos(line.unit_price),
                sku=sku,
                external_line_id=line.external_line_id,
            )
    if unmapped:
        why = f"listing {', '.join(sorted(set(unmapped)))} of shop {ctx.code} is not mapped to a SKU"
        return Mapped(co, status, None, why[:500], "unmapped_listing", flags)
    addr, address_flag = address(co.address)
    order = OrderIn(
        shop=ctx.code,
        external_id=co.external_id,
        payment_method="cod" if co.cod else "prepaid",
        address=addr,
        lines=list(grouped.values()),
        placed_at=co.placed_at,
        status=ingest_status(status),
        channel_status=co.raw_status[:64],
        cod_amount=pesos(co.cod_amount) if co.cod and co.cod_amount is not None else None,
        shipping_fee=pesos(co.shipping_fee),
        ship_by=co.ship_by,
        updated_at=co.updated_at,
        address_flag=address_flag[:255],
    )
    return Mapped(co, status, order, flags=flags)


def payload_text(payload: dict[str, Any]) -> str:
    """The platform's payload as JSON text, numbers exactly as they came (Decimal -> its digits)."""

    def exact(value: object) -> object:
        if isinstance(value, Decimal):
            return str(value)
        raise TypeError(type(value).__name__)

    return json.dumps(payload, default=exact, ensure_ascii=False)
