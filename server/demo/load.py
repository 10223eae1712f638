"""Writing the generated demo seller into a database, once.

Catalog, places, shops and users are plain rows; stock goes through the ledger and orders through
the same ingestion and status changes the API uses, so the demo's balances, reservations and
histories are exactly what real use would have produced.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from server.audit.models import AuditEntry
from server.auth.passwords import hash_password
from server.auth.services import add_user
from server.catalog.models import Barcode, BundleComponent, Sku
from server.channels.models import Listing, Shop
from server.db import Database
from server.db.base import utcnow
from server.db.orm import orm_session
from server.demo.cod import RIDER, write_cod_demo
from server.demo.generate import generate
from server.demo.records import DemoData, DemoOrder
from server.inbound.demo import seed_imports
from server.inventory.ledger import Movement, post_movements
from server.inventory.models import Bin, Warehouse
from server.orders.ingest import IngestBatch
from server.orders.schemas import IngestResult
from server.orders.transitions import change_status
from server.writes import finish

MARKER = "demo.loaded"
MANILA = ZoneInfo("Asia/Manila")
DEMO_FILES = Path("var") / "demo"  # beside the demo database (make demo runs from the checkout)
ACTOR = "demo"


async def load_demo(url: str, seed: int = 2026, files: Path = DEMO_FILES) -> str:
    db = Database(url, finish=finish)
    try:
        async with db.read() as session:
            if await session.scalar(select(AuditEntry.id).where(AuditEntry.action == MARKER)) is not None:
                return "demo data already loaded; keeping the existing data\n" + logins_text(generate(seed))
        data = generate(seed)
        # argon2 before the transaction: the writer is not held while passwords are hashed.
        password_hashes = await asyncio.to_thread(_hash_passwords, data)
        ids = await db.run_write(_write_reference_data, data, password_hashes)
        await db.run_write(_receive_opening_stock, data, ids)
        ordered = sorted(data.orders, key=lambda o: o.order.placed_at)
        outcomes = await db.run_write(_ingest_as_they_came, ordered)
        walked = await db.run_write(_walk_lifecycles, list(zip(ordered, outcomes, strict=True)))
        imports = await db.run_write(_seed_imports, data)
        cod = await db.run_write(write_cod_demo, utcnow())
        remittance = await asyncio.to_thread(_write_file, files / "jnt_remittance.csv", cod["remittance_csv"])
        await db.run_write(_mark_loaded, {"seed": seed, "orders": len(ordered)})
        return (
            f"loaded the demo seller: {len(data.skus)} SKUs, {len(data.warehouses)} warehouses, "
            f"{len(data.shops)} shops, {len(data.users)} users, {len(ordered)} orders "
            f"({walked} moved along their lifecycle), {len(imports)} import shipments "
            "(on the water, held at customs, at the warehouse to receive)\n"
            f"cash on delivery: courier J&T (jnt) carried {cod['courier_parcels']} parcels and says "
            f"it delivered them; its remittance report to reconcile is {remittance} "
            f"(POST /api/v1/couriers/jnt/remittances); {RIDER} has a run of {cod['run_stops']} stops "
            f"for today\n" + logins_text(data)
        )
    finally:
        await db.dispose()


def _write_file(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def logins_text(data: DemoData) -> str:
    rows = [f"  {u.username:<12} {u.password:<22} {u.role}" for u in data.users]
    return "Demo logins (username, password, role):\n" + "\n".join(rows)


def _hash_passwords(data: DemoData) -> list[str]:
    return [hash_password(u.password) for u in data.users]


def _seed_imports(conn: Connection, data: DemoData) -> list[str]:
    """Imports at three stages, for the first warehouse's plain SKUs (server/inbound/demo.py)."""
    plain = [s.code for s in data.skus if not s.is_bundle][:3]
    today = data.now.astimezone(MANILA).date()
    return seed_imports(conn, data.warehouses[0].code, plain, data.now, today)


def _mark_loaded(conn: Connection, details: dict[str, int]) -> None:
    conn.execute(insert(AuditEntry).values(action=MARKER, actor=ACTOR, details=details))


