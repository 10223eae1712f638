"""Webhooks end to end on SQLite and PostgreSQL: signed deliveries stored once and acknowledged,
bad signatures refused and counted, processing through the adapters into orders (hints fetched
through an OrderSource), duplicates and late versions harmless, unmapped listings and unknown
statuses held until someone maps them."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.catalog.models import Sku
from server.channels.models import (
    ChannelOrderState,
    ChannelWebhook,
    Listing,
    Shop,
    ShopConnection,
    SignatureFailure,
)
from server.db import Database
from server.db.orm import orm_session
from server.exceptions.models import ExceptionRecord
from server.intake.inbox import InboxReport, process_inbox
from server.intake.webhooks import forget_keys
from server.writes import finish
from tests.conftest import run
from tests.kit.world import seed_world

FIXTURES = Path(__file__).parents[2] / "fixtures" / "channels"
SECRET = "s3cret-webhook-key"
APP_KEY = "bodega-app"


@pytest.fixture(autouse=True)
def no_background_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests call process_inbox by hand; the app's worker (tests/channels/test_inbox_job.py)
    # would process the inbox meanwhile.
    monkeypatch.setenv("BODEGA_JOBS_WORKER", "0")


def fixture(platform: str, name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / platform / f"{name}.json").read_text())


def _seed(conn: Connection) -> None:
    with orm_session(conn) as s:
        skus = {code: Sku(code=code, name=code) for code in ("TUM", "STR", "BRU")}
        s.add_all(skus.values())
        shops = {
            "shopify-web": ("webstore", "shopify"),
            "tiktok-main": ("tiktok", "tiktok"),
            "shopee-ph": ("shopee", "shopee"),
            "woo-web": ("webstore", "woocommerce"),
        }
        for code, (channel, platform) in shops.items():
            shop = Shop(channel=channel, code=code, name=code)
            s.add(shop)
            s.flush()
            s.add(
                ShopConnection(
                    shop_id=shop.id,
                    platform=platform,
                    app_key=APP_KEY,
                    webhook_secret=SECRET,
                    callback_url=f"https://bodega.example/api/v1/channels/{code}/webhook",
                    cod_gateways=["cash on delivery (cod)"],
                )
            )
            for channel_sku, sku in (("TUMBLER-BLK-500", "TUM"), ("STRAW-SET-4", "STR"), ("BRUSH-1", "BRU")):
                if code == "tiktok-main" and sku == "TUM":
                    continue  # mapped later in the test, by its item/variation
                s.add(
                    Listing(
                        shop_id=shop.id, item_id=f"seed-{sku}", channel_sku=channel_sku, sku_id=skus[sku].id
                    )
                )
        s.flush()


@pytest.fixture
def world(database_url: str) -> str:
    run(seed_world(database_url))

    async def seed() -> None:
        db = Database(database_url, finish=finish)
        try:
            await db.run_write(_seed)
        finally:
            await db.dispose()

    run(seed())
    forget_keys()
    return database_url


def sign(platform: str, shop: str, body: bytes) -> dict[str, str]:
    if platform in ("shopify", "woocommerce"):
        mac = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
        return {"X-Shopify-Hmac-Sha256" if platform == "shopify" else "X-WC-Webhook-Signature": mac}
    if platform == "shopee":
        url = f"https://bodega.example/api/v1/channels/{shop}/webhook"
        return {
            "Authorization": hmac.new(SECRET.encode(), url.encode() + b"|" + body, hashlib.sha256).hexdigest()
        }
    return {"Authorization": hmac.new(SECRET.encode(), APP_KEY.encode() + body, hashlib.sha256).hexdigest()}


def post(client: Any, shop: str, platform: str, body: bytes, **headers: str) -> Any:
    return client.post(
        f"/api/v1/channels/{shop}/webhook",
        content=body,
        headers={"Content-Type": "application/json", **sign(platform, shop, body), **headers},
    )


class FakeSource:
    """The platform API, as processing sees it: the order's current detail by id."""

    def __init__(self) -> None:
        self.orders: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []

    async def fetch_order(self, shop: str, order_id: str) -> dict[str, Any]:
        self.calls.append((shop, order_id))
        return copy.deepcopy(self.orders[(shop, order_id)])


def process(url: str, source: FakeSource | None) -> InboxReport:
    async def go() -> InboxReport:
        db = Database(url, finish=finish)
        try:
            return await process_inbox(db, source)
        finally:
            await db.dispose()

    return run(go())


def read(url: str, fn: Any) -> Any:
    async def go() -> Any:
        db = Database(url, finish=finish)
        try:
            return await db.run_read(fn)
        finally:
            await db.dispose()

    return run(go())


def _webhook_states(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute(select(ChannelWebhook.state).order_by(ChannelWebhook.id)).all()]


