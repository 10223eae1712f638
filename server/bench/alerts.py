"""`bodega bench alerts`: the alert rules over a big seller, and (added by the web push work) the
fan-out of one alert.

Seeds, with bulk inserts, 100,000 open orders (pending to packed, placed over the last 14 days,
each with a line and a ship-by), 500 SKUs with stock in two warehouses, 200 riders with cash in
hand, a device each that synced, a few webhook signature failures and an unmapped status; then
times passes of every rule (`server/alerts/rules.py: evaluate`) with escalation, in one write
transaction each, as the job runs them. The first pass raises what there is to raise; later
passes find it all open (deduplicated) and raise nothing new: `rules_pass_s` is the slowest of
those steady passes (the last re-reads the 14-day sales rate, as one pass an hour does),
`rules_first_pass_s` the first (everything raised and logged for the phones). `verify_s` (ledger
drift) is apart: it reads every ledger and runs on its own, slower schedule. Target:
rules_pass_s <= 1 s.

Figures from several measurements share one dict: each entry of MEASUREMENTS takes the seeded
database's URL and answers its figures and its table rows; the last line printed is the JSON of
them all (`fanout_s`, `push_p99_s` come from the web push measurement when it is added).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from server.alerts.notify import escalate
from server.alerts.rules import _SOLD, RULES, evaluate, ledger_drift
from server.auth.models import Device, User
from server.bench.alerts_push import measure_push
from server.bench.harness import fresh_database, table
from server.catalog.models import Sku
from server.channels.models import Shop, SignatureFailure, StatusMapping
from server.cod.models import CashBalance, CashLedgerEntry
from server.db import Database
from server.db.base import new_id, utcnow
from server.db.migrate import upgrade
from server.inventory.models import StockBalance, Warehouse
from server.orders.models import Order, OrderLine
from server.sync_api.models import SyncDevice
from server.writes import finish

ORDERS = int(os.environ.get("BODEGA_BENCH_ALERT_ORDERS", "100000"))
RIDERS = int(os.environ.get("BODEGA_BENCH_ALERT_RIDERS", "200"))
SKUS = 500
PASSES = 3  # steady passes after the first
CHUNK = 5000
OPEN = ("pending", "on_hold", "allocated", "picking", "packed")

Rows = list[tuple[str, str, str]]
Measurement = Callable[[str, dict[str, Any]], tuple[dict[str, float], Rows]]


def _seed(conn: Connection, now: datetime) -> dict[str, Any]:
    warehouses = [new_id(), new_id()]
    for wid, code in zip(warehouses, ("VAL", "CEB"), strict=True):
        conn.execute(insert(Warehouse).values(id=wid, code=code, name=code, region="NCR"))
    shop = new_id()
    conn.execute(insert(Shop).values(id=shop, channel="shopee", code="bench", name="Bench"))
    skus = [new_id() for _ in range(SKUS)]
    conn.execute(
        insert(Sku), [{"id": s, "code": f"SKU-{n:04d}", "name": f"Item {n}"} for n, s in enumerate(skus)]
    )
    # Stock: most SKUs plenty, every 25th nearly out (a low-stock finding each).
    conn.execute(
        insert(StockBalance),
        [
            {"sku_id": s, "warehouse_id": w, "on_hand": 2 if n % 25 == 0 else 5000, "reserved": 0}
            for n, s in enumerate(skus)
            for w in warehouses
        ],
    )
    for start in range(0, ORDERS, CHUNK):
        orders, lines = [], []
        for n in range(start, min(start + CHUNK, ORDERS)):
            oid = new_id()
            placed = now - timedelta(minutes=(n * 13) % (14 * 24 * 60))
            orders.append(
                {
                    "id": oid, "shop_id": shop, "channel": "shopee", "external_id": f"A{n:07d}",
                    "status": OPEN[n % len(OPEN)], "payment_method": "cod", "cod_amount": 29_900,
                    "total_amount": 29_900, "customer_name": "Ana Reyes", "phone": "+639181234567",
                    "street": f"{n} Mabini St.", "barangay": "Malinta", "city": "Valenzuela",
                    "province": "Metro Manila", "region": "NCR", "zip_code": "1440", "placed_at": placed,
                    # Most ship in days; one in 500 is due within the hour (at risk).
                    "ship_by": now + (timedelta(minutes=30) if n % 500 == 0 else timedelta(days=3)),
                    "channel_updated_at": placed, "payload_hash": str(n),
                    "warehouse_id": warehouses[n % 2], "updated_at": placed,
                }
            )  # fmt: skip
            lines.append(
                {
                    "id": new_id(),
                    "order_id": oid,
                    "line_no": 1,
                    "sku_id": skus[n % SKUS],
                    "qty": 1,
                    "unit_price": 29_900,
                }
            )
        conn.execute(insert(Order), orders)
        conn.execute(insert(OrderLine), lines)
    riders = []
    for r in range(RIDERS):
        uid, did = new_id(), new_id()
        name = f"rider{r:03d}"
        riders.append(name)
        conn.execute(insert(User).values(id=uid, username=name, role="rider", password_hash="-"))
        conn.execute(insert(Device).values(id=did, user_id=uid, name="phone", token_hash=uuid.uuid4().hex))
        # Every 10th rider's phone has been silent since yesterday.
        seen = now - timedelta(hours=30 if r % 10 == 0 else 1)
        conn.execute(insert(SyncDevice).values(device_id=did, hwm=10, scopes="", updated_at=seen))
    conn.execute(insert(User).values(id=new_id(), username="sup", role="supervisor", password_hash="-"))
    # Cash: each rider collected 20 parcels today; every 20th has held it 20 hours, every 7th is
    # above the ceiling.
    entries, balances = [], []
    for r, name in enumerate(riders):
        amount = 20 * 29_900 * (10 if r % 7 == 0 else 1)
        at = now - timedelta(hours=20 if r % 20 == 0 else 2)
        entries += [
            {
                "holder": name,
                "amount": amount // 20,
                "kind": "collected",
                "order_ref": "",
                "ref": "",
                "created_at": at,
            }
            for _ in range(20)
        ]
        balances.append({"holder": name, "amount": amount, "updated_at": at})
    conn.execute(insert(CashLedgerEntry), entries)
    conn.execute(insert(CashBalance), balances)
    conn.execute(
        insert(SignatureFailure),
        [
            {"shop_code": "bench", "reason": "bad signature", "body_sha256": "0" * 64, "received_at": now}
            for _ in range(8)
        ],
    )
    conn.execute(
        insert(StatusMapping).values(
            platform="shopee",
            raw_status="HELD_BY_PLATFORM",
            canonical=None,
            seen=4,
            example_order="A0000001",
            first_seen=now,
        )
    )
    return {"orders": ORDERS, "riders": RIDERS}


def seed(url: str, now: datetime) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                return await conn.run_sync(_seed, now)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _pass(conn: Connection, now: datetime) -> tuple[dict[str, float], dict[str, int], float]:
    started = time.perf_counter()
    done = evaluate(conn, now)
    t = time.perf_counter()
    escalate(conn, now)
    done.seconds["escalate"] = time.perf_counter() - t
    return done.seconds, done.raised, time.perf_counter() - started


def _verify(conn: Connection, now: datetime) -> float:
    started = time.perf_counter()
    ledger_drift(conn, now)
    return time.perf_counter() - started


def measure_rules(url: str, ctx: dict[str, Any]) -> tuple[dict[str, float], Rows]:
    now: datetime = ctx["now"]

    async def go() -> tuple[list[tuple[dict[str, float], dict[str, int], float, float]], float]:
        db = Database(url, finish=finish)
        try:
            passes = []
            for n in range(PASSES + 1):
                if n == PASSES:
                    _SOLD.clear()  # the last steady pass is the hourly one that re-reads the sales rate
                started = time.perf_counter()
                seconds, raised, inner = await db.run_write(_pass, now + timedelta(seconds=n))
                passes.append((seconds, raised, inner, time.perf_counter() - started))
            verify_s = await db.run_write(_verify, now)
            return passes, verify_s
        finally:
            await db.dispose()

    passes, verify_s = asyncio.run(go())
    first, steady = passes[0], passes[1:]
    worst = max(steady, key=lambda p: p[3])
    rows: Rows = [("rule", "first pass (s)", "steady pass (s)")]
    for name in [*RULES, "escalate"]:
        rows.append((name, f"{first[0][name]:.3f} ({first[1].get(name, 0)} raised)", f"{worst[0][name]:.3f}"))
    rows.append(("all rules, with commit", f"{first[3]:.3f}", f"{worst[3]:.3f}"))
    rows.append(("verify (ledger drift)", f"{verify_s:.3f}", ""))
    figures = {
        "rules_pass_s": round(worst[3], 3),
        "rules_pass_median_s": round(statistics.median(p[3] for p in steady), 3),
        "rules_first_pass_s": round(first[3], 3),
        "raised_first_pass": float(sum(first[1].values())),
        "verify_s": round(verify_s, 3),
        "open_orders": float(ORDERS),
        "riders": float(RIDERS),
    }
    return figures, rows


# Each measurement adds its figures to the same last line (web push adds fanout_s, push_p99_s).
MEASUREMENTS: list[Measurement] = [measure_rules, measure_push]


def main(database_url: str | None = None) -> dict[str, float]:
    figures: dict[str, float] = {}
    rows: Rows = []
    with fresh_database(database_url) as url:
        upgrade(url)
        now = utcnow()
        started = time.perf_counter()
        seeded = seed(url, now)
        took = time.perf_counter() - started
        print(f"seeded {seeded['orders']:,} open orders and {seeded['riders']} riders in {took:.1f} s")
        ctx: dict[str, Any] = {"now": now, **seeded}
        for measure in MEASUREMENTS:
            got, more = measure(url, ctx)
            figures.update(got)
            rows += more
    print(table(rows))
    print(json.dumps(figures))
    return figures
