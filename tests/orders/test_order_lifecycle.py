"""Status changes through the API: the state machine, and the stock each move takes or gives back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import run
from tests.kit.world import order_payload, seed_world, stock_of, verify_report


@pytest.fixture
def world(database_url: str) -> Any:
    return run(seed_world(database_url, {("CASE-BLK", "VAL"): 5, ("CABLE-1M", "VAL"): 10}))


def _order(admin: Any, external_id: str, lines: list[tuple[str, int]]) -> str:
    r = admin.post("/api/v1/orders", json=order_payload(external_id, lines))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _move(admin: Any, order_id: str, status: str) -> Any:
    return admin.post(f"/api/v1/orders/{order_id}/status", json={"status": status, "reason": "test"})


def test_ship_takes_stock_and_return_brings_it_back(admin: Any, world: Any, database_url: str) -> None:
    order_id = _order(admin, "L-1", [("SET-STARTER", 1)])
    for status in ("picking", "packed", "shipped"):
        assert _move(admin, order_id, status).status_code == 201
    case = stock_of(admin, "CASE-BLK", "VAL")
    cable = stock_of(admin, "CABLE-1M", "VAL")
    assert (case["on_hand"], case["reserved"]) == (4, 0)
    assert (cable["on_hand"], cable["reserved"]) == (8, 0)
    for status in ("failed_delivery", "return_to_sender", "returned"):
        assert _move(admin, order_id, status).status_code == 201
    assert stock_of(admin, "CASE-BLK", "VAL")["on_hand"] == 5
    assert stock_of(admin, "CABLE-1M", "VAL")["on_hand"] == 10
    kinds = [
        m["kind"] for m in admin.get("/api/v1/stock/movements", params={"ref_id": order_id}).json()["items"]
    ]
    assert sorted(kinds) == ["return", "return", "ship", "ship"]
    history = admin.get(f"/api/v1/orders/{order_id}/history").json()["items"]
    assert [h["to_status"] for h in history][-3:] == ["failed_delivery", "return_to_sender", "returned"]
    assert run(verify_report(database_url)).ok


def test_illegal_jump_is_refused_with_the_allowed_moves(admin: Any, world: Any) -> None:
    order_id = _order(admin, "L-2", [("CASE-BLK", 1)])
    r = _move(admin, order_id, "delivered")
    assert r.status_code == 409
    body = r.json()
    assert body["type"].endswith("/illegal-transition")
    assert "allowed next: cancelled, on_hold, picking" in body["detail"]
    # A status that does not exist is not a conflict with the order's state: the schema names them all.
    unknown = _move(admin, order_id, "teleported")
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["status"]


def test_cancel_in_warehouse_releases_reservation(admin: Any, world: Any, database_url: str) -> None:
    order_id = _order(admin, "L-3", [("CASE-BLK", 2)])
    assert _move(admin, order_id, "picking").status_code == 201
    assert stock_of(admin, "CASE-BLK", "VAL")["reserved"] == 2
    assert _move(admin, order_id, "cancelled").status_code == 201
    assert stock_of(admin, "CASE-BLK", "VAL")["reserved"] == 0
    assert _move(admin, order_id, "picking").status_code == 409  # cancelled is final
    assert run(verify_report(database_url)).ok


def test_held_order_allocates_by_hand_after_stock_arrives(admin: Any, world: Any) -> None:
    order_id = _order(admin, "L-4", [("CASE-BLK", 9)])
    assert admin.get(f"/api/v1/orders/{order_id}").json()["status"] == "on_hold"
    exceptions_seen = admin.post(f"/api/v1/orders/{order_id}/allocate")
    assert exceptions_seen.json()["status"] == "on_hold"  # still short: stays held
    admin.post(
        "/api/v1/stock/adjustments",
        json={"warehouse": "VAL", "reason": "found a box", "lines": [{"sku": "CASE-BLK", "qty": 4}]},
    )
    assert admin.get(f"/api/v1/orders/{order_id}").json()["status"] == "allocated"


def test_unknown_order_is_404(admin: Any, world: Any) -> None:
    r = _move(admin, "01a21bcc-7611-7149-9a5f-8c9d97d8a804", "picking")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_rider_cannot_move_orders(client: Any, tokens: dict[str, str], world: Any) -> None:
    client.headers.update({"Authorization": f"Bearer {tokens['admin']}"})
    order_id = _order(client, "L-5", [("CASE-BLK", 1)])
    r = client.post(
        f"/api/v1/orders/{order_id}/status",
        json={"status": "picking"},
        headers={"Authorization": f"Bearer {tokens['rider']}"},
    )
    assert r.status_code == 403


def test_transfer_moves_only_free_stock(admin: Any, world: Any, database_url: str) -> None:
    _order(admin, "T-1", [("CASE-BLK", 3)])  # 3 of VAL's 5 cases are now reserved
    too_many = admin.post(
        "/api/v1/stock/transfers",
        json={"from_warehouse": "VAL", "to_warehouse": "CEB", "lines": [{"sku": "CASE-BLK", "qty": 3}]},
    )
    assert too_many.status_code == 409
    assert "2 free in VAL" in too_many.json()["errors"][0]["message"]
    ok = admin.post(
        "/api/v1/stock/transfers",
        json={
            "from_warehouse": "VAL",
            "to_warehouse": "CEB",
            "reference": "TR-9",
            "lines": [{"sku": "CASE-BLK", "qty": 2}],
        },
    )
    assert ok.status_code == 201, ok.text
    assert stock_of(admin, "CASE-BLK", "VAL")["on_hand"] == 3
    assert stock_of(admin, "CASE-BLK", "CEB")["on_hand"] == 2
    assert run(verify_report(database_url)).ok