def _exception_kinds(conn: Connection) -> list[str]:
    return sorted(r[0] for r in conn.execute(select(ExceptionRecord.kind)).all())


def _failures(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(SignatureFailure)).scalar_one()


def order(client: Any, external_id: str) -> dict[str, Any]:
    items = client.get("/api/v1/orders", params={"external_id": external_id}).json()["items"]
    assert len(items) == 1, items
    return items[0]


def test_signed_webhooks_become_orders_once(admin: Any, world: str) -> None:
    shopify = fixture("shopify", "order_cod")
    body = json.dumps(shopify).encode()
    first = post(
        admin,
        "shopify-web",
        "shopify",
        body,
        **{"X-Shopify-Webhook-Id": "wh-1", "X-Shopify-Topic": "orders/create"},
    )
    assert first.status_code == 200 and first.json()["received"] is True
    again = post(admin, "shopify-web", "shopify", body, **{"X-Shopify-Webhook-Id": "wh-1"})
    assert again.status_code == 200
    woo = json.dumps(fixture("woocommerce", "order_cod")).encode()
    assert post(admin, "woo-web", "woocommerce", woo).status_code == 200
    assert post(admin, "woo-web", "woocommerce", woo).status_code == 200  # same body: stored once
    hint = (FIXTURES / "shopee" / "push_order_status.json").read_bytes()
    assert post(admin, "shopee-ph", "shopee", hint).status_code == 200
    product = post(admin, "shopify-web", "shopify", b'{"id": 1}', **{"X-Shopify-Topic": "products/update"})
    assert product.status_code == 200  # acknowledged, stored, then ignored: not an order
    assert read(world, _webhook_states) == ["new", "new", "new", "new"]

    source = FakeSource()
    source.orders[("shopee-ph", "2611110ABCDE12")] = fixture("shopee", "order_detail_cod")
    report = process(world, source)
    assert (report.done, report.failed, report.outcomes) == (4, 0, {"created": 3})
    assert source.calls == [("shopee-ph", "2611110ABCDE12")]
    placed = order(admin, "5801234567890")
    assert placed["payment_method"] == "cod" and placed["cod_amount"] == 124700
    assert [(ln["sku"], ln["qty"]) for ln in placed["lines"]] == [("TUM", 3)]
    assert placed["city"] == "Quezon City" and placed["region"] == "NCR" and placed["address_flag"] is None
    shopee = order(admin, "2611110ABCDE12")
    assert shopee["channel_status"] == "READY_TO_SHIP" and shopee["cod_amount"] == 115250
    assert order(admin, "20431")["barangay"] == "Salitran II"

    # A redelivery, and an older version arriving late, change nothing.
    assert post(admin, "shopify-web", "shopify", body, **{"X-Shopify-Webhook-Id": "wh-2"}).status_code == 200
    older = copy.deepcopy(shopify)
    older["updated_at"] = "2026-11-11T00:09:40+08:00"
    older["line_items"][0]["quantity"] = 1
    assert post(admin, "shopify-web", "shopify", json.dumps(older).encode()).status_code == 200
    report = process(world, source)
    assert report.outcomes == {"unchanged": 1, "stale": 1}
    assert [(ln["sku"], ln["qty"]) for ln in order(admin, "5801234567890")["lines"]] == [("TUM", 3)]
    assert read(world, _webhook_states) == ["done"] * 6


