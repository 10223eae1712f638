"""`bodega bench push`: time from a stock change to the last channel's push, in-process.

Three shops (Lazada, Shopee, TikTok) list the same 30 SKUs; their platforms are in-process fakes
with zero latency (httpx.MockTransport: platform latency is excluded, as the issue asks). Stock
changes are written as the app writes them (run_write, the reactions mark the listings push-due
and ask for the shops' push jobs in the same transaction); the jobs worker runs as in the server
(polling every 0.1 s). For each change we wait until all three platforms hold the new quantity;
`change_to_push_p99_s` is the 99th percentile of (last of the three pushes landing - the change
committing), over changes one at a time and in bursts of 10 at once. Table, then one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
from sqlalchemy.engine import Connection

from server.bench.harness import table

SKUS = 30
START = 1000
PLATFORMS = ("lazada", "shopee", "tiktok")


class Landing:
    """What the fake platforms hold, and waiters for a quantity to land on all three."""

    def __init__(self) -> None:
        self.qty: dict[tuple[str, str], int] = {}
        self.at: dict[tuple[str, str], float] = {}
        self.calls = 0
        self.waiters: list[tuple[str, int, asyncio.Future[float]]] = []

    def land(self, platform: str, item: str, qty: int) -> None:
        now = time.perf_counter()
        self.qty[(platform, item)] = qty
        self.at[(platform, item)] = now
        for waiter in list(self.waiters):
            item_w, want, future = waiter
            if all(self.qty.get((p, item_w)) == want for p in PLATFORMS) and not future.done():
                future.set_result(max(self.at[(p, item_w)] for p in PLATFORMS))
                self.waiters.remove(waiter)

    def wait_for(self, item: str, qty: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        if all(self.qty.get((p, item)) == qty for p in PLATFORMS):
            future.set_result(max(self.at[(p, item)] for p in PLATFORMS))
        else:
            self.waiters.append((item, qty, future))
        return future


def _transport(landing: Landing) -> httpx.MockTransport:
    async def handle(request: httpx.Request) -> httpx.Response:
        landing.calls += 1
        path = request.url.path
        if path.endswith("/product/stock/sellable/update"):
            form = dict(httpx.QueryParams(request.content.decode()))
            for sku in ElementTree.fromstring(form["payload"]).findall("./Product/Skus/Sku"):
                landing.land(
                    "lazada", sku.findtext("ItemId") or "", int(sku.findtext("SellableQuantity") or 0)
                )
            return httpx.Response(200, json={"code": "0", "data": {}})
        if path.endswith("/api/v2/product/update_stock"):
            body = json.loads(request.content)
            for model in body["stock_list"]:
                landing.land("shopee", str(body["item_id"]), int(model["seller_stock"][0]["stock"]))
            return httpx.Response(200, json={"error": "", "response": {"failure_list": []}})
        if path.endswith("/inventory/update"):
            item = path.split("/")[4]
            for sku in json.loads(request.content)["skus"]:
                landing.land("tiktok", item, sum(int(w["quantity"]) for w in sku["inventory"]))
            return httpx.Response(200, json={"code": 0, "data": {}})
        return httpx.Response(404, json={"code": "nope"})

    return httpx.MockTransport(handle)


def _seed(conn: Connection) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
    """A warehouse, SKUs with stock, three connected shops listing every SKU: (sku, warehouse, item)."""
    from server.catalog.models import Sku
    from server.channels.models import Listing, Shop
    from server.channels.stock_services import ConnectionIn, set_connection
    from server.db.orm import orm_session
    from server.inventory.ledger import Movement, post_movements
    from server.inventory.models import Warehouse

    with orm_session(conn) as s:
        warehouse = Warehouse(code="VAL", name="Valenzuela")
        s.add(warehouse)
        skus = [Sku(code=f"BENCH-{i:03d}", name=f"Bench SKU {i}") for i in range(SKUS)]
        s.add_all(skus)
        shops = [Shop(channel=p, code=f"{p}-bench", name=p) for p in PLATFORMS]
        s.add_all(shops)
        s.flush()
        for shop in shops:
            s.add_all(
                Listing(shop_id=shop.id, item_id=str(100000 + i), model_id=str(200000 + i), sku_id=sku.id)
                for i, sku in enumerate(skus)
            )
        s.flush()
        out = [(sku.id, warehouse.id, str(100000 + i)) for i, sku in enumerate(skus)]
    post_movements(conn, [Movement(sku, wh, "receive", START, actor="bench") for sku, wh, _ in out])
    for platform in PLATFORMS:
        set_connection(
            conn,
            f"{platform}-bench",
            ConnectionIn(
                platform=platform,
                base_url="http://platform.invalid",
                app_key="100200",
                app_secret="s",
                access_token="t",
                extra={"warehouse_ids": ["w1"]},
            ),
            "bench",
        )
    return out


def _change(conn: Connection, sku_id: uuid.UUID, warehouse_id: uuid.UUID, qty: int) -> None:
    from server.inventory.ledger import Movement, post_movements

    post_movements(conn, [Movement(sku_id, warehouse_id, "adjust", qty, reason="bench", actor="bench")])


async def _run(url: str, changes: int) -> dict[str, Any]:
    from server.channels.clients import client_for
    from server.channels.push import PUSH, push_shop
    from server.db import Database
    from server.jobs import Worker

    db = Database(url)
    landing = Landing()
    http = httpx.AsyncClient(transport=_transport(landing))
    clients = {p: client_for(p, http) for p in PLATFORMS}
    # Pushes only: the polls' fake answers are not what is measured.
    worker = Worker(db, {PUSH: push_shop}, services={"channel_clients": clients})
    try:
        skus = await db.run_write(_seed)
        expected = {item: START for _, _, item in skus}
        worker.start()
        await asyncio.gather(*(landing.wait_for(item, START) for item in expected))  # the first push
        rng = random.Random(12)
        latencies: list[float] = []

        async def one(sku: tuple[uuid.UUID, uuid.UUID, str]) -> float:
            delta = rng.choice((-1, 1))
            await db.run_write(_change, sku[0], sku[1], delta)
            committed = time.perf_counter()
            expected[sku[2]] += delta
            return (await landing.wait_for(sku[2], expected[sku[2]])) - committed

        for _ in range(changes // 2):  # one at a time
            latencies.append(await one(rng.choice(skus)))
        for _ in range(changes // 20):  # bursts of 10 different SKUs at once
            latencies.extend(await asyncio.gather(*(one(s) for s in rng.sample(skus, 10))))
    finally:
        await worker.stop()
        await http.aclose()
        await db.dispose()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {
        "changes": len(latencies),
        "change_to_push_p50_s": round(statistics.median(latencies), 4),
        "change_to_push_p99_s": round(p99, 4),
        "change_to_push_max_s": round(latencies[-1], 4),
        "platform_calls": landing.calls,
    }


def main(changes: int = 200) -> dict[str, Any]:
    from server.db.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        result = asyncio.run(_run(url, changes))
    print(
        table(
            [
                ("measure", "value", "target"),
                ("changes pushed to 3 channels", str(result["changes"]), ""),
                ("change -> last push p50 (s)", f"{result['change_to_push_p50_s']:.3f}", ""),
                ("change -> last push p99 (s)", f"{result['change_to_push_p99_s']:.3f}", "<= 2"),
                ("change -> last push max (s)", f"{result['change_to_push_max_s']:.3f}", ""),
                ("platform calls", str(result["platform_calls"]), ""),
            ]
        )
    )
    print(json.dumps(result))
    return result
