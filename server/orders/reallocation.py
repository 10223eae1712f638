"""Held orders get another try when stock is freed, oldest first (a reaction: server/writes.py)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from server.catalog.models import BundleComponent
from server.orders.ingest import reallocate
from server.orders.models import Order, OrderLine

StockKey = tuple[uuid.UUID, uuid.UUID]  # (sku id, warehouse id)


def held_orders_needing(conn: Connection, sku_ids: Collection[uuid.UUID]) -> list[uuid.UUID]:
    """Held orders with a line for one of these SKUs, directly or through a bundle."""
    skus = sorted(sku_ids)
    bundles = select(BundleComponent.bundle_sku_id).where(BundleComponent.component_sku_id.in_(skus))
    stmt = (
        select(Order.id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.status == "on_hold", or_(OrderLine.sku_id.in_(skus), OrderLine.sku_id.in_(bundles)))
        .distinct()
    )
    return [row[0] for row in conn.execute(stmt).all()]


def retry_held(conn: Connection, freed: Collection[StockKey], actor: str) -> list[uuid.UUID]:
    """Reallocate the held orders that want the freed SKUs; returns the ones now allocated."""
    held = held_orders_needing(conn, {sku for sku, _ in freed})
    return [r.id for r in reallocate(conn, held, actor)] if held else []
