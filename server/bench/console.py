"""`bodega bench console`: the office console's heavy reads against a year's worth of orders.

A fresh database (SQLite, or PostgreSQL with --database-url) gets 1,000,000 orders, bulk-loaded
as rows (not through ingestion: that has its own bench): the last 30 days at 20,000 orders a day
with their history (shipped, delivered or returned), parcels with waybills, COD cash collected and
some exceptions; the 400,000 before them as older, delivered orders. Then, against a real server
(`bodega serve`) on loopback:

1. order search, GET /api/v1/orders by external id, customer phone and waybill (the console's
   search box): 300 searches for orders picked at random, p95 in ms. Target <= 100 ms.
2. the KPI page, GET /api/v1/kpis for the 30 days by day (after the nightly rollup has run over
   the closed days, as it has in a live system; today is computed live). Target <= 500 ms.
3. the daily operations PDF of the busiest day, GET /api/v1/reports/daily.pdf. Target <= 2 s.

The readable table comes first; the last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Table, create_engine, text

from server.auth.passwords import hash_password
from server.auth.services import add_device, add_user
from server.bench.harness import backend, fresh_database, running_server, table
from server.business_day import manila_day
from server.channels.models import Shop
from server.cod.models import CashLedgerEntry
from server.db.bulk import insert_rows
from server.db.migrate import upgrade
from server.db.orm import orm_session
from server.exceptions.models import ExceptionRecord
from server.inventory.models import Warehouse
from server.kpis.rollup import recent_days, roll_up
from server.orders.models import Order, OrderStatusChange
from server.shipping.models import Parcel

ORDERS = int(os.environ.get("BODEGA_BENCH_CONSOLE_ORDERS", "1000000"))
PER_DAY = int(os.environ.get("BODEGA_BENCH_CONSOLE_PER_DAY", "20000"))
DAYS = 30
SEARCHES = 300
CHUNK = 20_000
TARGETS = {"search_p95_ms": 100.0, "kpi_ms": 500.0, "daily_pdf_s": 2.0}
CHANNELS = ("shopee", "lazada", "tiktok", "webstore")
CITIES = (
    ("Malinta", "Valenzuela", "Metro Manila", "NCR", "1440"),
    ("Lahug", "Cebu City", "Cebu", "VII", "6000"),
)


def _sync_url(url: str) -> str:
    return url.replace("+asyncpg", "+psycopg2").replace("+aiosqlite", "")


def _seed(conn: Any) -> dict[str, Any]:
    with orm_session(conn) as s:
        whs = [
            Warehouse(code="VAL", name="Valenzuela", region="NCR", priority=10, serves_regions=["NCR"]),
            Warehouse(code="CEB", name="Mandaue", region="VII", priority=20, serves_regions=["VII"]),
        ]
        shops = [Shop(channel=c, code=f"bench-{c}", name=f"Bench {c}") for c in CHANNELS]
        s.add_all([*whs, *shops])
        s.flush()
        admin = add_user(
            s, username="bench-admin", password_hash=hash_password("bench-password"), role="admin"
        )
        _, token = add_device(s, admin.id, "bench")
        return {
            "token": token,
            "warehouses": [w.id for w in whs],
            "shops": [(x.id, x.channel) for x in shops],
        }


class Rows:
    """The generated rows of one chunk of orders, by table."""

    def __init__(self) -> None:
        self.orders: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.parcels: list[dict[str, Any]] = []
        self.cash: list[dict[str, Any]] = []
        self.exceptions: list[dict[str, Any]] = []


def generate(seed: dict[str, Any], now: datetime, total: int, per_day: int) -> Iterator[Rows]:
    """Orders oldest first; the newest `DAYS * per_day` in the last 30 days (today included)."""
    rng = random.Random(7)
    today = manila_day(now)
    recent = min(total, DAYS * per_day)
    older = total - recent
    rows = Rows()
    for i in range(total):
        if i < older:
            day_back = DAYS + 1 + (older - i) * 20 // max(older, 1)
        else:
            day_back = DAYS - 1 - (i - older) // per_day
        day = today - timedelta(days=day_back)
        placed = (
            datetime(day.year, day.month, day.day, tzinfo=UTC)
            - timedelta(hours=8)
            + timedelta(seconds=rng.randrange(86_000))
        )
        if placed > now:
            placed = now - timedelta(seconds=rng.randrange(3600))
        shop_id, channel = seed["shops"][i % len(CHANNELS)]
        wh = seed["warehouses"][i % 2]
        b, city, prov, region, zip_code = CITIES[i % 2]
        cod = rng.random() < 0.7
        amount = rng.randrange(10_000, 500_000, 50)
        ship_by = placed + timedelta(hours=36)
        age = (now - placed).total_seconds()
        fate = rng.random()
        status = "allocated"
        oid = uuid.uuid4()
        events: list[tuple[str, datetime]] = []
        if age > 6 * 3600 and fate < 0.97:
            shipped = placed + timedelta(hours=rng.uniform(4, 40))
            if shipped < now:
                events.append(("shipped", shipped))
                status = "shipped"
                done = shipped + timedelta(hours=rng.uniform(20, 90))
                if done < now:
                    if fate < 0.9:
                        events.append(("delivered", done))
                        status = "delivered"
                    else:
                        events.append(("return_to_sender", done))
                        status = "return_to_sender"
        elif fate >= 0.97:
            status = "cancelled"
            events.append(("cancelled", placed + timedelta(hours=2)))
        rows.orders.append(
            {
                "id": oid,
                "shop_id": shop_id,
                "channel": channel,
                "external_id": f"{channel[:2].upper()}{i:09d}",
                "status": status,
                "channel_status": "",
                "payment_method": "cod" if cod else "prepaid",
                "cod_amount": amount if cod else 0,
                "total_amount": amount,
                "shipping_fee": 0,
                "customer_name": f"Customer {i}",
                "phone": f"+63917{i:07d}",
                "street": f"Blk {i % 90} Lot 2",
                "barangay": b,
                "city": city,
                "province": prov,
                "region": region,
                "zip_code": zip_code,
                "placed_at": placed,
                "ship_by": ship_by,
                "channel_updated_at": placed,
                "payload_hash": "-",
                "warehouse_id": wh,
                "hold_reason": None,
                "address_flag": None,
                "created_at": placed,
                "updated_at": placed,
                "logged_at": placed,
            }
        )
        if i >= older:  # the history the KPIs read: the last 30 days only
            prev = "allocated"
            for to, at in events:
                rows.history.append(
                    {
                        "order_id": oid,
                        "from_status": prev,
                        "to_status": to,
                        "actor": "bench",
                        "reason": "",
                        "at": at,
                    }
                )
                prev = to
                if to == "delivered" and cod:
                    rows.cash.append(
                        {
                            "holder": f"rider{i % 50}",
                            "amount": amount,
                            "kind": "collected",
                            "order_ref": str(oid),
                            "ref": "",
                            "op_id": None,
                            "created_at": at,
                        }
                    )
            if fate < 0.02:
                rows.exceptions.append(
                    {
                        "id": uuid.uuid4(),
                        "kind": "bench",
                        "status": "resolved",
                        "message": "bench",
                        "order_id": oid,
                        "sku_id": None,
                        "warehouse_id": wh,
                        "details": {},
                        "created_at": placed,
                        "resolved_at": placed + timedelta(hours=5),
                        "resolved_by": "bench",
                        "resolution": "ok",
                        "logged_at": placed,
                    }
                )
        if events and events[0][0] == "shipped":
            rows.parcels.append(
                {
                    "id": uuid.uuid4(),
                    "order_id": oid,
                    "warehouse_id": wh,
                    "waybill": f"JT{i:010d}",
                    "courier": "jnt",
                    "weight_grams": 300,
                    "parcel_count": 1,
                    "lines": [],
                    "packed_by": "bench",
                    "packed_at": events[0][1],
                    "batch_id": None,
                    "handed_over_at": events[0][1],
                    "handed_over_by": "bench",
                }
            )
        if len(rows.orders) >= CHUNK:
            yield rows
            rows = Rows()
    if rows.orders:
        yield rows


async def _copy(url: str, chunks: Iterator[Rows]) -> int:
    """PostgreSQL: COPY, the fast way in."""
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, database=u.database
    )
    try:
        n = 0
        for rows in chunks:
            for model, items in (
                (Order, rows.orders),
                (OrderStatusChange, rows.history),
                (Parcel, rows.parcels),
                (CashLedgerEntry, rows.cash),
                (ExceptionRecord, rows.exceptions),
            ):
                if not items:
                    continue
                table: Table = model.__table__  # type: ignore[assignment]
                cols = [c for c in items[0] if c in table.c]
                records = [
                    tuple(json.dumps(r[c]) if isinstance(r[c], dict | list) else r[c] for c in cols)
                    for r in items
                ]
                await conn.copy_records_to_table(table.name, records=records, columns=cols)
            n += len(rows.orders)
        await conn.execute("ANALYZE")
        return n
    finally:
        await conn.close()


def load(url: str, seed: dict[str, Any], now: datetime) -> tuple[int, float]:
    start = time.perf_counter()
    chunks = generate(seed, now, ORDERS, PER_DAY)
    if backend(url) == "postgresql":
        n = asyncio.run(_copy(url, chunks))
    else:
        engine = create_engine(_sync_url(url))
        n = 0
        with engine.begin() as conn:
            for rows in chunks:
                insert_rows(conn, Order, rows.orders)
                for model, items in (
                    (OrderStatusChange, rows.history),
                    (Parcel, rows.parcels),
                    (CashLedgerEntry, rows.cash),
                    (ExceptionRecord, rows.exceptions),
                ):
                    if items:
                        insert_rows(conn, model, items)
                n += len(rows.orders)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        engine.dispose()
    return n, time.perf_counter() - start


def _rollup(url: str, now: datetime) -> float:
    """The nightly job's work over the closed days, as it would have run each night."""
    start = time.perf_counter()
    engine = create_engine(_sync_url(url))
    with engine.begin() as conn:
        roll_up(conn, recent_days(now, DAYS), now)
    engine.dispose()
    return time.perf_counter() - start


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(base: str, token: str, now: datetime) -> dict[str, Any]:
    rng = random.Random(11)
    h = {"Authorization": f"Bearer {token}"}
    out: dict[str, Any] = {}
    with httpx.Client(base_url=base, headers=h, timeout=60) as client:
        kinds: dict[str, list[float]] = {"external_id": [], "phone": [], "waybill": []}
        supported: dict[str, bool] = {}
        for kind in kinds:
            # A branch without this filter answers the whole list: that is not a search.
            probe = client.get("/api/v1/orders", params={kind: _value(kind, 5), "limit": 1})
            supported[kind] = probe.status_code == 200 and probe.json()["total"] <= 1
        for n in range(SEARCHES):
            kind = [k for k in kinds if supported[k]][n % max(1, sum(supported.values()))]
            if not supported[kind]:
                break
            i = rng.randrange(ORDERS)
            t = time.perf_counter()
            r = client.get("/api/v1/orders", params={kind: _value(kind, i)})
            kinds[kind].append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.text
        every = [v for vs in kinds.values() for v in vs]
        out["search_p95_ms"] = round(_p(every, 0.95), 1) if every else None
        out["search_p50_ms"] = round(_p(every, 0.5), 1) if every else None
        out["search_kinds"] = {k: round(_p(v, 0.95), 1) for k, v in kinds.items() if v}
        out["search_unsupported"] = [k for k, ok in supported.items() if not ok]
        today = manila_day(now)
        params = {
            "from": (today - timedelta(days=DAYS - 1)).isoformat(),
            "to": today.isoformat(),
            "by": "day",
        }
        r = client.get("/api/v1/kpis", params=params)  # warm
        times = []
        for _ in range(5):
            t = time.perf_counter()
            r = client.get("/api/v1/kpis", params=params)
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text
        out["kpi_ms"] = round(statistics.median(times) * 1000, 1)
        sla = next(k for k in r.json()["kpis"] if k["key"] == "sla")
        out["kpi_orders_counted"] = int(sla["denominator"])
        by_ch = {**params, "by": "channel"}
        t = time.perf_counter()
        assert client.get("/api/v1/kpis", params=by_ch).status_code == 200
        out["kpi_by_channel_ms"] = round((time.perf_counter() - t) * 1000, 1)
        day = (today - timedelta(days=3)).isoformat()
        times = []
        r = client.get("/api/v1/reports/daily.pdf", params={"date": day})  # warm
        for _ in range(3):
            t = time.perf_counter()
            r = client.get("/api/v1/reports/daily.pdf", params={"date": day})
            times.append(time.perf_counter() - t)
            assert r.status_code == 200 and r.content.startswith(b"%PDF")
        out["daily_pdf_s"] = round(statistics.median(times), 3)
        out["daily_pdf_bytes"] = len(r.content)
    return out