def _write_reference_data(conn: Connection, data: DemoData, password_hashes: list[str]) -> dict[str, Any]:
    with orm_session(conn) as session:
        return _add_reference_rows(session, data, password_hashes)


def _add_reference_rows(session: Any, data: DemoData, password_hashes: list[str]) -> dict[str, Any]:
    warehouses: dict[str, Warehouse] = {}
    bins: dict[tuple[str, str], Bin] = {}
    for w in data.warehouses:
        warehouse = Warehouse(
            code=w.code,
            name=w.name,
            city=w.city,
            province=w.province,
            region=w.region,
            priority=w.priority,
            serves_regions=list(w.serves_regions),
        )
        session.add(warehouse)
        warehouses[w.code] = warehouse
    session.flush()
    for w in data.warehouses:
        for b in w.bins:
            bins[(w.code, b.code)] = Bin(warehouse_id=warehouses[w.code].id, code=b.code, zone=b.zone)
    session.add_all(bins.values())
    skus = {
        s.code: Sku(code=s.code, name=s.name, weight_grams=s.weight_grams, is_bundle=s.is_bundle)
        for s in data.skus
    }
    session.add_all(skus.values())
    session.flush()
    for s in data.skus:
        session.add_all(Barcode(code=b.code, sku_id=skus[s.code].id, kind=b.kind) for b in s.barcodes)
        session.add_all(
            BundleComponent(bundle_sku_id=skus[s.code].id, component_sku_id=skus[c.sku].id, qty=c.qty)
            for c in s.components
        )
    shops: dict[str, Shop] = {}
    for sh in data.shops:
        default = warehouses[sh.default_warehouse].id if sh.default_warehouse else None
        shops[sh.code] = Shop(
            channel=sh.channel,
            code=sh.code,
            name=sh.name,
            external_shop_id=sh.external_shop_id,
            default_warehouse_id=default,
        )
    session.add_all(shops.values())
    session.flush()
    session.add_all(
        Listing(
            shop_id=shops[li.shop].id,
            item_id=li.item_id,
            model_id=li.model_id,
            channel_sku=li.channel_sku,
            sku_id=skus[li.sku].id,
        )
        for li in data.listings
    )
    for u, password_hash in zip(data.users, password_hashes, strict=True):
        add_user(
            session,
            username=u.username,
            password_hash=password_hash,
            role=u.role,
            full_name=u.full_name,
            warehouse_id=warehouses[u.warehouse].id if u.warehouse else None,
        )
    return {
        "warehouses": {code: w.id for code, w in warehouses.items()},
        "bins": {key: b.id for key, b in bins.items()},
        "skus": {code: s.id for code, s in skus.items()},
    }


def _receive_opening_stock(conn: Connection, data: DemoData, ids: dict[str, Any]) -> None:
    moves = [
        Movement(
            ids["skus"][st.sku],
            ids["warehouses"][st.warehouse],
            "receive",
            st.on_hand,
            reason="opening stock",
            ref_type="receipt",
            ref_id="OPENING",
            actor=ACTOR,
            bin_id=ids["bins"][(st.warehouse, st.bin)],
        )
        for st in data.stock
    ]
    post_movements(conn, moves, now=data.now.replace(day=1))


def _ingest_as_they_came(conn: Connection, orders: list[DemoOrder]) -> list[Any]:
    # One batch per order, stamped with the minute it was placed, so histories read in time order.
    return [IngestBatch(conn, ACTOR, now=o.order.placed_at).run([o.order])[0] for o in orders]


def _walk_lifecycles(conn: Connection, pairs: list[tuple[DemoOrder, Any]]) -> int:
    """Move each allocated order through the statuses its story gives, at the story's times."""
    walked = 0
    for demo, outcome in pairs:
        if not isinstance(outcome, IngestResult) or outcome.status != "allocated":
            continue
        steps = [s for s in demo.lifecycle if s.status != "allocated"]
        for step in steps:
            change_status(conn, outcome.id, step.status, actor=ACTOR, reason="demo history", at=step.at)
        walked += bool(steps)
    return walked
