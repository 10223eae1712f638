"""The request schemas say what the server accepts (issue 8, point 8; server/openapi_requests.py).

tests/edge/test_api_fuzz.py checks the whole API against the document with generated requests;
these pin the rules found on the way, each on both databases where one is involved: a status that
does not exist is a 422 (409 is for a change the order's state does not allow), text longer than
its column refused per order (PostgreSQL answered 500 and a batch lost its good orders), ZIP codes
in ASCII digits, a path's warehouse that names nothing is a 404.
"""

from __future__ import annotations

import re
from typing import Any, get_args

import pytest

from server.orders.lifecycle import STATUSES
from server.orders.schemas import OrderStatus
from tests.conftest import run
from tests.kit.world import order_payload, seed_world


@pytest.fixture
def world(database_url: str) -> Any:
    return run(seed_world(database_url, {("CASE-BLK", "VAL"): 10}))


def _schemas(client: Any) -> dict[str, Any]:
    return client.get("/schema/openapi.json").json()["components"]["schemas"]


def test_the_status_enum_is_every_order_status() -> None:
    assert get_args(OrderStatus) == STATUSES


def test_the_document_lists_what_a_request_may_hold(client: Any) -> None:
    schemas = _schemas(client)
    assert schemas["StatusChangeIn"]["properties"]["status"]["enum"] == list(STATUSES)
    # Only the listed fields, no control characters in free text.
    for name in ("OrderIn", "AddressIn", "ReceiptIn", "SkuIn", "WarehouseIn", "StatusChangeIn"):
        assert schemas[name]["additionalProperties"] is False, name
    reason = schemas["StatusChangeIn"]["properties"]["reason"]
    assert reason["maxLength"] == 255 and re.search(reason["pattern"], "no longer\twanted\r\n")
    assert not re.search(reason["pattern"], "a\x00b")
    # Bounds and codes.
    address = schemas["AddressIn"]["properties"]
    assert address["city"]["maxLength"] == 128 and re.fullmatch(address["zip_code"]["pattern"], "1440")
    assert not re.fullmatch(address["zip_code"]["pattern"], "\uff11\uff14\uff14\uff10")
    assert re.fullmatch(address["phone"]["pattern"], "+639171234567")
    assert "Central Visayas".lower() in address["region"]["enum"]
    line = schemas["OrderLineIn"]["properties"]
    assert (line["qty"]["minimum"], line["qty"]["maximum"]) == (1, 100_000)
    batch = schemas["OrderBatchIn"]["properties"]["orders"]
    assert (batch["minItems"], batch["maxItems"]) == (1, 5000)
    assert schemas["StockLineIn"]["properties"]["qty"]["minimum"] == 1
    assert schemas["AdjustmentLineIn"]["properties"]["qty"]["not"] == {"const": 0}
    # Rules across fields.
    assert schemas["AttemptIn"]["if"]["properties"]["outcome"] == {"const": "failed"}
    assert schemas["AttemptIn"]["then"]["required"] == ["reason"]
    assert schemas["AttemptIn"]["then"]["properties"]["received_by"] == {"maxLength": 0}  # failed
    assert schemas["AttemptIn"]["else"]["properties"]["reschedule_on"] == {"type": "null"}  # delivered
    # The sync endpoints name their messages.
    spec = client.get("/schema/openapi.json").json()
    push = spec["paths"]["/sync/v1/push"]["post"]
    assert push["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/SyncPushRequest")
    assert push["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/SyncPushResponse"
    )


def test_an_unknown_status_is_a_422_and_an_illegal_move_a_409(admin: Any, world: Any) -> None:
    order = admin.post("/api/v1/orders", json=order_payload("ST-1", [("CASE-BLK", 1)])).json()
    r = admin.post(f"/api/v1/orders/{order['id']}/status", json={"status": "teleported"})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["status"]
    r = admin.post(f"/api/v1/orders/{order['id']}/status", json={"status": "delivered"})
    assert r.status_code == 409
    assert admin.get("/api/v1/orders", params={"status": "teleported"}).status_code == 422


@pytest.mark.parametrize(
    ("where", "value", "field"),
    [
        ("address", {"city": "x" * 129}, "address.city"),
        ("address", {"barangay": "b" * 200}, "address.barangay"),
        ("line", {"external_line_id": "L" * 65}, "lines[0].external_line_id"),
        ("address", {"zip_code": "\uff11\uff14\uff14\uff10"}, "address.zip_code"),
    ],
)
def test_text_longer_than_its_column_refuses_only_its_order(
    admin: Any, world: Any, where: str, value: dict[str, Any], field: str
) -> None:
    bad = order_payload("LONG-2", [("CASE-BLK", 1)])
    if where == "address":
        bad["address"] = {**bad["address"], **value}
    else:
        bad["lines"][0] |= value
    r = admin.post("/api/v1/orders/batch", json={"orders": [order_payload("LONG-1", [("CASE-BLK", 1)]), bad]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert [x["external_id"] for x in body["results"]] == ["LONG-1"]
    assert [e["field"] for e in body["rejected"][0]["errors"]] == [f"orders[1].{field}"]


def test_stock_requests_are_bounded(admin: Any, world: Any) -> None:
    receipt = {"warehouse": "VAL", "lines": [{"sku": "CASE-BLK", "qty": 1}], "reference": "R" * 65}
    r = admin.post("/api/v1/stock/receipts", json=receipt)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["reference"]
    r = admin.post("/api/v1/stock/receipts", json={**receipt, "reference": "", "lines": []})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["lines"]
    negative = {"warehouse": "VAL", "lines": [{"sku": "CASE-BLK", "qty": -1}]}
    assert admin.post("/api/v1/stock/receipts", json=negative).status_code == 422
    # An adjustment is signed; taking away more than is there is about the stock's state.
    adjust = {"warehouse": "VAL", "lines": [{"sku": "CASE-BLK", "qty": -50}], "reason": "broken"}
    assert admin.post("/api/v1/stock/adjustments", json=adjust).status_code == 409


def test_a_path_warehouse_that_names_nothing_is_a_404(admin: Any, world: Any) -> None:
    r = admin.put("/api/v1/stock/NOWHERE/CASE-BLK/buffer", json={"safety_buffer": 1})
    assert r.status_code == 404, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["warehouse"]
