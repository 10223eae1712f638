"""Order ingestion: idempotency, later versions, validation, allocation and holds."""

from __future__ import annotations

from typing import Any

import pytest

from server.db import Database
from tests.conftest import hot_path_fixtures, run
from tests.kit.world import order_payload, seed_world, stock_of, verify_report

# The hot path: on SQLite also through the writer process, as `bodega serve` runs it.
database_url, writer_process = hot_path_fixtures()


@pytest.fixture
def world(database_url: str) -> Any:
    return run(
        seed_world(database_url, {("CASE-BLK", "VAL"): 5, ("CABLE-1M", "VAL"): 10, ("CASE-BLK", "CEB"): 3})
    )


def test_new_order_is_allocated_and_reserved(admin: Any, world: Any, database_url: str) -> None:
    r = admin.post("/api/v1/orders", json=order_payload("SHP-1", [("CASE-BLK", 2)]))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["outcome"] == "created"
    assert body["status"] == "allocated"
    assert body["warehouse"] == "VAL"
    assert stock_of(admin, "CASE-BLK", "VAL")["reserved"] == 2
    order = admin.get(f"/api/v1/orders/{body['id']}").json()
    assert order["cod_amount"] == 39800  # 2 x 199.00 pesos in centavos
    assert order["phone"] == "+639171234567"
    history = admin.get(f"/api/v1/orders/{body['id']}/history").json()["items"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [(None, "allocated")]
    assert history[0]["reason"] == "received from shopee-main; reserved in VAL"
    assert run(verify_report(database_url)).ok


def test_same_order_twice_changes_nothing(admin: Any, world: Any) -> None:
    payload = order_payload("SHP-2", [("CASE-BLK", 1)])
    first = admin.post("/api/v1/orders", json=payload).json()
    second = admin.post("/api/v1/orders", json=payload).json()
    assert second["outcome"] == "unchanged"
    assert second["id"] == first["id"]
    assert stock_of(admin, "CASE-BLK", "VAL")["reserved"] == 1
    assert admin.get("/api/v1/orders", params={"external_id": "SHP-2"}).json()["total"] == 1


def test_visayas_order_goes_to_cebu(admin: Any, world: Any) -> None:
    address = order_payload("x", [])["address"] | {
        "city": "Cebu City",
        "province": "Cebu",
        "region": "Central Visayas",
        "zip_code": "6000",
    }
    r = admin.post("/api/v1/orders", json=order_payload("SHP-3", [("CASE-BLK", 1)], address=address)).json()
    assert r["warehouse"] == "CEB"


def test_whole_order_from_one_warehouse_or_hold(admin: Any, world: Any, database_url: str) -> None:
    # 4 cases fit only VAL; soap is nowhere: the order is held whole and nothing is reserved.
    r = admin.post("/api/v1/orders", json=order_payload("SHP-4", [("CASE-BLK", 4), ("SOAP-KOJIC", 1)])).json()
    assert r["status"] == "on_hold"
    assert "SOAP-KOJIC needs 1" in r["hold_reason"]
    assert stock_of(admin, "CASE-BLK", "VAL")["reserved"] == 0
    assert run(verify_report(database_url)).ok


def test_bundle_reserves_components(admin: Any, world: Any) -> None:
    r = admin.post("/api/v1/orders", json=order_payload("SHP-5", [("SET-STARTER", 2)])).json()
    assert r["status"] == "allocated"
    assert stock_of(admin, "CASE-BLK", "VAL")["reserved"] == 2
    assert stock_of(admin, "CABLE-1M", "VAL")["reserved"] == 4


def test_listing_resolves_to_sku(admin: Any, world: Any) -> None:
    payload = order_payload("SHP-6", [])
    payload["lines"] = [{"item_id": "1001", "model_id": "2001", "qty": 3, "unit_price": "99.50"}]
    r = admin.post("/api/v1/orders", json=payload).json()
    order = admin.get(f"/api/v1/orders/{r['id']}").json()
    assert order["lines"] == [{"line_no": 1, "sku": "CABLE-1M", "qty": 3, "unit_price": 9950}]


def test_cancel_by_later_version_releases(admin: Any, world: Any, database_url: str) -> None:
    payload = order_payload("SHP-7", [("CASE-BLK", 3)], updated_at="2026-11-11T00:05:00+00:00")
    admin.post("/api/v1/orders", json=payload)
    assert stock_of(admin, "CASE-BLK", "VAL")["reserved"] == 3
    cancelled = payload | {
        "status": "cancelled",
        "channel_status": "CANCELLED",
        "updated_at": "2026-11-11T01:00:00+00:00",
    }
    r = admin.post("/api/v1/orders", json=cancelled).json()
    assert (r["outcome"], r["status"]) == ("updated", "cancelled")
    assert stock_of(admin, "CASE-BLK", "VAL")["reserved"] == 0
    # The older version arriving late does not resurrect the order.
    stale = admin.post("/api/v1/orders", json=payload | {"channel_status": "READY_TO_SHIP "}).json()
    assert stale["outcome"] == "stale"
    assert stale["status"] == "cancelled"
    assert run(verify_report(database_url)).ok


def test_changed_lines_re_reserve(admin: Any, world: Any, database_url: str) -> None:
    payload = order_payload("SHP-8", [("CASE-BLK", 1)], updated_at="2026-11-11T00:05:00+00:00")
    admin.post("/api/v1/orders", json=payload)
    changed = payload | {
        "lines": [{"sku": "CABLE-1M", "qty": 2, "unit_price": "150.00"}],
        "updated_at": "2026-11-11T00:30:00+00:00",
    }
    r = admin.post("/api/v1/orders", json=changed).json()
    assert r["status"] == "allocated"
    assert stock_of(admin, "CASE-BLK", "VAL")["reserved"] == 0
    assert stock_of(admin, "CABLE-1M", "VAL")["reserved"] == 2
    assert run(verify_report(database_url)).ok


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p["lines"][0].update(sku="NOPE"), "lines[0].sku"),
        (lambda p: p["lines"][0].update(qty=-2), "lines[0].qty"),
        (lambda p: p["lines"][0].update(unit_price="12.345"), "lines[0].unit_price"),
        (lambda p: p["lines"][0].update(unit_price="-5"), "lines[0].unit_price"),
        (lambda p: p["address"].update(zip_code="14400"), "address.zip_code"),
        (lambda p: p["address"].update(phone="12345"), "address.phone"),
        (lambda p: p["address"].update(region="Atlantis"), "address.region"),
        (lambda p: p.update(shop="lazada-nowhere"), "shop"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_kept(
    admin: Any, world: Any, database_url: str, mutate: Any, field: str
) -> None:
    payload = order_payload("BAD-1", [("CASE-BLK", 1)])
    mutate(payload)
    r = admin.post("/api/v1/orders", json=payload)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json()["errors"]]
    assert _rejected_count(database_url) == 1


