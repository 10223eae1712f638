"""The phone's path to the same shipping writers: parcel.packed is checked against the order (and
gets its waybill), parcel.handed_over goes into a dispatch batch (a second batch is caught), a
cancelled order is flagged, and a damaged return goes to quarantine, where it cannot be sold."""

from __future__ import annotations

from typing import Any

import pytest

from sync import ParcelHandedOver, ParcelLine, ParcelPacked, ReturnReceived, StockPutBack
from tests.conftest import add_users, run
from tests.kit.sync import Phone, op_for, pull, push, results
from tests.kit.world import order_payload, seed_world, stock_of, verify_report
from tests.shipping.test_handover_api import batch
from tests.shipping.test_packing_api import order, pack


@pytest.fixture
def world(database_url: str) -> Any:
    return run(seed_world(database_url, {("CASE-BLK", "VAL"): 20, ("CABLE-1M", "VAL"): 30}))


@pytest.fixture
def phone(client: Any, database_url: str, world: Any) -> Phone:
    from server.db import Database

    async def users() -> None:
        db = Database(database_url)
        try:
            await db.run_write(add_users, [("packer", "packer-password", "warehouse", "VAL")])
        finally:
            await db.dispose()

    run(users())
    r = client.post("/api/v1/auth/login", json={"username": "packer", "password": "packer-password"})
    assert r.status_code == 200, r.text
    return Phone("packer", "warehouse", str(r.json()["device_id"]), r.json()["token"])


def notes(answer: Any) -> list[str]:
    return [n.code for r in answer.res for n in r.notes]


def entities(client: Any, phone: Phone, kind: str) -> dict[str, Any]:
    page = pull(client, phone)
    return {c.key: c.val for c in page.ch if c.kind == kind}


def test_phone_pack_is_checked_and_gets_a_waybill(client: Any, admin: Any, phone: Phone) -> None:
    order_id = order(admin, "F-1", [("CASE-BLK", 2)])
    short = ParcelPacked(wh="VAL", order=order_id, lines=[ParcelLine("CASE-BLK", 1)], weight_g=300)
    answer = push(client, phone, op_for(phone, 1, short))
    assert results(answer) == [(1, "flagged")] and notes(answer) == ["pack_mismatch"]
    assert admin.get(f"/api/v1/orders/{order_id}").json()["status"] == "picking"
    assert admin.get(f"/api/v1/parcels/{order_id}").status_code == 404
    full = ParcelPacked(
        wh="VAL", order=order_id, lines=[ParcelLine("CASE-BLK", 2)], weight_g=300, courier="jnt"
    )
    assert results(push(client, phone, op_for(phone, 2, full))) == [(2, "applied")]
    parcel = admin.get(f"/api/v1/parcels/{order_id}").json()
    assert parcel["waybill"] == "JT0000000001" and parcel["order_status"] == "packed"
    assert parcel["weight_grams"] == 300 and parcel["packed_by"] == "user:packer"
    # The phone learns the waybill at its next sync, to print the label and hand the parcel over.
    assert entities(client, phone, "parcel")[order_id] == {
        "waybill": "JT0000000001",
        "courier": "jnt",
        "status": "packed",
    }


def test_same_pack_by_rest_and_by_phone_records_the_same_parcel(
    client: Any, admin: Any, phone: Phone
) -> None:
    by_rest = order(admin, "F-2", [("CABLE-1M", 2)])
    by_phone = order(admin, "F-3", [("CABLE-1M", 2)])
    assert pack(admin, by_rest, [("CABLE-1M", 2)], weight_grams=250).status_code == 201
    op = ParcelPacked(wh="VAL", order=by_phone, lines=[ParcelLine("CABLE-1M", 2)], weight_g=250)
    assert results(push(client, phone, op_for(phone, 1, op))) == [(1, "applied")]
    rest, mobile = (admin.get(f"/api/v1/parcels/{o}").json() for o in (by_rest, by_phone))
    assert (rest["waybill"], mobile["waybill"]) == ("BDG0000000001", "BDG0000000002")
    for field in ("courier", "weight_grams", "parcels", "lines", "order_status"):
        assert rest[field] == mobile[field]


def test_phone_pack_of_a_cancelled_order_is_flagged(client: Any, admin: Any, phone: Phone) -> None:
    order_id = order(admin, "F-4", [("CASE-BLK", 1)])
    assert admin.post(f"/api/v1/orders/{order_id}/status", json={"status": "cancelled"}).status_code == 201
    put_back = entities(client, phone, "put_back")[order_id]  # the phone is told at its sync
    assert put_back == {"status": "cancelled", "lines": [["CASE-BLK", 1]]}
    op = ParcelPacked(wh="VAL", order=order_id, lines=[ParcelLine("CASE-BLK", 1)])
    answer = push(client, phone, op_for(phone, 1, op))
    assert notes(answer) == ["packed_cancelled_order"]
    assert admin.get(f"/api/v1/parcels/{order_id}").status_code == 404


