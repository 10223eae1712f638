"""Handover at the console (REST): parcels scanned into a dispatch batch ship; a parcel in two
batches, a missing parcel and a cancelled order are caught at the scan (or the close); the
manifest lists what left, with signature lines; a cancelled-in-flight order never reaches it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import run
from tests.kit.world import seed_world, stock_of, verify_report
from tests.shipping.test_packing_api import barcodes, order, pack, pdf_text


@pytest.fixture
def world(database_url: str) -> Any:
    return run(seed_world(database_url, {("CASE-BLK", "VAL"): 20, ("CABLE-1M", "VAL"): 30}))


def packed(admin: Any, external_id: str, courier: str = "jnt") -> tuple[str, str]:
    order_id = order(admin, external_id, [("CASE-BLK", 1)])
    r = pack(admin, order_id, [("CASE-BLK", 1)], courier=courier)
    assert r.status_code == 201, r.text
    return order_id, r.json()["waybill"]


def batch(admin: Any, carrier: str = "jnt", kind: str = "courier") -> dict[str, Any]:
    r = admin.post("/api/v1/dispatch-batches", json={"warehouse": "VAL", "kind": kind, "carrier": carrier})
    assert r.status_code == 201, r.text
    return r.json()


def scan(admin: Any, batch_id: str, waybill: str) -> Any:
    return admin.post(f"/api/v1/dispatch-batches/{batch_id}/scan", json={"waybill": waybill})


def test_scanned_parcels_ship_and_the_manifest_lists_them(admin: Any, world: Any, database_url: str) -> None:
    first, wb1 = packed(admin, "H-1")
    second, wb2 = packed(admin, "H-2")
    b = batch(admin)
    assert b["expected"] == sorted([wb1, wb2]) and b["missing"] == sorted([wb1, wb2])
    r = scan(admin, b["id"], wb1)
    assert r.status_code == 200, r.text
    assert r.json()["scanned"] == [wb1] and r.json()["missing"] == [wb2]
    assert admin.get(f"/api/v1/orders/{first}").json()["status"] == "shipped"
    assert stock_of(admin, "CASE-BLK", "VAL")["on_hand"] == 19  # the parcel's unit left
    assert scan(admin, b["id"], wb1).status_code == 200  # the same scan twice changes nothing
    assert stock_of(admin, "CASE-BLK", "VAL")["on_hand"] == 19
    assert scan(admin, b["id"], wb2).status_code == 200
    closed = admin.post(f"/api/v1/dispatch-batches/{b['id']}/close", json={})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    manifest = admin.get(f"/api/v1/dispatch-batches/{b['id']}/manifest.pdf")
    assert manifest.status_code == 200
    text = pdf_text(manifest.content)
    assert wb1 in text and wb2 in text and "H-1" in text and "H-2" in text
    assert "Handover manifest" in text and "J&T Express" in text and "Parcels: 2" in text
    assert "Received by (courier / rider): name and signature" in text
    assert admin.get(f"/api/v1/orders/{second}").json()["status"] == "shipped"
    assert run(verify_report(database_url)).ok


def test_a_parcel_cannot_go_into_two_batches(admin: Any, world: Any) -> None:
    _, wb = packed(admin, "H-3")
    one, two = batch(admin), batch(admin)
    assert scan(admin, one["id"], wb).status_code == 200
    r = scan(admin, two["id"], wb)
    assert r.status_code == 409
    assert r.json()["type"].endswith("/parcel-in-another-batch")
    assert r.json()["errors"][0]["field"] == "waybill"


def test_missing_parcel_refuses_the_close_unless_left_for_the_next_pickup(admin: Any, world: Any) -> None:
    _, wb1 = packed(admin, "H-4")
    missing_order, wb2 = packed(admin, "H-5")
    b = batch(admin)
    assert scan(admin, b["id"], wb1).status_code == 200
    r = admin.post(f"/api/v1/dispatch-batches/{b['id']}/close", json={})
    assert r.status_code == 409 and r.json()["type"].endswith("/parcels-missing")
    assert {"field": "expected", "message": f"not scanned: {wb2}"} in r.json()["errors"]
    r = admin.post(f"/api/v1/dispatch-batches/{b['id']}/close", json={"leave_missing": True})
    assert r.status_code == 200
    exceptions = admin.get("/api/v1/exceptions", params={"kind": "parcel_missing_at_handover"}).json()[
        "items"
    ]
    assert [e["message"] for e in exceptions if wb2 in e["message"]]
    assert admin.get(f"/api/v1/orders/{missing_order}").json()["status"] == "packed"
    assert scan(admin, b["id"], wb2).json()["type"].endswith("/batch-closed")


def test_unknown_waybill_is_refused(admin: Any, world: Any) -> None:
    b = batch(admin)
    r = scan(admin, b["id"], "JT9999999999")
    assert r.status_code == 409 and r.json()["type"].endswith("/parcel-not-packed")


def test_cancelled_in_flight_order_never_reaches_a_manifest(
    admin: Any, world: Any, database_url: str
) -> None:
    """Cancelled while packed: the scan refuses it, the close does not count it missing, the
    manifest does not list it, a put-back returns its units to a bin, nothing of it ships."""
    _, wb_kept = packed(admin, "H-6")
    cancelled, wb_cancelled = packed(admin, "H-7")
    picking = order(admin, "H-8", [("CABLE-1M", 2)])
    b = batch(admin)
    for order_id in (cancelled, picking):
        assert (
            admin.post(f"/api/v1/orders/{order_id}/status", json={"status": "cancelled"}).status_code == 201
        )
    r = scan(admin, b["id"], wb_cancelled)
    assert r.status_code == 409 and r.json()["type"].endswith("/order-cancelled")
    assert admin.get(f"/api/v1/parcels/{cancelled}/label.pdf").status_code == 409  # no label reprint
    assert scan(admin, b["id"], wb_kept).status_code == 200
    assert admin.post(f"/api/v1/dispatch-batches/{b['id']}/close", json={}).status_code == 200
    text = pdf_text(admin.get(f"/api/v1/dispatch-batches/{b['id']}/manifest.pdf").content)
    assert wb_kept in text and wb_cancelled not in text and "H-7" not in text
    put_backs = {p["order"]: p for p in admin.get("/api/v1/put-backs", params={"status": "open"}).json()}
    assert put_backs[cancelled]["lines"] == [{"sku": "CASE-BLK", "qty": 1}]
    assert put_backs[picking]["lines"] == [{"sku": "CABLE-1M", "qty": 2}]
    assert stock_of(admin, "CASE-BLK", "VAL")["on_hand"] == 19  # only the kept parcel left
    done = admin.post(f"/api/v1/put-backs/{cancelled}/done", json={"bin": "A-01-01"})
    assert done.status_code == 200, done.text
    assert {p["order"]: p["status"] for p in done.json()}[cancelled] == "done"
    again = admin.post(f"/api/v1/put-backs/{cancelled}/done", json={"bin": "A-01-01"})
    assert again.status_code == 409
    assert admin.post(f"/api/v1/put-backs/{picking}/done", json={"bin": "NO-SUCH"}).status_code == 422
    assert stock_of(admin, "CASE-BLK", "VAL")["on_hand"] == 19  # a put-back moves bins, not totals
    assert run(verify_report(database_url)).ok


def test_rider_batch_and_its_manifest(admin: Any, world: Any) -> None:
    order_id, wb = packed(admin, "H-9", courier="")
    assert wb.startswith("BDG")  # our own riders carry Bodega's waybills
    b = batch(admin, carrier="rider-juan", kind="rider")
    assert b["expected"] == [wb]
    assert scan(admin, b["id"], wb).status_code == 200
    label = admin.get(f"/api/v1/parcels/{order_id}/label.pdf")
    assert barcodes(label.content) == {"Code128": wb, "QRCode": wb}
    assert "Bodega rider" in pdf_text(label.content)
    text = pdf_text(admin.get(f"/api/v1/dispatch-batches/{b['id']}/manifest.pdf").content)
    assert "Rider rider-juan" in text and wb in text
