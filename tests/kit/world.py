"""Small, explicit seed data for tests, written straight into the database, and what tests read back
(stock as the API shows it, `bodega verify`, the orders' and stock's totals)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.catalog.models import Barcode, BundleComponent, Sku
from server.channels.models import Listing, Shop
from server.db import Database
from server.db.orm import orm_session
from server.inventory.ledger import Movement, post_movements
from server.inventory.models import Bin, StockBalance, Warehouse
from server.orders.models import Order
from server.verify import verify

PLACED = datetime(2026, 11, 11, 0, 5, tzinfo=UTC)


@dataclass
class World:
    val: Warehouse
    ceb: Warehouse
    skus: dict[str, Sku]
    shop: Shop


async def seed_world(url: str, stock: dict[tuple[str, str], int] | None = None) -> World:
    """Two warehouses (VAL serves Luzon, CEB the Visayas), three SKUs, a bundle, a Shopee shop."""
    db = Database(url)
    try:
        return await db.run_write(write_world, stock or {})
    finally:
        await db.dispose()


def write_world(conn: Connection, stock: dict[tuple[str, str], int]) -> World:
    with orm_session(conn) as s:
        val = Warehouse(
            code="VAL",
            name="Valenzuela",
            city="Valenzuela",
            province="Metro Manila",
            region="NCR",
            priority=10,
            serves_regions=["NCR", "III", "IV-A"],
        )
        ceb = Warehouse(
            code="CEB",
            name="Mandaue",
            city="Mandaue",
            province="Cebu",
            region="VII",
            priority=20,
            serves_regions=["VI", "VII", "VIII"],
        )
        s.add_all([val, ceb])
        s.flush()
        s.add_all([Bin(warehouse_id=val.id, code="A-01-01"), Bin(warehouse_id=ceb.id, code="A-01-01")])
        skus = {
            "CASE-BLK": Sku(code="CASE-BLK", name="Phone case, black", weight_grams=50),
            "CABLE-1M": Sku(code="CABLE-1M", name="USB-C cable 1 m", weight_grams=40),
            "SOAP-KOJIC": Sku(code="SOAP-KOJIC", name="Kojic soap 135 g", weight_grams=140),
            "SET-STARTER": Sku(code="SET-STARTER", name="Starter set (case + 2 cables)", is_bundle=True),
        }
        s.add_all(skus.values())
        s.flush()
        s.add(
            BundleComponent(bundle_sku_id=skus["SET-STARTER"].id, component_sku_id=skus["CASE-BLK"].id, qty=1)
        )
        s.add(
            BundleComponent(bundle_sku_id=skus["SET-STARTER"].id, component_sku_id=skus["CABLE-1M"].id, qty=2)
        )
        s.add(Barcode(code="4800000000017", sku_id=skus["CASE-BLK"].id, kind="ean13"))
        shop = Shop(channel="shopee", code="shopee-main", name="Shopee main")
        s.add(shop)
        s.flush()
        s.add(Listing(shop_id=shop.id, item_id="1001", model_id="2001", sku_id=skus["CABLE-1M"].id))
        s.flush()
        wh = {"VAL": val, "CEB": ceb}
        moves = [
            Movement(skus[code].id, wh[w].id, "receive", qty, actor="test")
            for (code, w), qty in stock.items()
        ]
        post_movements(conn, moves)
        return World(val, ceb, skus, shop)


def order_payload(external_id: str, lines: list[tuple[str, int]], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "shop": "shopee-main",
        "external_id": external_id,
        "payment_method": "cod",
        "channel_status": "READY_TO_SHIP",
        "placed_at": PLACED.isoformat(),
        "ship_by": (PLACED + timedelta(days=2)).isoformat(),
        "address": {
            "name": "Maria Santos",
            "phone": "0917 123 4567",
            "street": "Blk 5 Lot 12 Sampaguita St.",
            "barangay": "Malinta",
            "city": "Valenzuela",
            "province": "Metro Manila",
            "region": "NCR",
            "zip_code": "1440",
        },
        "lines": [{"sku": code, "qty": qty, "unit_price": "199.00"} for code, qty in lines],
    }
    body.update(overrides)
    return body


def stock_of(client: Any, sku: str, warehouse: str) -> dict[str, Any]:
    """One balance as GET /api/v1/stock shows it (zeros when the SKU was never stocked there)."""
    items = client.get("/api/v1/stock", params={"sku": sku, "warehouse": warehouse}).json()["items"]
    return items[0] if items else {"on_hand": 0, "reserved": 0, "available": 0}


async def verify_report(url: str) -> Any:
    """`bodega verify` over the database."""
    db = Database(url)
    try:
        async with db.reader.connect() as conn:
            return await conn.run_sync(verify)
    finally:
        await db.dispose()


async def totals(url: str) -> tuple[int, int, dict[str, int], bool]:
    """(units reserved, units on hand, orders per status, verify ok) over every warehouse."""
    db = Database(url)
    try:
        async with db.reader.connect() as conn:
            reserved = (await conn.execute(select(func.sum(StockBalance.reserved)))).scalar_one()
            on_hand = (await conn.execute(select(func.sum(StockBalance.on_hand)))).scalar_one()
            statuses = dict(
                (await conn.execute(select(Order.status, func.count()).group_by(Order.status))).all()
            )
            report = await conn.run_sync(verify)
        return int(reserved), int(on_hand), {str(k): int(v) for k, v in statuses.items()}, report.ok
    finally:
        await db.dispose()