def test_malformed_json_is_422_and_kept(admin: Any, world: Any, database_url: str) -> None:
    r = admin.post(
        "/api/v1/orders",
        content=b'{"shop": "shopee-main", "lines": [',
        headers={"content-type": "application/json"},
    )
    assert r.status_code in (400, 422)
    assert r.status_code < 500
    r = admin.post(
        "/api/v1/orders", json=order_payload("BAD-2", [("CASE-BLK", 1)]) | {"placed_at": "yesterday"}
    )
    assert r.status_code == 422
    assert any("placed_at" in e["field"] for e in r.json()["errors"])
    assert _rejected_count(database_url) == 2


def _rejected_count(url: str) -> int:
    from sqlalchemy import func, select

    from server.orders.models import RejectedPayload

    async def count() -> int:
        db = Database(url)
        try:
            async with db.reader.connect() as conn:
                return int(
                    (await conn.execute(select(func.count()).select_from(RejectedPayload))).scalar_one()
                )
        finally:
            await db.dispose()

    return run(count())


def test_batch_takes_good_orders_and_lists_bad_ones(admin: Any, world: Any) -> None:
    good = order_payload("B-1", [("CABLE-1M", 1)])
    bad = order_payload("B-2", [("NOPE", 1)])
    r = admin.post("/api/v1/orders/batch", json={"orders": [good, bad, good]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert [x["outcome"] for x in body["results"]] == ["created", "unchanged"]
    assert body["rejected"][0]["index"] == 1
    assert body["rejected"][0]["errors"][0]["field"] == "orders[1].lines[0].sku"
    assert stock_of(admin, "CABLE-1M", "VAL")["reserved"] == 1


def test_receipt_releases_held_orders(admin: Any, world: Any, database_url: str) -> None:
    held = admin.post("/api/v1/orders", json=order_payload("H-1", [("SOAP-KOJIC", 2)])).json()
    assert held["status"] == "on_hold"
    r = admin.post(
        "/api/v1/stock/receipts",
        json={"warehouse": "VAL", "reference": "PO-77", "lines": [{"sku": "SOAP-KOJIC", "qty": 2}]},
    )
    assert r.status_code == 201, r.text
    assert r.json()["allocated_orders"] == [held["id"]]
    assert admin.get(f"/api/v1/orders/{held['id']}").json()["status"] == "allocated"
    assert run(verify_report(database_url)).ok


def test_a_batch_carrying_two_versions_of_one_new_order_keeps_the_later_lines(
    admin: Any, world: Any, database_url: str
) -> None:
    first = order_payload("V-1", [("CABLE-1M", 1)], updated_at="2026-11-11T09:05:00+08:00")
    later = order_payload("V-1", [("CABLE-1M", 2)], updated_at="2026-11-11T09:09:00+08:00")
    r = admin.post("/api/v1/orders/batch", json={"orders": [first, later]})
    assert r.status_code == 201, r.text
    assert [x["outcome"] for x in r.json()["results"]] == ["created", "updated"]
    order = admin.get(f"/api/v1/orders/{r.json()['results'][0]['id']}").json()
    assert [(line["sku"], line["qty"]) for line in order["lines"]] == [("CABLE-1M", 2)]
    assert stock_of(admin, "CABLE-1M", "VAL")["reserved"] == 2
    assert run(verify_report(database_url)).ok


def test_a_batch_carrying_two_changes_of_a_stored_order_reserves_only_the_last(
    admin: Any, world: Any, database_url: str
) -> None:
    stored = admin.post("/api/v1/orders", json=order_payload("V-2", [("CABLE-1M", 1)]))
    assert stored.status_code == 201, stored.text
    second = order_payload("V-2", [("CABLE-1M", 2)], updated_at="2026-11-11T10:00:00+08:00")
    third = order_payload("V-2", [("CABLE-1M", 3)], updated_at="2026-11-11T11:00:00+08:00")
    r = admin.post("/api/v1/orders/batch", json={"orders": [second, third]})
    assert r.status_code == 200, r.text  # 201 only when the batch created an order
    assert [x["outcome"] for x in r.json()["results"]] == ["updated", "updated"]
    order = admin.get(f"/api/v1/orders/{stored.json()['id']}").json()
    assert [(line["sku"], line["qty"]) for line in order["lines"]] == [("CABLE-1M", 3)]
    assert stock_of(admin, "CABLE-1M", "VAL")["reserved"] == 3
    assert run(verify_report(database_url)).ok
