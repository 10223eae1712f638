"""Orders pulled from the platforms (issue 12 point 4) through the durable jobs: the periodic poll
by update-time window for each of the five platforms, Shopee's lost-push recovery, and the daily count
that flags orders the platform has and we do not. The orders are the platforms' own shapes
(fixtures/channels/), served by the fake platforms (which check our signatures) and read by the real
adapters (server/channels/adapters/) through the intake's mapping — the same path a webhook takes."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.catalog.models import Sku
from server.channel_orders.pull import POLL_EVERY_S, handlers, poll_shop
from server.channels.adapters import ADAPTERS
from server.channels.adapters.base import ShopSettings
from server.channels.fetch import adapter_payload
from server.channels.jobs import LOST_PUSH, POLL, RECONCILE
from server.channels.models import ChannelOrderState, Listing, Shop
from server.channels.stock_services import ConnectionIn, set_connection
from server.db import Database
from server.db.orm import orm_session
from server.exceptions.models import ExceptionRecord
from server.jobs import Worker
from server.jobs.models import Job
from server.orders.models import Order
from tests.channels.fakes import KEY, SECRET, TOKEN, fake_platforms
from tests.conftest import run
from tests.kit.world import seed_world

FIXTURES = Path(__file__).parents[2] / "fixtures" / "channels"
SHOPS = {  # shop code -> (Shop.channel, platform)
    "shopee-main": ("shopee", "shopee"),
    "lazada-ph": ("lazada", "lazada"),
    "tiktok-ph": ("tiktok", "tiktok"),
    "shopify-web": ("webstore", "shopify"),
    "woo-web": ("webstore", "woocommerce"),
}


def _fixture(path: str) -> Any:
    return json.loads((FIXTURES / path).read_text())


def platform_order(platform: str, order_id: str, update_time: int) -> dict[str, Any]:
    """The platform's documented order (fixtures/channels/), renumbered, as its fake serves it."""
    if platform == "shopee":
        raw = copy.deepcopy(_fixture("shopee/order_detail_cod.json")["response"]["order_list"][0])
        raw["order_sn"] = order_id
    elif platform == "lazada":
        doc = _fixture("lazada/order_cod.json")
        raw = {**doc["order"], "order_id": order_id}
        raw["_items"] = [{**i, "order_id": order_id} for i in doc["items"]]  # /order/items/get
    elif platform == "tiktok":
        raw = copy.deepcopy(_fixture("tiktok/order_detail.json")["data"]["orders"][0])
        raw["id"] = order_id
    else:
        raw = copy.deepcopy(_fixture(f"{platform}/order_cod.json"))
        raw["id"] = int(order_id)
    raw["update_time"] = update_time
    return raw


def _listings_for(platform: str, raw: dict[str, Any]) -> set[tuple[str, str]]:
    """The (item, variation) pairs the adapter reads in this order: the test maps them to a SKU."""
    payload = adapter_payload(
        platform, {**raw, "items": raw.get("_items", [])} if platform == "lazada" else raw
    )
    return {(ln.item_id, ln.model_id) for ln in ADAPTERS[platform](payload, ShopSettings()).lines}


class Clock:
    def __init__(self) -> None:
        self.at = datetime.fromtimestamp(int(time.time()) + 60, UTC)  # after the jobs' real run_at

    def __call__(self) -> datetime:
        return self.at


def _shops(conn: Connection, base: str, mapped: dict[str, set[tuple[str, str]]]) -> None:
    with orm_session(conn) as s:
        sku = s.execute(select(Sku).where(Sku.code == "CASE-BLK")).scalar_one()
        for code, (channel, _) in SHOPS.items():
            shop = s.execute(select(Shop).where(Shop.code == code)).scalar_one_or_none()
            if shop is None:
                shop = Shop(channel=channel, code=code, name=code)
                s.add(shop)
                s.flush()
            for item_id, model_id in sorted(mapped.get(code, set())):
                s.add(Listing(shop_id=shop.id, item_id=item_id, model_id=model_id, sku_id=sku.id))
        s.flush()
    for code, (_, platform) in SHOPS.items():
        set_connection(
            conn,
            code,
            ConnectionIn(
                platform=cast(Any, platform),
                base_url=base,
                app_key=KEY,
                app_secret=SECRET,
                access_token=TOKEN,
            ),
            "test",
        )


def _orders(conn: Connection) -> list[tuple[str, str, str]]:
    rows = conn.execute(
        select(Shop.code, Order.external_id, Order.payment_method).join(Shop, Shop.id == Order.shop_id)
    )
    return sorted((r[0], r[1], r[2]) for r in rows)


def _held(conn: Connection) -> list[tuple[str, str | None]]:
    rows = conn.execute(select(ChannelOrderState.external_id, ChannelOrderState.hold))
    return sorted((r[0], r[1]) for r in rows if r[1])


def _exceptions(conn: Connection, kind: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(ExceptionRecord.details).where(ExceptionRecord.kind == kind))
    return [dict(r[0]) for r in rows]


def _job_run_at(conn: Connection, kind: str) -> tuple[str, datetime]:
    row = conn.execute(select(Job.state, Job.run_at).where(Job.kind == kind)).first()
    assert row is not None
    return row[0], row[1]


async def _world(url: str, base: str, mapped: dict[str, set[tuple[str, str]]]) -> Database:
    await seed_world(url, {("CASE-BLK", "VAL"): 50})
    db = Database(url)
    await db.run_write(_shops, base, mapped)
    return db


