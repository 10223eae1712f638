"""Pre-orders on both databases: a listing whose stock rule has `preorder_days` shows free units
plus units arriving within that many Manila days; a normal listing and a bundle only free units.
Inbound changes (a shipment created, a customs hold, a new date, units received) mark only the
pre-order listings for a push, and received units are not counted twice. At Manila midnight the
windows move a day: the durable job pushes the pre-order listings that newly show incoming units
(a fake clock drives the worker and the fake platforms take the pushes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

import server.channels.sellable as sellable
import server.inbound.services as inbound_services
from server.catalog.models import Sku
from server.channels.jobs import PREORDER_WINDOW, move_preorder_window, schedule_preorder_window
from server.channels.models import Listing, ListingStock, Shop
from server.channels.push import PUSH, push_shop
from server.db import Database
from server.jobs import Worker
from server.jobs.models import Job
from tests.channels.fakes import KEY, SECRET, TOKEN, fake_platforms
from tests.conftest import run
from tests.kit.sync import connect
from tests.kit.world import seed_world

TODAY = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 Dec in Manila: the window ends 15 Dec
API = {"base_url": "https://partner.example", "app_key": "1", "app_secret": "k"}


@pytest.fixture(autouse=True)
def setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BODEGA_JOBS_WORKER", "0")  # these tests read the due marks, nothing pushes
    monkeypatch.setattr(sellable, "now", lambda: TODAY)
    monkeypatch.setattr(inbound_services, "now", lambda: TODAY)


def _world(database_url: str, admin: Any) -> dict[str, str]:
    """Shopee sells CABLE-1M and the starter set with pre-orders up to 14 days; Lazada sells
    CABLE-1M without. 10 cables and 3 cases free at VAL."""
    run(seed_world(database_url, {("CABLE-1M", "VAL"): 10, ("CASE-BLK", "VAL"): 3}))
    with connect(database_url) as conn:
        skus = dict(conn.execute(select(Sku.code, Sku.id)).all())
        shopee = conn.execute(select(Shop.id).where(Shop.code == "shopee-main")).scalar_one()
        lazada = uuid.uuid4()
        conn.execute(insert(Shop).values(id=lazada, channel="lazada", code="lazada-main", name="Lazada"))
        set_id, lz_id = uuid.uuid4(), uuid.uuid4()
        conn.execute(
            insert(Listing).values(
                id=set_id, shop_id=shopee, item_id="1002", model_id="2002", sku_id=skus["SET-STARTER"]
            )
        )
        conn.execute(
            insert(Listing).values(
                id=lz_id, shop_id=lazada, item_id="9", model_id="9", sku_id=skus["CABLE-1M"]
            )
        )
        cable = conn.execute(
            select(Listing.id).where(Listing.shop_id == shopee, Listing.item_id == "1001")
        ).scalar_one()
        conn.commit()
    for shop, platform in (("shopee-main", "shopee"), ("lazada-main", "lazada")):
        answer = admin.put(f"/api/v1/shops/{shop}/connection", json={"platform": platform, **API})
        assert answer.status_code == 200, answer.text
    assert admin.put("/api/v1/shops/shopee-main/stock-rule", json={"preorder_days": 14}).status_code == 200
    return {"preorder": str(cable), "normal": str(lz_id), "bundle": str(set_id)}


def _should(admin: Any, listings: dict[str, str]) -> dict[str, int]:
    return {k: admin.get(f"/api/v1/listings/{v}/stock").json()["should"] for k, v in listings.items()}


def _seq(database_url: str) -> dict[str, int]:
    with connect(database_url) as conn:
        rows = conn.execute(select(ListingStock.listing_id, ListingStock.due_seq))
        return {str(a): int(b) for a, b in rows}


def _marked(before: dict[str, int], after: dict[str, int], listings: dict[str, str]) -> set[str]:
    return {k for k, v in listings.items() if after.get(v, 0) > before.get(v, 0)}


def _ship(admin: Any, expected: str, n: int = 1) -> None:
    if n == 1:
        r = admin.post(
            "/api/v1/inbound/suppliers",
            json={"code": "GZ-1", "name": "Guangzhou Cables", "country": "CN", "currency": "CNY"},
        )
        assert r.status_code == 201, r.text
    r = admin.post(
        "/api/v1/inbound/purchase-orders",
        json={
            "number": f"PO-{n}",
            "supplier": "GZ-1",
            "warehouse": "VAL",
            "lines": [{"sku": "CABLE-1M", "qty": 6, "unit_cost": 800}],
        },
    )
    assert r.status_code == 201, r.text
    r = admin.post(
        "/api/v1/inbound/shipments",
        json={
            "code": f"ASN-{n}",
            "warehouse": "VAL",
            "expected_on": expected,
            "lines": [{"po": f"PO-{n}", "line_no": 1, "qty": 6}],
        },
    )
    assert r.status_code == 201, r.text


def test_preorder_listing_shows_incoming_in_its_window_and_follows_the_shipment(
    database_url: str, admin: Any
) -> None:
    listings = _world(database_url, admin)
    assert _should(admin, listings) == {"preorder": 10, "normal": 10, "bundle": 3}

    before = _seq(database_url)
    _ship(admin, "2026-12-10")  # inside the 14 days
    assert _marked(before, _seq(database_url), listings) == {"preorder"}
    assert _should(admin, listings) == {"preorder": 16, "normal": 10, "bundle": 3}

    # Customs holds it until the 20th, past the window: the promise drops at once, a push is due.
    before = _seq(database_url)
    held = admin.post(
        "/api/v1/inbound/shipments/ASN-1/milestones",
        json={
            "milestone": "held",
            "actual_on": "2026-12-01",
            "note": "papers",
            "new_expected_on": "2026-12-20",
        },
    )
    assert held.status_code in (200, 201), held.text
    assert _marked(before, _seq(database_url), listings) == {"preorder"}
    assert _should(admin, listings) == {"preorder": 10, "normal": 10, "bundle": 3}

    # Released and re-dated to the 5th: back in the window.
    before = _seq(database_url)
    moved = admin.post(
        "/api/v1/inbound/shipments/ASN-1/milestones",
        json={"milestone": "delivered_to_warehouse", "expected_on": "2026-12-05"},
    )
    assert moved.status_code in (200, 201), moved.text
    assert _marked(before, _seq(database_url), listings) == {"preorder"}
    assert _should(admin, listings)["preorder"] == 16

    # 4 of the 6 arrive: on hand rises as incoming falls, nothing counted twice; every listing of
    # the SKU is due (its free stock moved).
    before = _seq(database_url)
    got = admin.post(
        "/api/v1/inbound/shipments/ASN-1/receipts",
        json={"key": "R-1", "bin": "A-01-01", "lines": [{"sku": "CABLE-1M", "qty": 4}]},
    )
    assert got.status_code in (200, 201), got.text
    assert _marked(before, _seq(database_url), listings) >= {"preorder", "normal"}
    assert _should(admin, listings) == {"preorder": 16, "normal": 14, "bundle": 3}

    # The rest arrive and the shipment closes: nothing is incoming any more.
    got = admin.post(
        "/api/v1/inbound/shipments/ASN-1/receipts",
        json={"key": "R-2", "bin": "A-01-01", "lines": [{"sku": "CABLE-1M", "qty": 2}]},
    )
    assert got.status_code in (200, 201), got.text
    assert admin.get("/api/v1/inbound/shipments/ASN-1").json()["status"] == "closed"
    assert _should(admin, listings) == {"preorder": 16, "normal": 16, "bundle": 3}


def test_listing_rule_wins_and_buffers_apply_to_the_promise(database_url: str, admin: Any) -> None:
    listings = _world(database_url, admin)
    _ship(admin, "2026-12-10")
    # The listing's own rule wins over the shop's: a 7-day window misses the 10th.
    rule = admin.put(f"/api/v1/listings/{listings['preorder']}/stock-rule", json={"preorder_days": 7})
    assert rule.status_code == 200
    assert _should(admin, listings)["preorder"] == 10
    rule = admin.put(
        f"/api/v1/listings/{listings['preorder']}/stock-rule", json={"preorder_days": 9, "buffer_units": 2}
    )
    assert rule.status_code == 200
    assert _should(admin, listings)["preorder"] == 14  # 10 free + 6 on the 10th - 2 held back


def test_a_bad_preorder_window_is_refused_naming_the_field(database_url: str, admin: Any) -> None:
    listings = _world(database_url, admin)
    for bad in (-1, 91, "soon", 1.5, None):
        for url in (
            "/api/v1/shops/shopee-main/stock-rule",
            f"/api/v1/listings/{listings['normal']}/stock-rule",
        ):
            answer = admin.put(url, json={"preorder_days": bad})
            assert answer.status_code == 422, (bad, answer.text)
            assert "preorder_days" in answer.text
    assert admin.put("/api/v1/shops/shopee-main/stock-rule", json={"preorder_days": 90}).status_code == 200


def test_at_manila_midnight_the_window_moves_and_newly_in_window_units_are_pushed(
    database_url: str, admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 10:00 on 1 Dec in Manila (the 14-day window ends on the 15th), in a year after the real
    # clock's: what the writes ask for at the real now is due by then.
    start = datetime(2030, 12, 1, 2, 0, tzinfo=UTC)
    clock = [start]
    monkeypatch.setattr(sellable, "now", lambda: clock[0])
    monkeypatch.setattr(inbound_services, "now", lambda: clock[0])
    with fake_platforms() as (base, state):
        _world(database_url, admin)
        for shop, platform in (("shopee-main", "shopee"), ("lazada-main", "lazada")):
            api = {"base_url": base, "app_key": KEY, "app_secret": SECRET, "access_token": TOKEN}
            answer = admin.put(f"/api/v1/shops/{shop}/connection", json={"platform": platform, **api})
            assert answer.status_code == 200, answer.text
        _ship(admin, "2030-12-16")  # a day past the window
        _ship(admin, "2030-12-19", n=2)  # four days past it

        def shown() -> tuple[int, int]:
            return state.stock[("shopee", "1001", "2001")], state.stock[("lazada", "9", "9")]

        async def go() -> None:
            db = Database(database_url)
            try:
                await db.run_write(schedule_preorder_window, clock[0])
                worker = Worker(
                    db, {PUSH: push_shop, PREORDER_WINDOW: move_preorder_window}, clock=lambda: clock[0]
                )

                async def at(when: datetime) -> list[tuple[str, str]]:
                    clock[0] = when
                    ran: list[tuple[str, str]] = []
                    while done := await worker.run_once():
                        ran.extend((job.kind, outcome) for job, outcome in done)
                    return ran

                def midnight(day: int) -> datetime:  # 00:00 in Manila on that December day
                    return datetime(2030, 12, day, tzinfo=UTC) - timedelta(hours=8)

                await at(start)  # connecting pushed everything once
                assert shown() == (10, 10)
                pushes = len(state.pushes)
                assert await at(midnight(2) - timedelta(seconds=1)) == []  # not yet midnight
                # Midnight: the window reaches the 16th; the pre-order listing alone shows the 6.
                ran = await at(midnight(2))
                assert (PREORDER_WINDOW, "done") in ran and (PUSH, "done") in ran
                assert shown() == (16, 10)
                assert [p.platform for p in state.pushes[pushes:]] == ["shopee"]
                assert await _next_run(db) == midnight(3)
                # The next midnight brings nothing new: nothing is pushed.
                pushes = len(state.pushes)
                assert await at(midnight(3)) == [(PREORDER_WINDOW, "done")]
                assert len(state.pushes) == pushes
                # The server was down over two midnights: the late run catches up (the 19th is in).
                assert await at(midnight(6) + timedelta(hours=3)) == [
                    (PREORDER_WINDOW, "done"),
                    (PUSH, "done"),
                ]
                assert shown() == (22, 10)
                assert await _next_run(db) == midnight(7)
            finally:
                await db.dispose()

        run(go())
        assert state.bad_signatures == 0


async def _next_run(db: Database) -> datetime:
    async with db.reader.connect() as conn:
        when = (await conn.execute(select(Job.run_at).where(Job.kind == PREORDER_WINDOW))).scalar_one()
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
