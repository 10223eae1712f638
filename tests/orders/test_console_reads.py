"""The console's reads, on SQLite and PostgreSQL: the order search by waybill and by the phone as a
customer says it, sorting, an order's timeline assembled from every domain that recorded something
about it, the bin label sheet (read back with pypdf), the remittance batch list and a device's sync
state before it is revoked."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from tests.conftest import auth, run
from tests.kit.world import order_payload, seed_world


def _story(admin: Any) -> tuple[str, str]:
    """One COD order allocated, picked, packed, shipped, failed once, delivered, cash collected."""
    placed = order_payload("SHP-STORY", [("CASE-BLK", 2)])
    placed["address"]["phone"] = "0918 765 4321"
    oid = admin.post("/api/v1/orders", json=placed).json()["id"]
    assert admin.post(f"/api/v1/orders/{oid}/status", json={"status": "picking"}).status_code < 300
    parcel = admin.post(
        "/api/v1/parcels", json={"order": oid, "lines": [{"sku": "CASE-BLK", "qty": 2}], "weight_grams": 120}
    )
    assert parcel.status_code == 201, parcel.text
    waybill = parcel.json()["waybill"]
    assert admin.post(f"/api/v1/orders/{oid}/status", json={"status": "shipped"}).status_code < 300
    attempt = {"order": oid, "waybill": waybill}
    failed = admin.post("/api/v1/cod/attempts", json={**attempt, "outcome": "failed", "reason": "not_home"})
    assert failed.status_code < 300, failed.text
    assert admin.post("/api/v1/cod/attempts", json={**attempt, "outcome": "delivered"}).status_code < 300
    cash = {"holder": "test-rider", "amount": 39_800, "kind": "collected", "order": oid}
    assert admin.post("/api/v1/cod/cash", json=cash).status_code < 300
    # Delivered again by mistake: the double-delivery exception is part of the story too.
    assert admin.post("/api/v1/cod/attempts", json={**attempt, "outcome": "delivered"}).status_code < 300
    return oid, waybill


def test_order_search_by_waybill_phone_and_sort(database_url: str, admin: Any) -> None:
    run(seed_world(database_url, {("CASE-BLK", "VAL"): 20}))
    oid, waybill = _story(admin)
    other = admin.post("/api/v1/orders", json=order_payload("SHP-OTHER", [("CASE-BLK", 1)])).json()["id"]

    by_waybill = admin.get("/api/v1/orders", params={"waybill": waybill}).json()
    assert [o["id"] for o in by_waybill["items"]] == [oid] and by_waybill["total"] == 1
    # The phone as typed on a call, in three spellings, finds the customer's order only.
    for typed in ["0918 765 4321", "+639187654321", "639187654321"]:
        found = admin.get("/api/v1/orders", params={"phone": typed}).json()
        assert [o["id"] for o in found["items"]] == [oid], typed
    assert admin.get("/api/v1/orders", params={"waybill": "NO-SUCH"}).json()["total"] == 0

    cheap_first = admin.get("/api/v1/orders", params={"sort": "total_amount"}).json()["items"]
    assert [o["id"] for o in cheap_first] == [other, oid]
    dear_first = admin.get("/api/v1/orders", params={"sort": "-total_amount"}).json()["items"]
    assert [o["id"] for o in dear_first] == [oid, other]

    bad_phone = admin.get("/api/v1/orders", params={"phone": "12"})
    assert bad_phone.status_code == 422 and bad_phone.json()["errors"][0]["field"] == "phone"
    bad_sort = admin.get("/api/v1/orders", params={"sort": "customer_name"})
    assert bad_sort.status_code == 400 or bad_sort.status_code == 422
    assert "sort" in bad_sort.text


def test_timeline_tells_the_whole_story_in_order(database_url: str, admin: Any) -> None:
    run(seed_world(database_url, {("CASE-BLK", "VAL"): 20}))
    oid, waybill = _story(admin)
    out = admin.get(f"/api/v1/orders/{oid}/timeline")
    assert out.status_code == 200, out.text
    t = out.json()
    assert t["order"]["id"] == oid and t["parcel"]["waybill"] == waybill
    assert [h["to_status"] for h in t["history"]] == [
        "allocated",
        "picking",
        "packed",
        "shipped",
        "failed_delivery",
        "delivered",
    ]
    # The console's attempts name the manager once, as every other history row does (not "user:user:").
    by = {h["to_status"]: h["actor"] for h in t["history"]}
    assert by["failed_delivery"] == by["delivered"] == by["shipped"] == "user:test-admin"
    assert [(m["kind"], m["qty"]) for m in t["movements"]] == [("ship", -2)]
    assert [(a["outcome"], a["counts"]) for a in t["cod"]["attempts"]] == [
        ("failed", True),
        ("delivered", True),
        ("delivered", False),
    ]
    assert [(c["kind"], c["amount"], c["holder"]) for c in t["cod"]["cash"]] == [
        ("collected", 39_800, "test-rider")
    ]
    assert [x["kind"] for x in t["exceptions"]] == ["double_delivery"]
    sources = {e["source"] for e in t["events"]}
    assert sources == {"history", "movement", "parcel", "attempt", "cash", "exception"}
    stamps = [e["at"] for e in t["events"]]
    assert stamps == sorted(stamps)  # oldest first, whatever domain each came from
    assert any("₱398.00" in e["summary"] for e in t["events"] if e["source"] == "cash")


def test_timeline_of_unknown_order_is_404_and_needs_a_manager(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    run(seed_world(database_url))
    missing = client.get(
        "/api/v1/orders/00000000-0000-0000-0000-000000000001/timeline", headers=auth(tokens["admin"])
    )
    assert missing.status_code == 404
    refused = client.get(
        "/api/v1/orders/00000000-0000-0000-0000-000000000001/timeline", headers=auth(tokens["warehouse"])
    )
    assert refused.status_code == 403


def test_bin_labels_pdf_has_each_bin_code(database_url: str, admin: Any) -> None:
    run(seed_world(database_url))
    codes = [f"Z-{i:02d}-01" for i in range(1, 31)]  # 30 bins: two sheets of 24
    added = admin.post(
        "/api/v1/warehouses/VAL/bins", json={"bins": [{"code": c, "zone": "Z"} for c in codes]}
    )
    assert added.status_code == 201, added.text
    pdf = admin.get("/api/v1/warehouses/VAL/bins/labels.pdf", params={"zone": "Z"})
    assert pdf.status_code == 200 and pdf.headers["content-type"].startswith("application/pdf")
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == 2
    text = "".join(p.extract_text() for p in reader.pages)
    assert all(c in text for c in codes)
    assert "A-01-01" not in text  # another zone: left out by the filter
    one = admin.get("/api/v1/warehouses/VAL/bins/labels.pdf", params={"q": "Z-07"})
    assert "Z-07-01" in PdfReader(io.BytesIO(one.content)).pages[0].extract_text()


def test_remittance_batches_list_is_paged(database_url: str, admin: Any) -> None:
    run(seed_world(database_url))
    page = admin.get("/api/v1/remittances", params={"limit": 10})
    assert page.status_code == 200
    assert page.json() == {"items": [], "total": 0, "limit": 10, "offset": 0}


def test_device_sync_state_names_cash_and_ops(database_url: str, admin: Any, client: Any) -> None:
    run(seed_world(database_url, {("CASE-BLK", "VAL"): 20}))
    _story(admin)
    devices = admin.get("/api/v1/devices", params={"username": "test-rider"}).json()["items"]
    assert devices, "the rider's token is a device"
    state = admin.get(f"/api/v1/devices/{devices[0]['id']}/sync-state")
    assert state.status_code == 200, state.text
    body = state.json()
    assert body["username"] == "test-rider" and body["cash_held"] == 39_800
    assert body["ops"] == 0 and body["missing_proofs"] == [] and body["last_sync_at"] is None
    assert admin.get("/api/v1/devices/00000000-0000-0000-0000-000000000001/sync-state").status_code == 404
