"""`bodega bench fulfillment` (waves and picks): on a fresh SQLite file,

1. waves: 10,000 allocated orders (1 to 3 lines, 1 to 2 units each, over 500 SKUs shelved in 1,000
   bins of one warehouse) are built into waves with their pick lists in walking order, in one
   write transaction through the app's writer (`build_waves`, what POST /api/v1/waves runs),
   ship-by and priority computed for each order and the at-risk check included;
2. picks: a picker's phone records 200 pick lines of those waves offline (the sync library's
   client and outbox, as the phone app does), then syncs them to the app in-process
   (HttpTransport over Litestar's test client, MessagePack + gzip): each pick judged against the
   order's lines and pick list (sync/PROTOCOL.md R3), written to the stock ledger, the pick records
   and the change log.
3. labels: 1,000 4x6 labels (Code128, QR, COD in large type) rendered to one PDF
   (server/bench/labels.py, also alone as `bodega bench labels`).
The readable table comes first; the last line printed is one JSON object with `waves_s`,
`picks_sync_s` and `labels_per_s`. Times on a loaded 2-core machine are only indicative.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from server.bench.harness import fresh_sqlite, run, table
from server.bench.labels import render_rate
from server.catalog.models import Sku
from server.channels.models import Shop
from server.db import Database
from server.db.base import new_id, utcnow
from server.db.bulk import insert_rows
from server.db.migrate import upgrade
from server.inventory.ledger import Movement, post_movements
from server.inventory.models import Bin, Reservation, StockBalance, Warehouse
from server.orders.models import Order, OrderLine
from server.picking.models import PickLine, WaveOrder
from server.picking.waves import WaveSpec, build_waves

ORDERS = 10_000
SKUS = 500
PICKS = 200
WAREHOUSE = "VAL"
# CPU seconds of this process over each phase: on a shared, loaded machine the wall time includes
# waiting for a core; the CPU time is the work itself (client and server share the process here).
CPU: dict[str, float] = {}


def _seed(conn: Connection) -> None:
    rng = random.Random(10)
    wid = new_id()
    conn.execute(insert(Warehouse).values(id=wid, code=WAREHOUSE, name="Valenzuela", region="NCR"))
    bins = [f"{z}-{a:02d}-{lv:02d}" for z in "AB" for a in range(1, 26) for lv in range(1, 21)]
    bin_ids = {code: new_id() for code in bins}
    conn.execute(
        insert(Bin), [{"id": i, "warehouse_id": wid, "code": c, "zone": c[0]} for c, i in bin_ids.items()]
    )
    sku_ids = [new_id() for _ in range(SKUS)]
    conn.execute(
        insert(Sku), [{"id": s, "code": f"SKU-{n:04d}", "name": f"Item {n}"} for n, s in enumerate(sku_ids)]
    )
    # Each SKU on two shelves, enough for every order.
    moves = [
        Movement(s, wid, "receive", 200, actor="bench", bin_id=bin_ids[bins[(2 * n + k) % len(bins)]])
        for n, s in enumerate(sku_ids)
        for k in range(2)
    ]
    for start in range(0, len(moves), 200):  # the ledger's count check takes a few hundred bins at once
        post_movements(conn, moves[start : start + 200])
    shop = new_id()
    conn.execute(insert(Shop).values(id=shop, channel="shopee", code="shop", name="Shop"))
    now = utcnow()
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    reservations: list[dict[str, Any]] = []
    reserved: dict[uuid.UUID, int] = {}
    for n in range(ORDERS):
        oid = new_id()
        placed = now - timedelta(hours=rng.randint(1, 72))
        orders.append(
            {
                "id": oid,
                "shop_id": shop,
                "channel": rng.choice(["shopee", "lazada", "tiktok"]),
                "external_id": f"B-{n:05d}",
                "status": "allocated",
                "payment_method": rng.choice(["cod", "prepaid"]),
                "cod_amount": 0,
                "total_amount": 0,
                "shipping_fee": 0,
                "channel_status": "",
                "customer_name": "Buyer",
                "phone": "+639171234567",
                "street": "5 Mabini St.",
                "barangay": "Malinta",
                "city": "Valenzuela",
                "province": "Metro Manila",
                "region": "NCR",
                "zip_code": "1440",
                "placed_at": placed,
                "ship_by": None,
                "channel_updated_at": placed,
                "payload_hash": str(n),
                "warehouse_id": wid,
                "hold_reason": None,
                "created_at": now,
                "updated_at": now,
                "logged_at": now,
            }
        )
        for line_no, sku in enumerate(rng.sample(sku_ids, rng.randint(1, 3)), start=1):
            qty = rng.randint(1, 2)
            line_id = new_id()
            lines.append(
                {
                    "id": line_id,
                    "order_id": oid,
                    "line_no": line_no,
                    "sku_id": sku,
                    "qty": qty,
                    "unit_price": 19_900,
                    "external_line_id": "",
                }
            )
            reservations.append(
                {
                    "id": new_id(),
                    "order_id": oid,
                    "order_line_id": line_id,
                    "sku_id": sku,
                    "warehouse_id": wid,
                    "qty": qty,
                    "status": "active",
                    "created_at": now,
                    "closed_at": None,
                }
            )
            reserved[sku] = reserved.get(sku, 0) + qty
    insert_rows(conn, Order, orders)
    insert_rows(conn, OrderLine, lines)
    insert_rows(conn, Reservation, reservations)
    for sku, qty in reserved.items():
        conn.execute(
            StockBalance.__table__.update()  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
            .where(StockBalance.sku_id == sku, StockBalance.warehouse_id == wid)
            .values(reserved=qty)
        )


def _first_picks(conn: Connection) -> list[dict[str, Any]]:
    """The first PICKS pick lines of the waves, in each wave's walking order, as a phone has them."""
    rows = conn.execute(
        select(PickLine.order_id, Sku.code, Bin.code, PickLine.qty)
        .join(Sku, Sku.id == PickLine.sku_id)
        .join(Bin, Bin.id == PickLine.bin_id)
        .join(WaveOrder, WaveOrder.order_id == PickLine.order_id)
        .order_by(PickLine.wave_id, PickLine.seq)
        .limit(PICKS)
    ).all()
    return [{"order": str(o), "sku": s, "bin": b, "qty": int(q)} for o, s, b, q in rows]


