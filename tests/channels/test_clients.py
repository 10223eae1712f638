"""The platform API clients against the fake platforms (tests/channels/fakes.py), which check our
request signatures as each platform does: orders by id and by update-time window across pages,
absolute stock updates, back-off on rate limits, token refresh, Shopee's 15-day windows and its
lost-push recovery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server.channels.clients import PlatformError, ShopApi, StockPush, batches, client_for
from server.channels.clients.shopee import ShopeeClient, windows
from tests.channels.fakes import KEY, SECRET, TOKEN, FakeState, fake_platforms
from tests.conftest import run

PLATFORMS = ["lazada", "shopee", "tiktok", "shopify", "woocommerce"]
NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def _order(platform: str, n: int, update_time: int) -> dict[str, Any]:
    ident = f"5760000000000000{n:03d}"  # TikTok ids exceed 2^53: always strings
    if platform == "lazada":
        return {"order_id": ident, "update_time": update_time, "_items": [{"order_item_id": ident + "1"}]}
    if platform == "shopee":
        return {"order_sn": f"2012{n:04d}ABCD", "update_time": update_time, "cod": True}
    if platform == "tiktok":
        return {"id": ident, "update_time": update_time, "is_cod": True}
    return {"id": 4500 + n, "update_time": update_time}


def _id_of(platform: str, order: dict[str, Any]) -> str:
    return str(order.get("order_id") or order.get("order_sn") or order["id"])


def _shop(platform: str, base: str, **kw: Any) -> ShopApi:
    extra = {"shop_cipher": "ROW_cipher", "warehouse_ids": ["w1", "w2"], "location_id": 905684977}
    values: dict[str, Any] = {
        "shop_code": f"{platform}-main",
        "platform": platform,
        "base_url": base,
        "app_key": KEY,
        "app_secret": SECRET,
        "access_token": TOKEN,
        "refresh_token": "refresh-1",
        "external_shop_id": "654321",
        "extra": extra,
    }
    values.update(kw)
    return ShopApi(**values)


async def _with_client(platform: str, fn: Any, **kw: Any) -> Any:
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    async with httpx.AsyncClient() as http:
        client = client_for(platform, http, sleep=fake_sleep, clock=lambda: NOW, **kw)
        return await fn(client), delays


@pytest.mark.parametrize("platform", PLATFORMS)
def test_orders_by_window_and_by_id(platform: str) -> None:
    start = int(NOW.timestamp())
    with fake_platforms() as (base, state):
        state.orders[platform] = [_order(platform, n, start - 3600 + n) for n in range(5)]
        state.orders[platform].append(_order(platform, 99, start + 10))  # after the window
        shop = _shop(platform, base)

        async def go(client: Any) -> Any:
            listed = await client.list_orders(shop, NOW - timedelta(hours=2), NOW)
            one = await client.fetch_order(shop, _id_of(platform, state.orders[platform][2]))
            return listed, one

        (listed, one), _ = run(_with_client(platform, go))
        assert state.bad_signatures == 0
    assert sorted(_id_of(platform, o) for o in listed) == sorted(
        _id_of(platform, o) for o in state.orders[platform][:5]
    )
    assert _id_of(platform, one) == _id_of(platform, state.orders[platform][2])
    if platform == "lazada":
        assert one["items"] == [{"order_item_id": _id_of(platform, one) + "1"}]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_stock_updates_are_absolute_and_within_the_platforms_batch_limits(platform: str) -> None:
    pushes = [
        StockPush(item_id=str(1000 + i // 3), model_id=str(7000 + i), channel_sku=f"SKU-{i}", qty=i)
        for i in range(120)
    ]
    with fake_platforms() as (base, state):
        shop = _shop(platform, base)

        async def go(client: Any) -> None:
            for batch in batches(platform, pushes):
                await client.update_stock(shop, batch)

        run(_with_client(platform, go))
        assert state.bad_signatures == 0
        calls = [path for p, path in state.calls if p == platform]
    expected_calls = {"lazada": 3, "shopee": 40, "tiktok": 40, "shopify": 120, "woocommerce": 40}[platform]
    assert len(calls) == expected_calls
    for push in pushes:
        key = (platform, push.item_id, push.model_id)
        if platform == "shopify":
            key = (platform, push.model_id, "")
        assert state.stock[key] == push.qty


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_wrong_secret_is_refused_by_the_platform(platform: str) -> None:
    with fake_platforms() as (base, state):
        shop = _shop(
            platform,
            base,
            app_secret="not-the-secret",
            access_token="bad" if platform == "shopify" else TOKEN,
        )
        if platform == "woocommerce":
            shop = _shop(platform, base, app_secret="not-the-secret")

        async def go(client: Any) -> None:
            await client.update_stock(shop, [StockPush("1", "2", "S", 1)])

        with pytest.raises(PlatformError):
            run(_with_client(platform, go))
        assert state.bad_signatures == 1
        assert state.stock == {}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_rate_limits_back_off_then_succeed(platform: str) -> None:
    with fake_platforms() as (base, state):
        state.rate_limited = 2
        shop = _shop(platform, base)

        async def go(client: Any) -> None:
            await client.update_stock(shop, [StockPush("11", "22", "S", 5)])

        _, delays = run(_with_client(platform, go))
        assert len(delays) == 2
        assert delays == sorted(delays)  # growing back-off (or the platform's Retry-After)
        assert 5 in state.stock.values()


@pytest.mark.parametrize("platform", ["lazada", "shopee", "tiktok"])
def test_an_expired_token_is_refreshed_and_saved(platform: str) -> None:
    saved: list[ShopApi] = []

    async def save(shop: ShopApi) -> None:
        saved.append(shop)

    with fake_platforms() as (base, state):
        shop = _shop(platform, base, token_expires_at=NOW + timedelta(minutes=1))
        state.token = "token-2"  # the platform already considers token-1 expired

        async def go(client: Any) -> None:
            await client.update_stock(shop, [StockPush("11", "22", "S", 3)])
            await client.update_stock(shop, [StockPush("11", "22", "S", 4)])  # uses the new token

        run(_with_client(platform, go, save_tokens=save))
        assert state.stock[(platform, "11", "22")] == 4
    assert [s.access_token for s in saved] == ["token-2"]
    assert saved[0].refresh_token == "refresh-2"


def test_shopee_pulls_in_windows_of_at_most_15_days() -> None:
    assert len(windows(NOW - timedelta(days=40), NOW)) == 3
    start = int(NOW.timestamp())
    with fake_platforms() as (base, state):
        state.orders["shopee"] = [_order("shopee", n, start - n * 86400 - 5) for n in range(40)]
        shop = _shop("shopee", base)

        async def go(client: Any) -> Any:
            return await client.list_orders(shop, NOW - timedelta(days=40), NOW)

        listed, _ = run(_with_client("shopee", go))
        lists = [path for _, path in state.calls if path.endswith("get_order_list")]
    assert len(listed) == 40
    assert len(lists) == 3


def test_shopee_lost_push_messages_are_fetched_and_confirmed() -> None:
    with fake_platforms() as (base, state):
        shop = _shop("shopee", base)

        async def go(client: ShopeeClient) -> Any:
            messages, last = await client.lost_pushes(shop)
            assert last is not None
            await client.confirm_lost_pushes(shop, last)
            return messages

        messages, _ = run(_with_client("shopee", go))
        assert state.confirmed_lost == [176610]
    assert [m["data"]["data"]["ordersn"] for m in messages] == ["220810QSK8S7BX"]


def test_fake_state_defaults() -> None:
    assert FakeState().gate.is_set()


def test_our_own_request_budget_spaces_calls_per_shop() -> None:
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    with fake_platforms() as (base, state):
        shop = _shop("shopify", base)  # Shopify: 2 calls a second, bursts of 40
        tight = _shop(
            "shopify", base, shop_code="web-2", extra={"location_id": 1, "calls_per_s": 2, "burst": 2}
        )

        async def go() -> None:
            async with httpx.AsyncClient() as http:
                client = client_for("shopify", http, sleep=fake_sleep, clock=lambda: NOW)
                client.monotonic = lambda: 0.0
                for n in range(5):
                    await client.update_stock(tight, [StockPush(str(n), "", "S", n)])
                assert delays == [0.5, 0.5, 0.5]  # 2 at once, then one every half second
                for n in range(5):
                    await client.update_stock(shop, [StockPush(str(n), "", "S", n)])
                assert delays == [0.5, 0.5, 0.5]  # another shop: its own bucket of 40

        run(go())
        assert len(state.pushes) == 10