def test_each_platforms_orders_are_pulled_through_its_adapter(database_url: str) -> None:
    clock = Clock()
    now_s = int(clock.at.timestamp())
    ids = {
        "shopee": "2612010AAAA01",
        "lazada": "512345678901",
        "tiktok": "576461413038785752",
        "shopify": "5801234500001",
        "woocommerce": "30001",
    }
    with fake_platforms() as (base, state):
        mapped: dict[str, set[tuple[str, str]]] = {}
        for code, (_, platform) in SHOPS.items():
            raw = platform_order(platform, ids[platform], now_s - 120)
            state.orders[platform] = [raw]
            mapped[code] = _listings_for(platform, raw)

        async def go() -> None:
            db = await _world(database_url, base, mapped)
            try:
                worker = Worker(db, {POLL: poll_shop}, clock=clock)
                outcomes = [o for j, o in await worker.run_once() if j.kind == POLL]
                assert outcomes == ["done"] * 5
                got = await db.run_read(_orders)
                assert got == sorted((code, ids[p], "cod") for code, (_, p) in SHOPS.items())
                assert await db.run_read(_held) == []
                state_, run_at = await db.run_read(_job_run_at, POLL)
                assert state_ == "ready" and run_at == clock.at + timedelta(seconds=POLL_EVERY_S)
                # The next round: a new Shopee order, and the rest again (unchanged, not doubled).
                state.orders["shopee"].append(platform_order("shopee", "2612010BBBB02", now_s + 100))
                clock.at += timedelta(seconds=POLL_EVERY_S)
                await worker.run_once()
                assert len(await db.run_read(_orders)) == 6
            finally:
                await db.dispose()

        run(go())
        assert state.bad_signatures == 0
        # Lazada lists headers only: each order's items were fetched with it.
        assert ("lazada", "/rest/order/items/get") in state.calls or any(
            p == "lazada" and c.endswith("/order/items/get") for p, c in state.calls
        )


def test_a_pulled_order_with_an_unmapped_listing_is_held_not_guessed(database_url: str) -> None:
    clock = Clock()
    with fake_platforms() as (base, state):
        state.orders["tiktok"] = [
            platform_order("tiktok", "576461413038700001", int(clock.at.timestamp()) - 5)
        ]

        async def go() -> None:
            db = await _world(database_url, base, {})
            try:
                await Worker(db, {POLL: poll_shop}, clock=clock).run_once()
                assert await db.run_read(_orders) == []
                held = await db.run_read(_held)
                assert [h[0] for h in held] == ["576461413038700001"] and "not mapped" in (held[0][1] or "")
                assert len(await db.run_read(_exceptions, "unmapped_listing")) == 1
            finally:
                await db.dispose()

        run(go())


def test_shopee_lost_pushes_are_recovered_and_confirmed(database_url: str) -> None:
    clock = Clock()
    with fake_platforms() as (base, state):
        # The order named in the documented get_lost_push_message sample.
        raw = platform_order("shopee", "220810QSK8S7BX", 1660123127)
        state.orders["shopee"] = [raw]

        async def go() -> None:
            db = await _world(database_url, base, {"shopee-main": _listings_for("shopee", raw)})
            try:
                worker = Worker(db, {k: h for k, h in handlers().items() if k == LOST_PUSH}, clock=clock)
                assert [o for _, o in await worker.run_once()] == ["done"]
                assert await db.run_read(_orders) == [("shopee-main", "220810QSK8S7BX", "cod")]
                assert (await db.run_read(_job_run_at, LOST_PUSH))[0] == "ready"  # periodic: again later
            finally:
                await db.dispose()

        run(go())
        assert state.confirmed_lost == [176610]


def test_the_daily_count_flags_orders_we_do_not_have(database_url: str) -> None:
    clock = Clock()
    now_s = int(clock.at.timestamp())
    with fake_platforms() as (base, state):
        state.orders["shopee"] = [
            platform_order("shopee", f"2612{n:02d}CCCC", now_s - 1 - 60 * n) for n in range(2)
        ]

        async def go() -> None:
            mapped = {"shopee-main": _listings_for("shopee", state.orders["shopee"][0])}
            db = await _world(database_url, base, mapped)
            try:
                poller = Worker(db, {POLL: poll_shop}, clock=clock)
                await poller.run_once()  # the poll takes both
                assert len(await db.run_read(_orders)) == 2
                # A webhook and the poll both missed this one (it slipped in under the window's end).
                state.orders["shopee"].append(platform_order("shopee", "261277DDDD", now_s - 30))
                clock.at += timedelta(hours=1)
                counter = Worker(db, {RECONCILE: handlers()[RECONCILE]}, clock=clock)
                assert RECONCILE in [j.kind for j, _ in await counter.run_once()]
                flagged = await db.run_read(_exceptions, "channel_orders_missing")
                assert len(flagged) == 1 and "261277DDDD" in flagged[0]["missing"]
            finally:
                await db.dispose()

        run(go())


@pytest.mark.parametrize("platform", ["lazada", "shopee"])
def test_adapter_payload_shapes(platform: str) -> None:
    raw = platform_order(platform, "1", 1)
    merged = {**raw, "items": raw.get("_items", [])}
    shaped = adapter_payload(platform, merged)
    if platform == "lazada":
        assert set(shaped) == {"order", "items"} and shaped["items"] and "items" not in shaped["order"]
    else:
        assert shaped is merged
