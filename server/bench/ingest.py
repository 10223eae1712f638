"""`bodega bench ingest`: orders per second through the real server on a fresh SQLite file, or on
a database of its own on a PostgreSQL server (--database-url, with --workers server processes).

1. a trivial endpoint (/health) under wrk, for the server's own ceiling on this machine;
2. one new order per request (1-3 lines) under wrk with 64 connections, each answered only after
   its reservation committed (group commit);
3. bulk ingestion through /api/v1/orders/batch;
then counts units reserved beyond stock (must be 0) and runs the ledger verification.
Some SKUs are deliberately scarce so the allocation runs out and orders go on hold mid-run.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
from sqlalchemy.engine import Connection

from server.auth.passwords import hash_password
from server.auth.services import add_device, add_user
from server.bench.harness import (
    HERE,
    backend,
    check_stock,
    check_workers,
    fresh_database,
    run,
    running_server,
    table,
    wrk,
)
from server.catalog.models import Sku
from server.channels.models import Shop
from server.db import Database
from server.db.migrate import upgrade
from server.db.orm import orm_session
from server.inventory.ledger import Movement, post_movements
from server.inventory.models import Warehouse

SKU_COUNT = 200
BULK_BATCH = 1000
BULK_ADDRESS = {
    "name": "Ana Reyes",
    "phone": "+639181234567",
    "street": "5 Mabini St.",
    "barangay": "Lahug",
    "city": "Cebu City",
    "province": "Cebu",
    "region": "VII",
    "zip_code": "6000",
}


async def seed(url: str) -> tuple[str, list[str]]:
    db = Database(url)
    try:
        return await db.run_write(_seed)
    finally:
        await db.dispose()


def _seed(conn: Connection) -> tuple[str, list[str]]:
    """Two warehouses, a shop, the SKUs with their stock, and an admin's token."""
    with orm_session(conn) as s:
        val = Warehouse(
            code="VAL",
            name="Valenzuela",
            region="NCR",
            priority=10,
            serves_regions=["NCR", "III", "IV-A"],
        )
        ceb = Warehouse(
            code="CEB",
            name="Mandaue",
            region="VII",
            priority=20,
            serves_regions=["VI", "VII", "VIII", "XI"],
        )
        s.add_all([val, ceb, Shop(channel="shopee", code="bench-shop", name="Bench shop")])
        skus = [Sku(code=f"BENCH-{i:04d}", name=f"Bench item {i}") for i in range(SKU_COUNT)]
        s.add_all(skus)
        s.flush()
        # Every tenth SKU is scarce (20 units) so it sells out and later orders are held.
        moves = [
            Movement(sku.id, wh.id, "receive", 20 if i % 10 == 0 else 1_000_000, actor="bench")
            for i, sku in enumerate(skus)
            for wh in (val, ceb)
        ]
        post_movements(conn, moves)
        admin = add_user(
            s, username="bench-admin", password_hash=hash_password("bench-password"), role="admin"
        )
        _, token = add_device(s, admin.id, "bench")
        return token, [sku.code for sku in skus]


def bulk(url: str, token: str, skus: list[str], total: int) -> tuple[float, int, int]:
    """Orders per second through the batch endpoint, orders accepted, and 5xx answers."""
    import random

    rng = random.Random(7)
    batches = []
    for b in range(total // BULK_BATCH):
        orders = []
        for i in range(BULK_BATCH):
            lines = [
                {"sku": rng.choice(skus), "qty": rng.randint(1, 2), "unit_price": "199.00"}
                for _ in range(rng.randint(1, 3))
            ]
            orders.append(
                {
                    "shop": "bench-shop",
                    "external_id": f"bulk-{b}-{i}",
                    "payment_method": "cod",
                    "placed_at": "2026-11-11T00:05:00+08:00",
                    "address": BULK_ADDRESS,
                    "lines": lines,
                }
            )
        batches.append(json.dumps({"orders": orders}).encode())
    accepted = server_errors = 0
    started = time.perf_counter()
    with httpx.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=120,
    ) as client:
        for body in batches:
            response = client.post("/api/v1/orders/batch", content=body)
            if response.status_code >= 500:
                server_errors += 1
                continue
            response.raise_for_status()
            accepted += len(response.json()["results"])
    return accepted / (time.perf_counter() - started), accepted, server_errors


def main(
    duration: int = 10, connections: int = 64, workers: int = 1, database_url: str | None = None
) -> dict[str, Any]:
    check_workers(database_url, workers)
    with fresh_database(database_url) as url:
        upgrade(url)
        token, skus = run(seed(url))
        with running_server(url, workers=workers) as server:
            trivial = wrk(
                f"{server.url}/health", HERE / "trivial.lua", duration=duration, connections=connections
            )
            env = {"BENCH_TOKEN": token, "BENCH_SKUS": ",".join(skus), "BENCH_RUN": uuid.uuid4().hex[:6]}
            wrk(
                server.url,
                HERE / "orders.lua",
                duration=2,
                connections=connections,
                env=env | {"BENCH_RUN": "warm"},
            )
            single = wrk(server.url, HERE / "orders.lua", duration=duration, connections=connections, env=env)
            bulk_rate, bulk_count, bulk_5xx = bulk(server.url, token, skus, 20 * BULK_BATCH)
        stock = check_stock(url)
    over, ledger_ok, statuses = stock.oversold, stock.verify_ok, stock.statuses
    figures = {
        "orders_per_s": round(single["rps"], 1),
        "p99_ms": round(single["p99_us"] / 1000, 2),
        "p50_ms": round(single["p50_us"] / 1000, 2),
        "single_errors": single["errors"] + single["non2xx"],
        "server_errors_5xx": single["s5xx"] + bulk_5xx,
        "bulk_orders_per_s": round(bulk_rate, 1),
        "bulk_orders": bulk_count,
        "trivial_rps": round(trivial["rps"], 1),
        "oversold": over,
        "verify_ok": ledger_ok,
        "orders_on_hold": statuses.get("on_hold", 0),
        "orders_allocated": statuses.get("allocated", 0),
        "connections": connections,
        "database": backend(url),
        "server_processes": workers,
        "duration_s": duration,
    }
    print(
        table(
            [
                ("measure", "value", "target"),
                ("single-order ingest (orders/s)", f"{figures['orders_per_s']:,.0f}", ">= 2,500"),
                ("single-order p99 latency (ms)", f"{figures['p99_ms']}", "<= 50"),
                ("single-order p50 latency (ms)", f"{figures['p50_ms']}", ""),
                ("single-order errors / non-2xx", str(figures["single_errors"]), "0"),
                ("5xx answers (single + bulk)", str(figures["server_errors_5xx"]), "0"),
                ("bulk ingest (orders/s)", f"{figures['bulk_orders_per_s']:,.0f}", ">= 20,000"),
                ("trivial endpoint (req/s)", f"{figures['trivial_rps']:,.0f}", "(ceiling)"),
                ("units oversold", str(over), "0"),
                ("bodega verify", "ok" if ledger_ok else "DRIFT", "ok"),
                ("orders held (scarce SKUs)", str(figures["orders_on_hold"]), "> 0"),
            ]
        )
    )
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
