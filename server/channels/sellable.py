"""Sellable quantity per channel listing: what each listing should show on its platform.

  available(SKU) = Σ over active warehouses of max(0, on hand - reserved - safety buffer)
                   (the safety buffer is where damaged/display units are held back, so they are
                   never sold; a bundle's availability is min over its components of
                   floor(available(component) / qty per bundle))
  sellable(listing) = available - the listing's buffer (fixed units, or a percentage rounded
                   up), 0 when the rule says "below N left, sell only on shop X" and this is not X
                   A listing whose rule has `preorder_days` N > 0 (not a bundle) counts, before the
                   buffers, free units plus units arriving within N Manila days (pre-orders)
  pushed = max(sellable, campaign_locked): a marketplace refuses a quantity below what it has
                   locked for a campaign; such a listing is reported (`clamped`) by the drift monitor

The rule of the listing wins over its shop's (server/channels/models.py StockRule).

Quarantined units: out-b's branch adds `StockBalance.quarantined` (damaged returns in the
quarantine bin, on hand but never sellable); at merge `available` subtracts it too, and the ledger
notes its SKUs in `Touched.stock` so the listings are pushed.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from server.catalog.models import BundleComponent, Sku
from server.channels.models import Listing, ListingStock, Shop, StockRule
from server.db.base import utcnow
from server.db.bulk import in_values
from server.inbound.preorder import incoming_units
from server.inventory.models import StockBalance, Warehouse

MANILA = ZoneInfo("Asia/Manila")
# The longest pre-order window a rule may ask for (server/channels/stock_services.py checks it).
MAX_PREORDER_DAYS = 90


def now() -> datetime:
    """The clock pre-order windows are measured from (tests set it)."""
    return utcnow()


@dataclass(frozen=True)
class Target:
    listing_id: uuid.UUID
    qty: int  # what to push
    sellable: int  # before the campaign lock
    clamped: bool  # the campaign lock is above what we can sell


def available(conn: Connection, sku_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Free units per SKU across active warehouses; bundles from their components."""
    wanted = set(sku_ids)
    if not wanted:
        return {}
    bundles = {
        row[0]
        for row in conn.execute(
            select(Sku.id).where(in_values(conn, Sku.id, wanted), Sku.is_bundle.is_(True))
        )
    }
    parts: dict[uuid.UUID, list[tuple[uuid.UUID, int]]] = defaultdict(list)
    if bundles:
        rows = conn.execute(
            select(
                BundleComponent.bundle_sku_id, BundleComponent.component_sku_id, BundleComponent.qty
            ).where(in_values(conn, BundleComponent.bundle_sku_id, bundles))
        )
        for bundle, component, qty in rows:
            parts[bundle].append((component, int(qty)))
    plain = (wanted - bundles) | {c for comps in parts.values() for c, _ in comps}
    free = func.max if conn.dialect.name == "sqlite" else func.greatest
    # Quarantined units (damaged returns) are on hand but never sellable.
    units = free(
        StockBalance.on_hand - StockBalance.quarantined - StockBalance.reserved - StockBalance.safety_buffer,
        0,
    )
    rows = conn.execute(
        select(StockBalance.sku_id, func.sum(units))
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .where(in_values(conn, StockBalance.sku_id, plain), Warehouse.active.is_(True))
        .group_by(StockBalance.sku_id)
    )
    have: dict[uuid.UUID, int] = {sku: int(n or 0) for sku, n in rows}
    out = {sku: have.get(sku, 0) for sku in wanted - bundles}
    for bundle in bundles:
        comps = parts.get(bundle, [])
        out[bundle] = min((have.get(c, 0) // max(q, 1) for c, q in comps), default=0)
    return out


def preorderable(conn: Connection, sku_ids: Iterable[uuid.UUID], until: date) -> dict[uuid.UUID, int]:
    """Free units now plus units arriving by `until` (server/inbound/preorder.py), per SKU."""
    wanted = set(sku_ids)
    now = available(conn, wanted)
    coming = incoming_units(conn, wanted, until)
    return {sku: now.get(sku, 0) + coming.get(sku, 0) for sku in wanted}


def targets(
    conn: Connection, listing_ids: Iterable[uuid.UUID], today: date | None = None
) -> dict[uuid.UUID, Target]:
    """What each of these listings should show on its platform now (pre-order windows counted
    from `today`, a Manila day; the clock's by default)."""
    ids = set(listing_ids)
    if not ids:
        return {}
    listings = conn.execute(
        select(Listing.id, Listing.shop_id, Listing.sku_id, Listing.active, ListingStock.campaign_locked)
        .outerjoin(ListingStock, ListingStock.listing_id == Listing.id)
        .where(in_values(conn, Listing.id, ids))
    ).all()
    shop_ids = {row[1] for row in listings}
    rules: dict[tuple[uuid.UUID, uuid.UUID | None], Any] = {}
    for rule in conn.execute(
        select(
            StockRule.shop_id,
            StockRule.listing_id,
            StockRule.buffer_units,
            StockRule.buffer_percent,
            StockRule.only_shop_below,
            StockRule.only_shop_id,
            StockRule.preorder_days,
        ).where(
            in_values(conn, StockRule.shop_id, shop_ids),
            or_(StockRule.listing_id.is_(None), in_values(conn, StockRule.listing_id, ids)),
        )
    ):
        rules[(rule.shop_id, rule.listing_id)] = rule
    free = available(conn, {row[2] for row in listings})
    coming = _coming(conn, listings, rules, today or manila_today())
    out: dict[uuid.UUID, Target] = {}
    for listing_id, shop_id, sku_id, active, locked in listings:
        rule = rules.get((shop_id, listing_id)) or rules.get((shop_id, None))
        have = free.get(sku_id, 0) + coming.get(listing_id, 0) if active else 0
        qty = have
        if rule is not None:
            qty -= rule.buffer_units + math.ceil(have * rule.buffer_percent / 100)
            if (
                rule.only_shop_below
                and have < rule.only_shop_below
                and rule.only_shop_id not in (None, shop_id)
            ):
                qty = 0
        qty = max(qty, 0)
        lock = int(locked or 0)
        out[listing_id] = Target(listing_id, max(qty, lock), qty, qty < lock)
    return out


def _coming(
    conn: Connection,
    listings: Sequence[Any],
    rules: dict[tuple[uuid.UUID, uuid.UUID | None], Any],
    today: date,
) -> dict[uuid.UUID, int]:
    """Units arriving within each pre-order listing's window (bundles never: their components
    arrive on different dates). One read per distinct window length."""
    windows: dict[int, dict[uuid.UUID, uuid.UUID]] = defaultdict(dict)  # days -> listing -> sku
    for listing_id, shop_id, sku_id, active, _ in listings:
        rule = rules.get((shop_id, listing_id)) or rules.get((shop_id, None))
        if active and rule is not None and rule.preorder_days > 0:
            windows[rule.preorder_days][listing_id] = sku_id
    if not windows:
        return {}
    skus = {sku for chosen in windows.values() for sku in chosen.values()}
    bundles = set(
        conn.execute(select(Sku.id).where(in_values(conn, Sku.id, skus), Sku.is_bundle.is_(True))).scalars()
    )
    out: dict[uuid.UUID, int] = {}
    for days, chosen in windows.items():
        arriving = incoming_units(conn, set(chosen.values()) - bundles, today + timedelta(days=days))
        for listing_id, sku_id in chosen.items():
            out[listing_id] = arriving.get(sku_id, 0)
    return out


def manila_today() -> date:
    return now().astimezone(MANILA).date()


def listings_preordering(
    conn: Connection, sku_ids: Iterable[uuid.UUID] | None
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(listing, shop) of active listings in active shops selling these SKUs (None: any SKU; not
    bundles) whose effective rule (the listing's, else the shop's) sells pre-orders: the ones an
    inbound change or the window moving at Manila midnight moves. Listings without a pre-order
    rule are left alone."""
    skus = set(sku_ids) if sku_ids is not None else None
    if skus is not None and not skus:
        return []
    mine = aliased(StockRule)
    shops = aliased(StockRule)
    days = func.coalesce(mine.preorder_days, shops.preorder_days, 0)
    rows = conn.execute(
        select(Listing.id, Listing.shop_id)
        .join(Shop, Shop.id == Listing.shop_id)
        .join(Sku, Sku.id == Listing.sku_id)
        .outerjoin(mine, (mine.listing_id == Listing.id) & (mine.shop_id == Listing.shop_id))
        .outerjoin(shops, (shops.shop_id == Listing.shop_id) & shops.listing_id.is_(None))
        .where(
            Listing.active.is_(True),
            Shop.active.is_(True),
            Sku.is_bundle.is_(False),
            days > 0,
            *([] if skus is None else [in_values(conn, Listing.sku_id, skus)]),
        )
    ).all()
    return [(row[0], row[1]) for row in rows]


def listings_selling(conn: Connection, sku_ids: Iterable[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(listing, shop) of active listings in active shops that sell these SKUs or bundles made of them."""
    skus = set(sku_ids)
    if not skus:
        return []
    bundles = {
        row[0]
        for row in conn.execute(
            select(BundleComponent.bundle_sku_id).where(
                in_values(conn, BundleComponent.component_sku_id, skus)
            )
        )
    }
    rows = conn.execute(
        select(Listing.id, Listing.shop_id)
        .join(Shop, Shop.id == Listing.shop_id)
        .where(
            in_values(conn, Listing.sku_id, skus | bundles), Listing.active.is_(True), Shop.active.is_(True)
        )
    ).all()
    return [(row[0], row[1]) for row in rows]
