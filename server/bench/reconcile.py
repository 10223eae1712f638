"""`bodega bench reconcile`: reconcile a 100,000-row courier remittance file.

The target is 50,000 rows/s. Set up (not timed): a fresh database, a courier account with J&T's
sample contract, 100,000 delivered COD orders handed to it under their waybills, and a remittance
CSV of them in the courier's own columns with a few discrepancies (short remittances, fees above
contract, waybills not ours: 0.3% of the rows, as a real report might carry). Timed: the whole import as
`bodega couriers import-remittance` runs it (read the CSV, open the batch, match and write the rows
5,000 per transaction with their findings and exceptions, the not-remitted check). Prints a table,
then one JSON line with `reconcile_rows_per_s`.
"""

from __future__ import annotations

import csv
import io
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from server.bench.harness import backend, fresh_database, run, table
from server.db import Database
from server.db.base import utcnow
from server.db.migrate import upgrade

ROWS = 100_000
SEED = 11
COLUMNS = {
    "waybill": "Waybill No.",
    "collected": "COD Amount",
    "fee": "COD Fee",
    "remitted": "Net Remittance",
}


def _seed(conn: Connection, rows: int) -> list[tuple[str, int]]:
    """A shop, the courier, `rows` delivered orders with their waybills: (waybill, COD)."""
    from server.channels.models import Shop
    from server.couriers.accounts import save_courier
    from server.couriers.models import CourierParcel
    from server.db.bulk import insert_rows
    from server.db.orm import orm_session
    from server.orders.models import Order

    with orm_session(conn) as session:
        shop = Shop(channel="shopee", code="shopee-bench", name="Bench")
        session.add(shop)
        session.flush()
        shop_id = shop.id
    courier, _ = save_courier(
        conn,
        "jnt",
        {
            "name": "J&T Express",
            "fee_percent_bp": 150,
            "fee_min": 1500,
            "fee_flat": 0,
            "vat_bp": 1200,
            "cycle": "weekly",
            "cycle_days": 7,
            "cycle_weekday": 4,
            "grace_days": 3,
            "webhook_secret": "",
            "remittance_columns": COLUMNS,
            "status_columns": {},
            "status_map": {},
            "reason_map": {},
        },
    )
    rng = random.Random(SEED)
    now = utcnow()
    delivered = now - timedelta(days=1)
    placed = datetime(2026, 11, 11, tzinfo=UTC)
    parcels: list[tuple[str, int]] = []
    for start in range(0, rows, 10_000):
        orders: list[dict[str, Any]] = []
        handed: list[dict[str, Any]] = []
        for n in range(start, min(rows, start + 10_000)):
            order_id = uuid.uuid4()
            cod = rng.randrange(199, 4999) * 100 + rng.choice((0, 50))
            waybill = f"JT{n:010d}"
            orders.append(
                {
                    "id": order_id,
                    "shop_id": shop_id,
                    "channel": "shopee",
                    "external_id": f"B-{n}",
                    "status": "delivered",
                    "channel_status": "",
                    "payment_method": "cod",
                    "cod_amount": cod,
                    "total_amount": cod,
                    "shipping_fee": 0,
                    "customer_name": "Juan dela Cruz",
                    "phone": "+639171234567",
                    "street": "12 Rizal St",
                    "barangay": "Malinta",
                    "city": "Valenzuela",
                    "province": "Metro Manila",
                    "region": "NCR",
                    "zip_code": "1440",
                    "placed_at": placed,
                    "ship_by": None,
                    "channel_updated_at": placed,
                    "payload_hash": str(n),
                    "warehouse_id": None,
                    "hold_reason": None,
                    "created_at": now,
                    "updated_at": now,
                    "logged_at": now,
                }
            )
            handed.append(
                {
                    "courier_id": courier.id,
                    "waybill": waybill,
                    "order_id": order_id,
                    "status": "delivered",
                    "status_at": delivered,
                    "delivered_at": delivered,
                    "attached_by": "bench",
                    "attached_at": now,
                }
            )
            parcels.append((waybill, cod))
        insert_rows(conn, Order, orders)
        insert_rows(conn, CourierParcel, handed)
    return parcels