def test_phone_puts_a_cancelled_orders_units_back_one_by_one(client: Any, admin: Any, phone: Phone) -> None:
    """Each put-back counts against the order's put-back: the phones see what is left, more than is
    left is flagged (the units stay where they were put), and the last one closes it."""
    order_id = order(admin, "F-7", [("CABLE-1M", 3)])
    assert admin.post(f"/api/v1/orders/{order_id}/status", json={"status": "cancelled"}).status_code == 201
    assert entities(client, phone, "put_back")[order_id]["lines"] == [["CABLE-1M", 3]]

    def back(seq: int, qty: int) -> Any:
        op = StockPutBack(wh="VAL", sku="CABLE-1M", qty=qty, bin="A-01-01", order=order_id)
        return push(client, phone, op_for(phone, seq, op))

    assert results(back(1, 1)) == [(1, "applied")]
    assert entities(client, phone, "put_back")[order_id]["lines"] == [["CABLE-1M", 2]]
    (open_,) = admin.get("/api/v1/put-backs", params={"status": "open"}).json()
    assert (open_["lines"], open_["left"]) == (
        [{"sku": "CABLE-1M", "qty": 3}],
        [{"sku": "CABLE-1M", "qty": 2}],
    )
    assert notes(back(2, 5)) == ["put_back_unexpected"]  # only 2 were left: nothing counted
    assert results(back(3, 2)) == [(3, "applied")]
    assert order_id not in entities(client, phone, "put_back")  # done: the phone forgets it
    assert admin.get("/api/v1/put-backs", params={"status": "done"}).json()[0]["done_by"] == "user:packer"
    leftovers = StockPutBack(wh="VAL", sku="CASE-BLK", qty=1, bin="A-01-01")  # a wave's, no order
    assert results(push(client, phone, op_for(phone, 4, leftovers))) == [(4, "applied")]


def test_phone_handover_fills_a_batch_and_a_second_batch_is_caught(
    client: Any, admin: Any, phone: Phone, database_url: str
) -> None:
    order_id = order(admin, "F-5", [("CASE-BLK", 1)])
    waybill = pack(admin, order_id, [("CASE-BLK", 1)], courier="flash").json()["waybill"]
    other = batch(admin, carrier="flash")
    hand = ParcelHandedOver(
        wh="VAL", order=order_id, waybill=waybill, to="flash", lines=[ParcelLine("CASE-BLK", 1)]
    )
    assert results(push(client, phone, op_for(phone, 1, hand))) == [(1, "applied")]
    assert admin.get(f"/api/v1/orders/{order_id}").json()["status"] == "shipped"
    assert admin.get(f"/api/v1/dispatch-batches/{other['id']}").json()["scanned"] == [waybill]
    second = batch(admin, carrier="flash")
    again = ParcelHandedOver(
        wh="VAL",
        order=order_id,
        waybill=waybill,
        to="flash",
        lines=[ParcelLine("CASE-BLK", 1)],
        batch=second["id"],
    )
    answer = push(client, phone, op_for(phone, 2, again))
    assert "parcel_in_two_batches" in notes(answer)
    assert admin.get(f"/api/v1/dispatch-batches/{second['id']}").json()["scanned"] == []


def test_damaged_return_is_quarantined_and_not_sold(
    client: Any, admin: Any, phone: Phone, database_url: str
) -> None:
    before = stock_of(admin, "SOAP-KOJIC", "VAL")
    damaged = ReturnReceived(wh="VAL", bin="A-01-01", sku="SOAP-KOJIC", qty=3, condition="damaged")
    assert results(push(client, phone, op_for(phone, 1, damaged))) == [(1, "applied")]
    after = stock_of(admin, "SOAP-KOJIC", "VAL")
    assert (after["on_hand"], after["quarantined"], after["available"]) == (before["on_hand"] + 3, 3, 0)
    bins = entities(client, phone, "bin")
    assert bins.get("QUARANTINE/SOAP-KOJIC") == 3 and "A-01-01/SOAP-KOJIC" not in bins
    # An order for it cannot be allocated from quarantine: it waits on hold.
    r = admin.post("/api/v1/orders", json=order_payload("F-6", [("SOAP-KOJIC", 1)]))
    assert r.status_code == 201 and r.json()["status"] == "on_hold"
    good = ReturnReceived(wh="VAL", bin="A-01-01", sku="SOAP-KOJIC", qty=1)
    assert results(push(client, phone, op_for(phone, 2, good))) == [(2, "applied")]
    assert admin.get(f"/api/v1/orders/{r.json()['id']}").json()["status"] == "allocated"
    assert run(verify_report(database_url)).ok