def _value(kind: str, i: int) -> str:
    channel = CHANNELS[i % len(CHANNELS)]
    if kind == "external_id":
        return f"{channel[:2].upper()}{i:09d}"
    if kind == "phone":
        return f"0917{i:07d}"
    return f"JT{i:010d}"


def main(database_url: str | None = None) -> dict[str, Any]:
    from server.db import Database
    from server.writes import finish

    now = datetime.now(UTC)
    with fresh_database(database_url) as url:
        upgrade(url)

        async def seed() -> dict[str, Any]:
            db = Database(url, finish=finish)
            try:
                return await db.run_write(_seed)
            finally:
                await db.dispose()

        s = asyncio.run(seed())
        n, load_s = load(url, s, now)
        rollup_s = _rollup(url, now)
        with running_server(url, env={"BODEGA_JOBS_WORKER": "0"}) as server:
            figures = measure(server.url, s["token"], now)
    result = {
        "database": backend(url),
        "orders": n,
        "orders_per_day": PER_DAY,
        "load_s": round(load_s, 1),
        "rollup_s": round(rollup_s, 1),
        **figures,
        "targets": TARGETS,
    }
    rows = [
        ("orders loaded", f"{n:,}", f"{load_s:.0f} s"),
        ("search p95 (ms)", str(figures["search_p95_ms"]), f"<= {TARGETS['search_p95_ms']:.0f}"),
        ("KPIs 30 days (ms)", str(figures["kpi_ms"]), f"<= {TARGETS['kpi_ms']:.0f}"),
        ("daily PDF (s)", str(figures["daily_pdf_s"]), f"<= {TARGETS['daily_pdf_s']}"),
    ]
    print(table(rows))
    print(json.dumps(result))
    return result