def remittance_file(parcels: list[tuple[str, int]]) -> tuple[bytes, int]:
    """The courier's report of every parcel; 0.3% of the rows wrong. (CSV bytes, wrong rows)."""
    from server.couriers.fees import FeeRule

    rule = FeeRule(150, 1500, 0, 1200)
    rng = random.Random(SEED + 1)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["J&T Express COD Remittance Report"])
    writer.writerow(["Waybill No.", "Delivered Date", "COD Amount", "COD Fee", "Net Remittance"])
    wrong = 0
    for waybill, cod in parcels:
        fee = rule.allowed(cod)
        remitted = cod - fee
        roll = rng.random()
        if roll < 0.001:
            remitted -= 5000  # short
            wrong += 1
        elif roll < 0.002:
            fee += 1000  # above contract
            remitted -= 1000
            wrong += 1
        elif roll < 0.003:
            waybill = "X" + waybill  # not ours
            wrong += 1
        writer.writerow(
            [waybill, "2026-12-01", f"{cod / 100:,.2f}", f"{fee / 100:.2f}", f"{remitted / 100:,.2f}"]
        )
    return out.getvalue().encode(), wrong


async def _measure(url: str, rows: int) -> dict[str, Any]:
    from server.couriers import services
    from server.writes import finish

    db = Database(url, finish=finish)
    try:
        t0 = time.perf_counter()
        parcels = await db.run_write(_seed, rows)
        seed_s = time.perf_counter() - t0
        data, wrong = remittance_file(parcels)
        t0, cpu0 = time.perf_counter(), time.process_time()
        batch_id = await services.import_remittance(db, "jnt", data, "bench.csv", "bench")
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        out = await db.run_read(services.batch_out, batch_id)
    finally:
        await db.dispose()
    return {
        "reconcile_rows_per_s": round(rows / elapsed, 1),
        "reconcile_s": round(elapsed, 3),
        # CPU seconds of this process (its threads, SQLite included): what a loaded machine does
        # not inflate the way it inflates wall time.
        "reconcile_cpu_s": round(cpu, 3),
        "reconcile_rows_per_cpu_s": round(rows / cpu, 1),
        "rows": rows,
        "rows_written": out.rows_new,
        "file_mb": round(len(data) / 1e6, 2),
        "wrong_rows": wrong,
        "findings": out.findings,
        "seed_s": round(seed_s, 2),
        "database": backend(url),
    }


def measure(*, database_url: str | None = None, rows: int = ROWS) -> dict[str, Any]:
    """Reconcile a crafted file of `rows` rows on a fresh database; the figures, printed by nobody
    (`bodega bench reconcile` and `bodega bench cod` print them)."""
    with fresh_database(database_url) as url:
        upgrade(url)
        result = run(_measure(url, rows))
    result["findings_ok"] = result["findings"] == result["wrong_rows"] and result["rows_written"] == rows
    return result


def main(*, database_url: str | None = None, rows: int = ROWS) -> dict[str, Any]:
    result = measure(database_url=database_url, rows=rows)
    print(
        table(
            [
                ("measure", "value", "target"),
                ("rows reconciled", f"{rows:,} ({result['file_mb']} MB CSV)", ""),
                ("time", f"{result['reconcile_s']:.2f} s ({result['reconcile_cpu_s']:.2f} s CPU)", ""),
                ("reconciled (rows/s)", f"{result['reconcile_rows_per_s']:,.0f}", ">= 50,000"),
                ("per CPU second (rows/s)", f"{result['reconcile_rows_per_cpu_s']:,.0f}", ""),
                ("findings (= wrong rows)", f"{result['findings']} ({result['wrong_rows']})", "equal"),
                ("database", result["database"], ""),
            ]
        )
    )
    print(json.dumps(result))
    return result