def _add_picker(conn: Connection) -> tuple[str, str]:
    from server.auth.models import Device, User
    from server.auth.principal import hash_token, new_token

    wid = conn.execute(select(Warehouse.id).where(Warehouse.code == WAREHOUSE)).scalar_one()
    user_id, device_id, token = new_id(), new_id(), new_token()
    conn.execute(
        insert(User).values(
            id=user_id, username="picker", role="warehouse", password_hash="x", warehouse_id=wid
        )
    )
    conn.execute(
        insert(Device).values(
            id=device_id, user_id=user_id, name="picker phone", token_hash=hash_token(token)
        )
    )
    return str(device_id), token


def _sync_picks(
    url: str, picks: list[dict[str, Any]], device_id: str, token: str
) -> tuple[float, dict[str, int]]:
    import dataclasses

    from litestar.testing import TestClient

    from server.app import create_app
    from server.settings import load_settings
    from sync import Client, StockPicked
    from sync.http import HttpTransport

    settings = load_settings(database_url=url, secret_key="bench-secret", log_level="WARNING")
    app = create_app(dataclasses.replace(settings, writer_process=False))
    with TestClient(app) as http:
        phone = Client(device_id, HttpTransport(http, token, fmt="msgpack"))
        phone.sync()  # the phone had its warehouse's data (the waves) before it went offline
        for p in picks:  # offline: the outbox only
            phone.record(
                StockPicked(wh=WAREHOUSE, bin=p["bin"], sku=p["sku"], qty=p["qty"], order=p["order"])
            )
        started, cpu = time.perf_counter(), time.process_time()
        report = phone.sync()
        took = time.perf_counter() - started
        CPU["picks"] = time.process_time() - cpu
    if not report.done:
        raise SystemExit(f"the picks did not sync: {report.error}")
    return took, run(_statuses(url))


async def _statuses(url: str) -> dict[str, int]:
    from sqlalchemy import func

    from server.sync_api.models import SyncOp

    def count(conn: Connection) -> dict[str, int]:
        rows = conn.execute(select(SyncOp.status, func.count()).group_by(SyncOp.status)).all()
        return {status: int(n) for status, n in rows}

    db = Database(url)
    try:
        return await db.run_read(count)
    finally:
        await db.dispose()


def main() -> dict[str, Any]:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per sync round otherwise
    with fresh_sqlite() as url:
        upgrade(url)

        async def prepare() -> tuple[list[uuid.UUID], float, list[dict[str, Any]], tuple[str, str]]:
            db = Database(url)
            try:
                await db.run_write(_seed)
                started, cpu = time.perf_counter(), time.process_time()
                spec = WaveSpec(WAREHOUSE, "cutoff", 20, 5)
                ids = await db.run_write(build_waves, spec, "bench", datetime.now(UTC))
                took = time.perf_counter() - started
                CPU["waves"] = time.process_time() - cpu
                picks = await db.run_read(_first_picks)
                picker = await db.run_write(_add_picker)
                return ids, took, picks, picker
            finally:
                await db.dispose()

        wave_ids, waves_s, picks, (device_id, token) = run(prepare())
        picks_sync_s, statuses = _sync_picks(url, picks, device_id, token)
    labels = render_rate()
    figures: dict[str, Any] = {
        **labels,
        "orders": ORDERS,
        "waves": len(wave_ids),
        "waves_s": round(waves_s, 3),
        "picks": len(picks),
        "picks_applied": statuses.get("applied", 0),
        "picks_flagged": statuses.get("flagged", 0),
        "picks_sync_s": round(picks_sync_s, 3),
        "waves_cpu_s": round(CPU["waves"], 3),
        "picks_sync_cpu_s": round(CPU["picks"], 3),
    }
    print(
        table(
            [
                ("measure", "figure", "target"),
                (
                    f"waves + pick lists for {ORDERS:,} orders ({len(wave_ids):,} waves)",
                    f"{waves_s:.2f} s",
                    "<= 2 s",
                ),
                (
                    f"{len(picks)} picks recorded offline, then synced ({figures['picks_applied']} applied)",
                    f"{picks_sync_s:.2f} s",
                    "<= 2 s",
                ),
                (
                    f"{labels['labels']:,} 4x6 labels rendered to one PDF (labels/s)",
                    f"{labels['labels_per_s']:,.0f}",
                    ">= 200",
                ),
                ("  CPU time of the wave build (no waiting for a core)", f"{CPU['waves']:.2f} s", ""),
                ("  CPU time of the picks' sync (phone and server)", f"{CPU['picks']:.2f} s", ""),
            ]
        )
    )
    print(json.dumps(figures))
    return figures