def test_bad_signatures_refused_counted_never_stored(admin: Any, world: str) -> None:
    body = json.dumps(fixture("shopify", "order_cod")).encode()
    wrong = admin.post(
        "/api/v1/channels/shopify-web/webhook", content=body, headers={"X-Shopify-Hmac-Sha256": "AAAA"}
    )
    assert wrong.status_code == 401
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert wrong.json()["errors"][0]["field"] == "x-shopify-hmac-sha256"
    unsigned = admin.post("/api/v1/channels/tiktok-main/webhook", content=b'{"type":1}')
    assert unsigned.status_code == 401
    tampered = post(admin, "shopee-ph", "shopee", b'{"code":3}')
    tampered_body = b'{"code":4}'
    assert (
        admin.post(
            "/api/v1/channels/shopee-ph/webhook",
            content=tampered_body,
            headers=dict(tampered.request.headers),
        ).status_code
        == 401
    )
    assert admin.post("/api/v1/channels/nope/webhook", content=body).status_code == 404
    # WooCommerce's ping when a webhook is created carries no signature and must get a 200.
    ping = admin.post(
        "/api/v1/channels/woo-web/webhook",
        content=b"webhook_id=15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert ping.status_code == 200
    assert read(world, _failures) == 3
    assert read(world, _webhook_states) == ["new"]  # only the correctly signed {"code":3}


def test_held_orders_wait_for_a_listing_or_a_status_mapping(admin: Any, world: str) -> None:
    source = FakeSource()
    tiktok = (FIXTURES / "tiktok" / "webhook_order_status.json").read_bytes()
    asked_to_cancel = fixture("tiktok", "order_detail")
    asked_to_cancel["data"]["orders"][0]["is_buyer_request_cancel"] = True
    source.orders[("tiktok-main", "579123456789012345")] = asked_to_cancel
    assert post(admin, "tiktok-main", "tiktok", tiktok).status_code == 200
    unknown = fixture("shopee", "order_detail_unknown_status")
    unknown["response"]["order_list"][0]["order_sn"] = "2611110ZZZZZ99"
    source.orders[("shopee-ph", "2611110ZZZZZ99")] = unknown
    hint = (
        b'{"data":{"ordersn":"2611110ZZZZZ99","status":"AWAITING_SOMETHING_NEW"},'
        b'"shop_id":1,"code":3,"timestamp":1794327001}'
    )
    assert post(admin, "shopee-ph", "shopee", hint).status_code == 200

    report = process(world, source)
    assert (report.held, report.review) == (1, 1)
    assert read(world, _exception_kinds) == ["unknown_status", "unmapped_listing"]
    review = admin.get("/api/v1/channels/status-review").json()
    assert [(r["platform"], r["raw_status"], r["seen"]) for r in review] == [
        ("shopee", "AWAITING_SOMETHING_NEW", 1)
    ]
    report = process(world, source)  # still held: nothing new raised
    assert (report.held, report.review) == (1, 1)
    assert read(world, _exception_kinds) == ["unknown_status", "unmapped_listing"]

    mapped = admin.put(
        "/api/v1/channels/status-review/shopee/AWAITING_SOMETHING_NEW", json={"canonical": "to_ship"}
    )
    assert mapped.status_code == 200 and mapped.json()["canonical"] == "to_ship"
    listing = admin.post(
        "/api/v1/listings",
        json={
            "shop": "tiktok-main",
            "item_id": "1731000000000000001",
            "model_id": "1732000000000000001",
            "sku": "TUM",
        },
    )
    assert listing.status_code == 201, listing.text
    report = process(world, source)
    assert report.outcomes == {"created": 2}
    assert [(ln["sku"], ln["qty"]) for ln in order(admin, "579123456789012345")["lines"]] == [("TUM", 3)]
    assert order(admin, "2611110ZZZZZ99")["channel_status"] == "AWAITING_SOMETHING_NEW"
    assert admin.get("/api/v1/channels/status-review").json() == []
    # The cancellation request seen while the order was held is raised once it is an order.
    assert read(world, _exception_kinds).count("cancel_requested") == 1


def _channel_state(conn: Connection) -> list[tuple[str, str, str | None, list[str]]]:
    rows = conn.execute(
        select(
            ChannelOrderState.external_id,
            ChannelOrderState.raw_status,
            ChannelOrderState.canonical,
            ChannelOrderState.flags,
        )
    ).all()
    return [(a, b, c, list(d)) for a, b, c, d in rows]


def test_cancel_requests_and_cod_refusals_are_flags(admin: Any, world: str) -> None:
    source = FakeSource()
    hint = (FIXTURES / "shopee" / "push_order_status.json").read_bytes()
    source.orders[("shopee-ph", "2611110ABCDE12")] = fixture("shopee", "order_detail_in_cancel")
    assert post(admin, "shopee-ph", "shopee", hint).status_code == 200
    process(world, source)
    assert order(admin, "2611110ABCDE12")["status"] != "cancelled"
    assert "cancel_requested" in read(world, _exception_kinds)
    source.orders[("shopee-ph", "2611110ABCDE12")] = fixture("shopee", "order_detail_cod_rejected")
    assert post(admin, "shopee-ph", "shopee", hint.replace(b"1794327001", b"1794327002")).status_code == 200
    process(world, source)
    placed = order(admin, "2611110ABCDE12")
    assert placed["status"] != "cancelled" and placed["channel_status"] == "CANCELLED"
    assert "failed_delivery" in read(world, _exception_kinds)
    assert read(world, _channel_state) == [
        ("2611110ABCDE12", "CANCELLED", "failed_delivery", ["failed_delivery"])
    ]


def test_without_an_order_source_hints_wait_and_web_stores_go_in(admin: Any, world: str) -> None:
    hint = (FIXTURES / "shopee" / "push_order_status.json").read_bytes()
    assert post(admin, "shopee-ph", "shopee", hint).status_code == 200
    body = json.dumps(fixture("woocommerce", "order_cod")).encode()
    assert (
        post(admin, "woo-web", "woocommerce", body, **{"X-WC-Webhook-Topic": "order.updated"}).status_code
        == 200
    )
    report = process(world, None)
    assert report.outcomes == {"created": 1}
    assert read(world, _webhook_states) == ["new", "done"]  # the hint waits for the API client
