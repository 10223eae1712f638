"""Stock look-up (GET /api/v1/lookup): scan an item or a bin, see what is where, on hand and
reserved (for which orders), with the latest movements; warehouse staff see only their own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from server.catalog.models import Sku
from server.db.base import new_id, utcnow
from server.inventory.ledger import reserve
from server.inventory.models import Warehouse
from server.orders.models import Order, OrderLine
from sync import DeliveryAttempted, StockPutAway, StockReceived, SyncRequest
from tests.conftest import add_users, auth
from tests.kit.sync import engine_for, op_for, post, seed


def _reserve(url: str, order: str, sku: str, qty: int) -> None:
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            wid = conn.execute(select(Warehouse.id).where(Warehouse.code == "W")).scalar_one()
            sid = conn.execute(select(Sku.id).where(Sku.code == sku)).scalar_one()
            oid = conn.execute(select(Order.id).where(Order.external_id == order)).scalar_one()
            row = {
                "id": new_id(),
                "order_id": oid,
                "sku_id": sid,
                "warehouse_id": wid,
                "qty": qty,
                "status": "active",
                "created_at": utcnow(),
            }
            reserve(conn, [row], {(sid, wid): qty}, now=utcnow())
    finally:
        engine.dispose()


def test_look_up_an_item_and_a_bin(database_url: str, client: Any, tokens: dict[str, str]) -> None:
    world = seed(database_url, status="allocated")
    phone = world.phones["wh1"]
    ops = [
        op_for(phone, 1, StockReceived(wh="W", bin="B1", sku="S1", qty=10)),
        op_for(phone, 2, StockPutAway(wh="W", sku="S1", qty=4, from_bin="B1", to_bin="B2")),
        op_for(phone, 3, StockReceived(wh="W", bin="B2", sku="S2", qty=3)),
    ]
    assert post(client, phone, SyncRequest(v=1, ops=ops, pull=False), endpoint="push").status_code == 200
    _reserve(database_url, "O1", "S1", 2)
    staff = auth(phone.token)

    item = client.get("/api/v1/lookup/?code=S1", headers=staff)
    assert item.status_code == 200, item.text
    got = item.json()
    assert (got["kind"], got["sku"], got["warehouse"]) == ("sku", "S1", "W")
    assert [(b["bin"], b["qty"]) for b in got["bins"]] == [("B1", 6), ("B2", 4)]
    assert got["stock"] == [{"sku": "S1", "name": "Item S1", "on_hand": 10, "reserved": 2}]
    assert got["reserved_for"] == [{"order": "O1", "sku": "S1", "qty": 2}]
    assert [(m["kind"], m["bin"], m["qty"]) for m in got["movements"]] == [
        ("put_away", "B2", 4),
        ("put_away", "B1", -4),
        ("receive", "B1", 10),
    ]

    # A bin label, scanned in lower case: everything in it, with the warehouse's totals.
    bin_ = client.get("/api/v1/lookup/?code=b2", headers=staff).json()
    assert (bin_["kind"], bin_["bin"]) == ("bin", "B2")
    assert [(b["sku"], b["qty"]) for b in bin_["bins"]] == [("S1", 4), ("S2", 3)]
    assert [(s["sku"], s["on_hand"], s["reserved"]) for s in bin_["stock"]] == [("S1", 10, 2), ("S2", 3, 0)]
    assert {(m["sku"], m["qty"]) for m in bin_["movements"]} == {("S1", 4), ("S2", 3)}

    # A manager names the warehouse; without one the field is named.
    admin = auth(tokens["admin"])
    assert (
        client.get("/api/v1/lookup/?code=S1&warehouse=W", headers=admin).json()["stock"][0]["on_hand"] == 10
    )
    missing = client.get("/api/v1/lookup/?code=S1", headers=admin)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "warehouse"
    assert missing.headers["content-type"].startswith("application/problem+json")
    unknown_wh = client.get("/api/v1/lookup/?code=S1&warehouse=XX", headers=admin)
    assert unknown_wh.status_code == 422 and unknown_wh.json()["errors"][0]["field"] == "warehouse"


def test_look_up_refusals_are_problem_details(database_url: str, client: Any, tokens: dict[str, str]) -> None:
    world = seed(database_url, orders=0)
    staff = auth(world.phones["wh1"].token)
    nothing = client.get("/api/v1/lookup/?code=ZZ-99-99", headers=staff)
    assert nothing.status_code == 404 and nothing.json()["errors"][0]["field"] == "code"
    assert nothing.headers["content-type"].startswith("application/problem+json")
    other = client.get("/api/v1/lookup/?code=S1&warehouse=ELSEWHERE", headers=staff)
    assert other.status_code == 403 and other.json()["errors"][0]["field"] == "warehouse"
    assert client.get("/api/v1/lookup/?code=", headers=staff).status_code in (400, 422)
    assert client.get("/api/v1/lookup/?code=S1%00", headers=staff).status_code in (400, 422)
    assert client.get("/api/v1/lookup/?code=S1", headers=auth(tokens["rider"])).status_code == 403
    assert client.get("/api/v1/lookup/?code=S1").status_code == 401


def _lines(url: str, order: str, lines: list[tuple[str, int]]) -> None:
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            oid = conn.execute(select(Order.id).where(Order.external_id == order)).scalar_one()
            for n, (sku, qty) in enumerate(lines, start=1):
                sid = conn.execute(select(Sku.id).where(Sku.code == sku)).scalar_one()
                conn.execute(
                    insert(OrderLine).values(
                        id=new_id(), order_id=oid, line_no=n, sku_id=sid, qty=qty, unit_price=10_000
                    )
                )
    finally:
        engine.dispose()


def test_a_returned_parcel_names_its_order_and_lines(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    world = seed(database_url, status="shipped")
    _lines(database_url, "O2", [("S1", 2), ("S2", 1)])
    rider = world.phones["rider1"]
    attempt = DeliveryAttempted(order="O2", waybill="WB-0002", outcome="failed", reason="refused")
    pushed = post(
        client, rider, SyncRequest(v=1, ops=[op_for(rider, 1, attempt)], pull=False), endpoint="push"
    )
    assert pushed.status_code == 200, pushed.text
    staff = auth(world.phones["wh1"].token)

    by_order = client.get("/api/v1/lookup/parcel?code=O2", headers=staff)
    assert by_order.status_code == 200, by_order.text
    assert by_order.json() == {
        "code": "O2",
        "order": "O2",
        "status": by_order.json()["status"],
        "warehouse": "W",
        "lines": [{"sku": "S1", "name": "Item S1", "qty": 2}, {"sku": "S2", "name": "Item S2", "qty": 1}],
    }
    by_waybill = client.get("/api/v1/lookup/parcel?code=WB-0002", headers=staff).json()
    assert (by_waybill["order"], len(by_waybill["lines"])) == ("O2", 2)

    unknown = client.get("/api/v1/lookup/parcel?code=WB-NOPE", headers=staff)
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["field"] == "code"
    # Staff of another warehouse may not read it; a manager may.
    engine = engine_for(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(Warehouse).values(id=new_id(), code="CEB", name="Cebu", region="VII"))
            [other] = add_users(conn, [("cebu.staff", "x-password", "warehouse", "CEB")])
    finally:
        engine.dispose()
    refused = client.get("/api/v1/lookup/parcel?code=O2", headers=auth(other))
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "code"
    assert client.get("/api/v1/lookup/parcel?code=O2", headers=auth(tokens["supervisor"])).status_code == 200
