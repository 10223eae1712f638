"""The stock-out endpoints: connecting a shop, buffers per shop or listing, campaign locks, what a
listing should show and what was pushed, and the drift list; refusals name the field."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import run
from tests.kit.world import seed_world


@pytest.fixture(autouse=True)
def no_background_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    # The app's worker would push to the (unreachable) base URL meanwhile; these tests read state.
    monkeypatch.setenv("BODEGA_JOBS_WORKER", "0")


def test_connect_set_rules_and_read_a_listings_stock(database_url: str, admin: Any) -> None:
    run(seed_world(database_url, {("CABLE-1M", "VAL"): 10}))
    listing = admin.get("/api/v1/listings/", params={"shop": "shopee-main"}).json()["items"][0]
    answer = admin.put(
        "/api/v1/shops/shopee-main/connection",
        json={
            "platform": "shopee",
            "base_url": "https://partner.shopeemobile.com",
            "app_key": "1",
            "app_secret": "k",
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["platform"] == "shopee" and "app_secret" not in answer.json()
    shown = admin.get(f"/api/v1/listings/{listing['id']}/stock").json()
    assert (shown["should"], shown["push_due"], shown["pushed_qty"]) == (10, True, None)
    assert admin.put("/api/v1/shops/shopee-main/stock-rule", json={"buffer_units": 3}).status_code == 200
    assert admin.get(f"/api/v1/listings/{listing['id']}/stock").json()["should"] == 7
    assert (
        admin.put(f"/api/v1/listings/{listing['id']}/stock-rule", json={"buffer_percent": 50}).status_code
        == 200
    )
    assert admin.get(f"/api/v1/listings/{listing['id']}/stock").json()["should"] == 5
    assert admin.put(f"/api/v1/listings/{listing['id']}/campaign-lock", json={"locked": 8}).status_code == 200
    shown = admin.get(f"/api/v1/listings/{listing['id']}/stock").json()
    assert (shown["should"], shown["sellable"], shown["clamped"]) == (8, 5, True)
    assert admin.get("/api/v1/channels/drift").json() == []  # due for a push: not drift yet


def test_bad_input_is_refused_naming_the_field(database_url: str, admin: Any) -> None:
    run(seed_world(database_url))
    listing = admin.get("/api/v1/listings/").json()["items"][0]
    bad = admin.put(f"/api/v1/listings/{listing['id']}/stock-rule", json={"buffer_percent": 150})
    assert bad.status_code == 422 and "buffer_percent" in bad.text
    bad = admin.put(
        "/api/v1/shops/shopee-main/connection", json={"platform": "ebay", "base_url": "https://x.y"}
    )
    assert bad.status_code == 422 and "platform" in bad.text
    bad = admin.put("/api/v1/shops/nope/stock-rule", json={})
    assert bad.status_code == 404
    bad = admin.put("/api/v1/shops/shopee-main/stock-rule", json={"only_shop": "nope", "only_shop_below": 3})
    assert bad.status_code == 404 and "only_shop" in bad.text


def test_only_admins_change_stock_rules(database_url: str, client: Any, tokens: dict[str, str]) -> None:
    run(seed_world(database_url))
    headers = {"Authorization": f"Bearer {tokens['supervisor']}"}
    assert client.put("/api/v1/shops/shopee-main/stock-rule", json={}, headers=headers).status_code == 403
    assert client.get("/api/v1/channels/drift", headers=headers).status_code == 200


def test_webhook_settings_and_api_connection_are_one_row_each_part_kept(
    database_url: str, admin: Any
) -> None:
    from sqlalchemy import select

    from server.channels.models import ShopConnection
    from tests.kit.sync import connect

    run(seed_world(database_url))
    settings = {"platform": "shopee", "secret": "partner-key", "callback_url": "https://x.example/hook"}
    assert admin.put("/api/v1/shops/shopee-main/channel-settings", json=settings).status_code == 200
    api = {
        "platform": "shopee",
        "base_url": "https://partner.shopeemobile.com",
        "app_key": "1",
        "app_secret": "k",
    }
    assert admin.put("/api/v1/shops/shopee-main/connection", json=api).status_code == 200
    assert admin.put("/api/v1/shops/shopee-main/channel-settings", json=settings).status_code == 200
    with connect(database_url) as conn:
        rows = conn.execute(
            select(
                ShopConnection.base_url,
                ShopConnection.app_secret,
                ShopConnection.webhook_secret,
                ShopConnection.callback_url,
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("https://partner.shopeemobile.com", "k", "partner-key", "https://x.example/hook")
    ]
