"""Stock out (issue 12 points 7 and 8): sellable quantity per listing (buffers, exclusivity, bundles,
campaign locks), pushes on every availability change through the durable jobs to the fake
platforms, and the multi-channel race: three channels selling the last units of one SKU at once
while their pushes are held back."""

from __future__ import annotations

import asyncio
import time
import uuid

import msgspec
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.channels.models import Listing, Shop
from server.channels.push import drift
from server.channels.sellable import targets
from server.channels.stock_services import (
    ConnectionIn,
    StockRuleIn,
    set_campaign_lock,
    set_connection,
    set_stock_rule,
)
from server.db import Database
from server.db.orm import orm_session
from server.exceptions.models import ExceptionRecord
from server.inventory.ledger import Movement, post_movements
from server.jobs import Worker
from server.orders.ingest import ingest_batch
from server.orders.models import Order
from server.orders.schemas import OrderIn
from tests.channels.fakes import KEY, SECRET, TOKEN, fake_platforms
from tests.conftest import run
from tests.kit.world import order_payload, seed_world, totals

CHANNELS = ("lazada", "shopee", "tiktok")
ITEM = {"lazada": "3001", "shopee": "4001", "tiktok": "5001"}  # numeric: Shopee wants numbers
MODEL = "7001"


def _setup(conn: Connection, base: str | None) -> dict[str, uuid.UUID]:
    """Lazada and TikTok shops beside the world's Shopee one; CASE-BLK listed on all three and the
    starter bundle on Lazada; each shop connected to the fake platforms at `base`."""
    with orm_session(conn) as s:
        from server.catalog.models import Sku

        skus = {sku.code: sku.id for sku in s.scalars(select(Sku))}
        shops = {"shopee": s.scalar(select(Shop).where(Shop.code == "shopee-main"))}
        assert shops["shopee"] is not None
        for channel in ("lazada", "tiktok"):
            shops[channel] = Shop(channel=channel, code=f"{channel}-main", name=channel)
            s.add(shops[channel])
        s.flush()
        listings: dict[str, uuid.UUID] = {}
        for channel, shop in shops.items():
            assert shop is not None
            listing = Listing(shop_id=shop.id, item_id=ITEM[channel], model_id=MODEL, sku_id=skus["CASE-BLK"])
            s.add(listing)
            s.flush()
            listings[channel] = listing.id
        lazada = shops["lazada"]
        assert lazada is not None
        bundle = Listing(shop_id=lazada.id, item_id="3002", model_id=MODEL, sku_id=skus["SET-STARTER"])
        s.add(bundle)
        s.flush()
        listings["bundle"] = bundle.id
    if base is not None:
        for channel in ("lazada", "shopee", "tiktok"):
            set_connection(
                conn,
                f"{channel}-main",
                ConnectionIn(
                    platform=channel,
                    base_url=base,
                    app_key=KEY,
                    app_secret=SECRET,
                    access_token=TOKEN,
                    extra={"shop_cipher": "ROW_c", "warehouse_ids": ["w1"]},
                ),
                "test",
            )
    return listings


def _receive(conn: Connection, sku: str, qty: int) -> None:
    from server.catalog.models import Sku
    from server.inventory.models import Warehouse

    sku_id = conn.execute(select(Sku.id).where(Sku.code == sku)).scalar_one()
    val = conn.execute(select(Warehouse.id).where(Warehouse.code == "VAL")).scalar_one()
    post_movements(conn, [Movement(sku_id, val, "receive" if qty > 0 else "adjust", qty, actor="test")])


def _targets(conn: Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, bool]]:
    return {k: (t.qty, t.clamped) for k, t in targets(conn, ids).items()}


def test_sellable_quantity_per_listing(database_url: str) -> None:
    async def go() -> None:
        await seed_world(
            database_url, {("CASE-BLK", "VAL"): 10, ("CASE-BLK", "CEB"): 2, ("CABLE-1M", "VAL"): 7}
        )
        db = Database(database_url)
        try:
            ids = await db.run_write(_setup, None)
            lz, sp, tt, bundle = ids["lazada"], ids["shopee"], ids["tiktok"], ids["bundle"]
            every = [lz, sp, tt, bundle]
            got = await db.run_read(_targets, every)
            # 12 across both warehouses; the bundle takes 1 case + 2 cables: min(12, 7 // 2) = 3.
            assert got == {lz: (12, False), sp: (12, False), tt: (12, False), bundle: (3, False)}
            await db.run_write(set_stock_rule, "lazada-main", None, StockRuleIn(buffer_units=2))
            await db.run_write(set_stock_rule, "tiktok-main", None, StockRuleIn(buffer_percent=10))
            await db.run_write(
                set_stock_rule, "tiktok-main", tt, StockRuleIn(buffer_percent=25)
            )  # listing wins
            got = await db.run_read(_targets, every)
            assert got[lz] == (10, False) and got[tt] == (9, False) and got[bundle] == (1, False)
            # Fewer than 15 left: only Shopee sells it (the rule on the other shops' listings).
            rule = StockRuleIn(only_shop_below=15, only_shop="shopee-main")
            await db.run_write(set_stock_rule, "lazada-main", lz, rule)
            got = await db.run_read(_targets, every)
            assert got[lz] == (0, False) and got[sp] == (12, False)
            # Shopee locked 20 for a campaign: we push 20 (never refused), flagged as clamped.
            await db.run_write(set_campaign_lock, sp, 20)
            assert (await db.run_read(_targets, [sp]))[sp] == (20, True)
            assert [d.listing_id for d in await db.run_read(drift)] == [sp]
        finally:
            await db.dispose()

    run(go())


def _ingest(conn: Connection, orders: list[OrderIn]) -> list[str]:
    return [getattr(r, "status", "error") for r in ingest_batch(conn, orders, "test")]


