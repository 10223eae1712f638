"""Odd input gets a clear 4xx, never a 500; and the small promises every list and re-send keeps.

(Issue 8, points 7 and 9; control characters, deep nesting and content types are in
tests/test_body_edge.py.)
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import run
from tests.kit.world import order_payload, seed_world

PROBLEM = "application/problem+json"
HUGE = "100000000000000000000"


@pytest.fixture
def world(database_url: str) -> Any:
    return run(seed_world(database_url, {("CASE-BLK", "VAL"): 10}))


def _problem_fields(response: Any) -> list[str]:
    assert response.headers["content-type"].startswith(PROBLEM), response.text
    return [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize("sku", ["CASE-BLK", "SOAP-KOJIC"])  # stocked in VAL only; stocked nowhere
def test_a_buffer_for_a_sku_never_stocked_in_that_warehouse(admin: Any, world: Any, sku: str) -> None:
    r = admin.put(f"/api/v1/stock/CEB/{sku}/buffer", json={"safety_buffer": 3})
    assert r.status_code == 200, r.text
    assert r.json() | {"name": ""} == {
        "sku": sku,
        "name": "",
        "warehouse": "CEB",
        "on_hand": 0,
        "reserved": 0,
        "safety_buffer": 3,
        "available": -3,
        "quarantined": 0,  # damaged units in quarantine: on hand, never sellable
    }
    unknown = admin.put("/api/v1/stock/CEB/NOPE/buffer", json={"safety_buffer": 3})
    assert unknown.status_code == 404 and _problem_fields(unknown) == ["sku"]


@pytest.mark.parametrize("buffer", [2**63, 2**31, 10_000_001, -1])
def test_a_buffer_out_of_bounds_is_a_422(admin: Any, world: Any, buffer: int) -> None:
    r = admin.put("/api/v1/stock/VAL/CASE-BLK/buffer", json={"safety_buffer": buffer})
    assert r.status_code == 422, r.text
    assert _problem_fields(r) == ["safety_buffer"]


def test_a_buffer_cannot_be_set_on_a_bundle(admin: Any, world: Any) -> None:
    r = admin.put("/api/v1/stock/VAL/SET-STARTER/buffer", json={"safety_buffer": 1})
    assert r.status_code == 409, r.text  # about what the SKU is; the request itself is well formed
    assert _problem_fields(r) == ["sku"]
    assert admin.get("/api/v1/stock", params={"sku": "SET-STARTER"}).json()["items"] == []


@pytest.mark.parametrize(
    "path",
    ["/api/v1/stock", "/api/v1/stock/movements", "/api/v1/orders", "/api/v1/users", "/api/v1/skus"],
)
def test_a_huge_offset_is_a_422(admin: Any, world: Any, path: str) -> None:
    r = admin.get(path, params={"offset": HUGE})
    assert r.status_code == 422, r.text
    assert _problem_fields(r) == ["offset"]
    assert admin.get(path, params={"offset": str(2**31 - 1)}).json()["items"] == []


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/orders", "shop"),
        ("/api/v1/stock", "warehouse"),
        ("/api/v1/stock/movements", "warehouse"),
        ("/api/v1/count-tasks", "warehouse"),
    ],
)
def test_an_unknown_shop_or_warehouse_filter_is_a_422(admin: Any, world: Any, path: str, name: str) -> None:
    r = admin.get(path, params={name: "NOPE"})
    assert r.status_code == 422, r.text
    assert _problem_fields(r) == [name]
    known = {"shop": "shopee-main", "warehouse": "VAL"}[name]
    assert admin.get(path, params={name: known}).status_code == 200


def test_re_sends_answer_200_and_only_a_new_order_201(admin: Any, world: Any) -> None:
    order = order_payload("RE-1", [("CASE-BLK", 1)])
    first = admin.post("/api/v1/orders", json=order)
    assert (first.status_code, first.json()["outcome"]) == (201, "created")
    again = admin.post("/api/v1/orders", json=order)
    assert (again.status_code, again.json()["outcome"]) == (200, "unchanged")
    newer = order | {"channel_status": "SHIPPED", "updated_at": "2026-11-12T00:00:00+00:00"}
    updated = admin.post("/api/v1/orders", json=newer)
    assert (updated.status_code, updated.json()["outcome"]) == (200, "updated")
    stale = admin.post("/api/v1/orders", json=order)
    assert (stale.status_code, stale.json()["outcome"]) == (200, "stale")
    batch = admin.post("/api/v1/orders/batch", json={"orders": [order]})
    assert batch.status_code == 200 and batch.json()["results"][0]["outcome"] == "stale"
    fresh = admin.post(
        "/api/v1/orders/batch", json={"orders": [order, order_payload("RE-2", [("CASE-BLK", 1)])]}
    )
    assert fresh.status_code == 201


def test_order_history_is_a_page_like_every_list(admin: Any, world: Any) -> None:
    order = admin.post("/api/v1/orders", json=order_payload("H-1", [("CASE-BLK", 1)])).json()
    admin.post(f"/api/v1/orders/{order['id']}/status", json={"status": "picking"})
    history = admin.get(f"/api/v1/orders/{order['id']}/history").json()
    assert set(history) == {"items", "total", "limit", "offset"}
    assert [h["to_status"] for h in history["items"]] == ["pending", "allocated", "picking"][
        -history["total"] :
    ]
    second = admin.get(f"/api/v1/orders/{order['id']}/history", params={"limit": 1, "offset": 1}).json()
    assert second["items"] == history["items"][1:2] and second["total"] == history["total"]
