"""`bodega bench channels`: orders in from the sales channels, against the real server.

1. a burst of 2,000 signed Shopify-style webhooks (64 in flight), each answered once stored
   durably: the acknowledgement latency (p50/p99) — Lazada wants < 500 ms, our target is 50 ms;
2. the stored webhooks processed into orders by the server itself (storing one asks for the
   "channel.inbox" job, which the server's worker runs at once): the time from the burst's first
   webhook until every one of them was processed, as orders per second;
3. bulk ingestion through /api/v1/orders/batch (the batch endpoint's rate on this machine);
4. the same number of orders imported from a Shopee Seller Center export (CSV) through
   `import_orders`, in the same run: the CSV rate must be >= 90% of the bulk rate.
Figures on a loaded shared machine are indicative only: the CPU seconds every process of the run
(the bench, the server, the writer processes) spent per 1,000 orders, bulk against CSV, move much
less with the machine's load than the rates do. A table, then one JSON line last.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import hmac
import io
import json
import os
import statistics
import time
from typing import Any

import httpx
from sqlalchemy.engine import Connection

from server.bench.harness import backend, fresh_database, run, running_server, table
from server.bench.ingest import BULK_BATCH, bulk, seed
from server.channels.models import Listing, Shop, ShopConnection
from server.db import Database
from server.db.migrate import upgrade
from server.db.orm import orm_session
from server.intake.csv_import import COLUMNS, import_orders, with_writer_process
from server.runtime import settle_garbage_collector
from server.writes import finish

WEBHOOKS = 2000
WARM = 200
IN_FLIGHT = 64
SECRET = "bench-webhook-secret"
ORDERS = 10 * BULK_BATCH
ADDRESSES = [
    ("Ana Reyes", "09181234567", "5 Mabini St.", "Lahug", "Cebu City", "Cebu", "6000"),
    ("Juan dela Cruz", "09171234567", "12 Rizal Ave.", "Malinta", "Valenzuela City", "Metro Manila", "1440"),
    ("Maria Santos", "09221234567", "Blk 4 Lot 12", "Pinagbuhatan", "Pasig City", "Metro Manila", "1602"),
    ("Liza Aquino", "09181112222", "Purok 3", "Salitran II", "Dasmarinas", "Cavite", "4114"),
]


def _channels(conn: Connection, skus: list[str]) -> None:
    from sqlalchemy import select

    from server.catalog.models import Sku

    with orm_session(conn) as s:
        bench_shop = s.scalar(select(Shop).where(Shop.code == "bench-shop"))
        assert bench_shop is not None
        web = Shop(channel="webstore", code="bench-web", name="Bench web store")
        s.add(web)
        s.flush()
        s.add(ShopConnection(shop_id=web.id, platform="shopify", webhook_secret=SECRET, cod_gateways=["cod"]))
        ids = dict(s.execute(select(Sku.code, Sku.id)).tuples().all())
        for shop in (bench_shop, web):
            for i, code in enumerate(skus):
                s.add(
                    Listing(
                        shop_id=shop.id, item_id=f"P{i}", model_id=f"V{i}", channel_sku=code, sku_id=ids[code]
                    )
                )
        s.flush()


def webhook_bodies(skus: list[str], count: int = WEBHOOKS) -> list[tuple[bytes, str]]:
    bodies: list[tuple[bytes, str]] = []
    for n in range(count):
        name, phone, street, brgy, city, province, zip_code = ADDRESSES[n % len(ADDRESSES)]
        i = n % len(skus)
        order = {
            "id": 7_000_000_000_000 + n,
            "created_at": "2026-11-11T00:05:00+08:00",
            "updated_at": "2026-11-11T00:05:00+08:00",
            "gateway": "cod",
            "total_price": "438.00",
            "cancelled_at": None,
            "fulfillment_status": None,
            "line_items": [
                {"id": n * 10 + 1, "product_id": f"P{i}", "variant_id": f"V{i}", "sku": skus[i],
                 "quantity": 2, "price": "199.00"}
            ],
            "shipping_lines": [{"price": "40.00"}],
            "shipping_address": {
                "name": name, "phone": phone, "address1": street, "address2": brgy,
                "city": city, "province": province, "zip": zip_code,
            },
        }  # fmt: skip
        body = json.dumps(order).encode()
        mac = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
        bodies.append((body, mac))
    return bodies


async def burst(url: str, bodies: list[tuple[bytes, str]]) -> tuple[list[float], int]:
    """Every webhook's acknowledgement time (ms) with IN_FLIGHT outstanding, and non-200 answers.

    A bare HTTP/1.1 keep-alive client on asyncio streams: a full HTTP client library in this
    process would cost more CPU than the server's own work on this 2-core machine."""
    parsed = httpx.URL(url)
    requests = [
        (
            "POST /api/v1/channels/bench-web/webhook HTTP/1.1\r\nHost: bench\r\n"
            f"Content-Type: application/json\r\nX-Shopify-Hmac-Sha256: {mac}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
        for body, mac in bodies
    ]
    queue = list(reversed(requests))
    latencies: list[float] = []
    failures = 0

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
        try:
            while queue:
                request = queue.pop()
                started = time.perf_counter()
                writer.write(request)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                latencies.append((time.perf_counter() - started) * 1000)
                if not head.startswith(b"HTTP/1.1 200"):
                    failures += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    return latencies, failures


def export_csv(skus: list[str]) -> str:
    cols = COLUMNS["shopee"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(cols.values()))
    for n in range(ORDERS):
        name, phone, street, brgy, city, province, zip_code = ADDRESSES[n % len(ADDRESSES)]
        for line in range(1 + n % 3):
            row = {
                "order_id": f"CSV{n:07d}", "status": "To ship", "placed_at": "2026-11-11 00:05",
                "channel_sku": skus[(n + line) % len(skus)], "parent_sku": "", "qty": "1",
                "unit_price": "1,199.00", "shipping_fee": "40.00", "total": "",
                "payment_method": "Cash on Delivery",
                "name": name, "phone": phone, "street": street, "barangay": brgy, "city": city,
                "province": province, "zip_code": zip_code, "ship_by": "2026-11-12 23:59",
            }  # fmt: skip
            writer.writerow([row[key] for key in cols])
    return out.getvalue()


def tree_cpu_s() -> float:
    """User + system CPU seconds of this process and every live process under it (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [os.getpid()]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo.extend(int(child) for child in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended meanwhile
    return total


async def _csv(url: str, text: str) -> tuple[float, float, dict[str, int]]:
    settle_garbage_collector()  # as `bodega channels import-orders` does
    db = Database(url, finish=finish)
    try:
        await with_writer_process(db)  # as `bodega channels import-orders` runs
        started, cpu = time.perf_counter(), tree_cpu_s()
        report = await import_orders(db, "bench-shop", text, platform="shopee")
        rate = ORDERS / (time.perf_counter() - started)
        return rate, tree_cpu_s() - cpu, report.outcomes  # read while its writer process lives
    finally:
        await db.dispose()


def _inbox_counts(conn: Connection) -> tuple[int, int]:
    """(webhooks waiting to be processed, webhooks processed into an order)."""
    from sqlalchemy import func, select

    from server.channels.models import ChannelWebhook

    stmt = select(ChannelWebhook.state, func.count()).group_by(ChannelWebhook.state)
    rows: dict[str, int] = {state: int(n) for state, n in conn.execute(stmt)}
    return rows.get("new", 0), rows.get("done", 0)


async def processed(url: str, started: float, orders: int, deadline_s: float = 300.0) -> float:
    """Seconds from `started` until the server's worker has processed `orders` stored webhooks in
    all (read while it works: the bench runs no processing of its own) with none waiting."""
    db = Database(url)
    try:
        while True:
            waiting, done = await db.run_read(_inbox_counts)
            if waiting == 0 and done >= orders:
                return time.perf_counter() - started
            if time.perf_counter() - started > deadline_s:
                raise SystemExit(f"the server processed {done} of {orders} webhooks in {deadline_s:.0f} s")
            await asyncio.sleep(0.02)  # the server's work is what is waited for
    finally:
        await db.dispose()


async def webhooks(
    url: str, database_url: str, bodies: list[tuple[bytes, str]]
) -> tuple[list[float], int, float]:
    """The burst's acknowledgement times and failures, and the seconds until every webhook of the
    burst was an order (the server's own inbox job, not the bench, does the processing)."""
    db = Database(database_url)
    try:
        _, before = await db.run_read(_inbox_counts)
    finally:
        await db.dispose()
    started = time.perf_counter()
    latencies, failures = await burst(url, bodies)
    return latencies, failures, await processed(database_url, started, before + len(bodies))


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> dict[str, Any]:
    from server.address.psgc import warm

    warm()
    with fresh_database(None) as url:
        upgrade(url)
        token, skus = run(seed(url))

        async def channels() -> None:
            db = Database(url, finish=finish)
            try:
                await db.run_write(_channels, skus)
            finally:
                await db.dispose()

        run(channels())
        bodies = webhook_bodies(skus, WEBHOOKS + WARM)
        text = export_csv(skus)
        with running_server(url) as server:
            # Warm the server (keys cache, connections) with webhooks of their own, processed
            # before the burst starts.
            run(webhooks(server.url, url, bodies[WEBHOOKS:]))
            latencies, failures, inbox_s = run(webhooks(server.url, url, bodies[:WEBHOOKS]))
            cpu = tree_cpu_s()
            bulk_rate, bulk_count, bulk_5xx = bulk(server.url, token, skus, ORDERS)
            bulk_cpu = tree_cpu_s() - cpu
            csv_rate, csv_cpu, csv_outcomes = run(_csv(url, text))
    figures = {
        "webhook_ack_p99_ms": round(_p(latencies, 0.99), 2),
        "webhook_ack_p50_ms": round(statistics.median(latencies), 2),
        "webhook_non_200": failures,
        "webhooks": len(latencies),
        "inbox_orders_per_s": round(WEBHOOKS / inbox_s, 1),
        "inbox_all_orders_s": round(inbox_s, 2),
        "bulk_orders_per_s": round(bulk_rate, 1),
        "bulk_orders": bulk_count,
        "bulk_5xx": bulk_5xx,
        "csv_orders_per_s": round(csv_rate, 1),
        "csv_created": csv_outcomes.get("created", 0),
        "csv_vs_bulk": round(csv_rate / bulk_rate, 3) if bulk_rate else 0.0,
        "bulk_cpu_ms_per_1000": round(bulk_cpu / ORDERS * 1e6),
        "csv_cpu_ms_per_1000": round(csv_cpu / ORDERS * 1e6),
        "database": backend(url),
    }
    print(
        table(
            [
                ("measure", "value", "target"),
                ("webhook ack p99 (ms), burst of 2,000", f"{figures['webhook_ack_p99_ms']}", "<= 50"),
                ("webhook ack p50 (ms)", f"{figures['webhook_ack_p50_ms']}", ""),
                ("webhook answers not 200", str(failures), "0"),
                ("webhooks to orders by the server (s)", f"{inbox_s:.2f}", ""),
                ("  as orders/s", f"{figures['inbox_orders_per_s']:,.0f}", ""),
                ("bulk ingest (orders/s)", f"{figures['bulk_orders_per_s']:,.0f}", ""),
                ("CSV import (orders/s)", f"{figures['csv_orders_per_s']:,.0f}", ">= 90% of bulk"),
                ("CSV / bulk", f"{figures['csv_vs_bulk']:.0%}", ">= 90%"),
                ("bulk CPU, all processes (ms / 1,000 orders)", f"{figures['bulk_cpu_ms_per_1000']:,}", ""),
                ("CSV CPU, all processes (ms / 1,000 orders)", f"{figures['csv_cpu_ms_per_1000']:,}", ""),
            ]
        )
    )
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