def _order(shop: str, n: int, qty: int = 1) -> OrderIn:
    body = order_payload(f"{shop}-{n}", [("CASE-BLK", qty)], shop=shop)
    return msgspec.convert(body, OrderIn, strict=False)


def _held(conn: Connection) -> tuple[int, int]:
    held = conn.execute(select(func.count()).select_from(Order).where(Order.status == "on_hold")).scalar_one()
    exceptions = conn.execute(
        select(func.count()).select_from(ExceptionRecord).where(ExceptionRecord.kind == "order_on_hold")
    ).scalar_one()
    return int(held), int(exceptions)


async def _drain(worker: Worker) -> None:
    while await worker.run_once():
        pass


def test_every_availability_change_is_pushed_to_each_channel(database_url: str) -> None:
    with fake_platforms() as (base, state):

        async def go() -> None:
            await seed_world(database_url, {("CASE-BLK", "VAL"): 5, ("CABLE-1M", "VAL"): 4})
            db = Database(database_url)
            try:
                ids = await db.run_write(_setup, base)
                worker = Worker(db)
                await _drain(worker)  # connecting pushes everything once
                assert all(state.stock[(c, ITEM[c], MODEL)] == 5 for c in CHANNELS)
                assert state.stock[("lazada", "3002", MODEL)] == 2  # the bundle: min(5, 4 // 2)
                # An order reserves 2: every channel hears 3, the bundle 2 -> min(3, 4//2) = 2.
                assert await db.run_write(_ingest, [_order("shopee-main", 1, 2)]) == ["allocated"]
                await _drain(worker)
                assert [state.stock[(c, ITEM[c], MODEL)] for c in CHANNELS] == [3, 3, 3]
                assert state.stock[("lazada", "3002", MODEL)] == 2
                calls = len(state.pushes)
                await _drain(worker)
                assert len(state.pushes) == calls  # nothing changed: nothing pushed again
                # A receipt frees stock: pushed up again; the last push is recorded per listing.
                await db.run_write(_receive, "CASE-BLK", 10)
                await _drain(worker)
                assert state.stock[("tiktok", ITEM["tiktok"], MODEL)] == 13
                assert await db.run_read(drift) == []
                assert state.bad_signatures == 0
                del ids
            finally:
                await db.dispose()

        run(go())


def test_a_refused_push_is_recorded_and_retried(database_url: str) -> None:
    with fake_platforms() as (base, state):

        async def go() -> None:
            await seed_world(database_url, {("CASE-BLK", "VAL"): 4})
            db = Database(database_url)
            try:
                await db.run_write(_setup, base)
                state.rate_limited = 100  # every platform says "slow down" for a long while
                worker = Worker(db)
                outcomes = {o for _, o in await worker.run_once()}
                assert outcomes == {"ready"}  # retried later, not lost
                state.rate_limited = 0
                assert await db.run_read(drift) == []  # still due, not drift
                from server.jobs.models import Job

                async with db.reader.connect() as conn:
                    rows = (
                        await conn.execute(
                            select(Job.state, Job.last_error).where(Job.kind == "channel.push")
                        )
                    ).all()
                assert {r[0] for r in rows} == {"ready"}
                assert all("rate limit" in r[1] for r in rows)
            finally:
                await db.dispose()

        run(go())


def test_three_channels_race_for_the_last_units_while_pushes_are_delayed(database_url: str) -> None:
    """Three channels show 3 units; each sells one at once (stock reaches zero), then — their
    pushes held back at the platforms — each sells one more. The ledger never oversells, the
    orders beyond stock are held with an exception, and each channel's exposure (from stock
    reaching zero to its zero push landing) is measured and printed."""
    with fake_platforms() as (base, state):

        async def go() -> dict[str, float]:
            await seed_world(database_url, {("CASE-BLK", "VAL"): 3})
            db = Database(database_url)
            try:
                await db.run_write(_setup, base)
                worker = Worker(db)
                await _drain(worker)
                assert all(state.stock[(c, ITEM[c], MODEL)] == 3 for c in CHANNELS)
                state.gate.clear()  # the platforms hold every stock update from now on
                first = await asyncio.gather(
                    *(db.run_write(_ingest, [_order(f"{c}-main", 1)]) for c in CHANNELS)
                )
                zero_at = time.monotonic()
                assert sorted(s for r in first for s in r) == ["allocated"] * 3
                pushing = asyncio.create_task(_drain(worker))
                # Still showing 3 on every channel: each sells one more before its push lands.
                late = await asyncio.gather(
                    *(db.run_write(_ingest, [_order(f"{c}-main", 2)]) for c in CHANNELS)
                )
                assert sorted(s for r in late for s in r) == ["on_hold"] * 3
                assert {state.stock[(c, ITEM[c], MODEL)] for c in CHANNELS} == {3}
                state.gate.set()
                await pushing
                await _drain(worker)
                reserved, on_hand, statuses, ok = await totals(database_url)
                assert (reserved, on_hand, ok) == (3, 3, True)  # never oversold
                assert statuses.get("allocated") == 3 and statuses.get("on_hold") == 3
                assert await db.run_read(_held) == (3, 3)
                assert {state.stock[(c, ITEM[c], MODEL)] for c in CHANNELS} == {0}
                return {
                    c: min(
                        p.at for p in state.pushes if p.platform == c and p.qty == 0 and p.item_id == ITEM[c]
                    )
                    - zero_at
                    for c in CHANNELS
                }
            finally:
                await db.dispose()

        exposure = run(go())
    print("exposure after stock reached zero (s):", {c: round(s, 3) for c, s in exposure.items()})
    assert set(exposure) == set(CHANNELS)
