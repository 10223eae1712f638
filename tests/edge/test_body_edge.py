"""The JSON body edge (server/body.py): one set of rules for every route's body.

Control characters are refused with 422 naming the field on both databases (PostgreSQL used to
answer 500 for a NUL, SQLite stored it), refused orders are kept in rejected_payloads, and a
batch still takes its good orders. Deep nesting is a 400 and a body that is not JSON a 415.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from server.body import control_characters
from server.db import Database
from server.orders.models import Order, RejectedPayload
from tests.conftest import run
from tests.kit.world import order_payload, seed_world

PROBLEM = "application/problem+json"


@pytest.fixture
def world(database_url: str) -> Any:
    return run(seed_world(database_url, {("CASE-BLK", "VAL"): 10, ("CABLE-1M", "VAL"): 10}))


def _rows(url: str, model: Any) -> list[Any]:
    async def read() -> list[Any]:
        db = Database(url)
        try:
            async with db.read() as session:
                return list((await session.scalars(select(model))).all())
        finally:
            await db.dispose()

    return run(read())


def _count(url: str, model: Any) -> int:
    async def read() -> int:
        db = Database(url)
        try:
            async with db.read() as session:
                return int(await session.scalar(select(func.count()).select_from(model)) or 0)
        finally:
            await db.dispose()

    return run(read())


def _fields(response: Any) -> list[str]:
    assert response.headers["content-type"].startswith(PROBLEM), response.text
    return [e["field"] for e in response.json()["errors"]]


def _with_address_name(external_id: str, name: str) -> dict[str, Any]:
    body = order_payload(external_id, [("CASE-BLK", 1)])
    body["address"] = {**body["address"], "name": name}
    return body


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x0b"])
def test_an_order_with_a_control_character_is_refused_naming_the_field_and_kept(
    admin: Any, world: Any, database_url: str, char: str
) -> None:
    r = admin.post("/api/v1/orders", json=_with_address_name("NUL-1", f"Maria{char}Santos"))
    assert r.status_code == 422, r.text
    assert _fields(r) == ["address.name"]
    assert _count(database_url, Order) == 0
    kept = _rows(database_url, RejectedPayload)
    assert len(kept) == 1
    assert json.loads(kept[0].body)["address"]["name"] == f"Maria{char}Santos"
    assert kept[0].problem["errors"][0]["field"] == "address.name"


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("external_id", {"external_id": "SHP\x00-9"}),
        ("channel_status", {"channel_status": "READY\x00"}),
        ("lines[0].sku", {"lines": [{"sku": "CASE-BLK\x00", "qty": 1, "unit_price": "1.00"}]}),
    ],
)
def test_every_text_field_is_covered(admin: Any, world: Any, field: str, overrides: dict[str, Any]) -> None:
    r = admin.post("/api/v1/orders", json=order_payload("NUL-2", [("CASE-BLK", 1)]) | overrides)
    assert r.status_code == 422, r.text
    assert _fields(r) == [field]


def test_other_routes_refuse_control_characters_too(admin: Any, world: Any) -> None:
    receipt = {"warehouse": "VAL", "lines": [{"sku": "CASE-BLK", "qty": 1}], "reference": "DR\x00-1"}
    r = admin.post("/api/v1/stock/receipts", json=receipt)
    assert r.status_code == 422 and _fields(r) == ["reference"]
    adjustment = {"warehouse": "VAL", "lines": [{"sku": "CASE-BLK", "qty": -1}], "reason": "broken\x00"}
    r = admin.post("/api/v1/stock/adjustments", json=adjustment)
    assert r.status_code == 422 and _fields(r) == ["reason"]
    order = admin.post("/api/v1/orders", json=order_payload("S-1", [("CASE-BLK", 1)])).json()
    r = admin.post(f"/api/v1/orders/{order['id']}/status", json={"status": "cancelled", "reason": "a\x00b"})
    assert r.status_code == 422 and _fields(r) == ["reason"]
    assert admin.get(f"/api/v1/orders/{order['id']}").json()["status"] == "allocated"
    # A key is text too.
    r = admin.post("/api/v1/stock/receipts", json={**receipt, "reference": "", "x\x00": 1})
    assert r.status_code == 422 and _fields(r) == ["body"]


def test_tab_and_line_breaks_are_text(admin: Any, world: Any) -> None:
    order = admin.post("/api/v1/orders", json=order_payload("S-2", [("CASE-BLK", 1)])).json()
    r = admin.post(
        f"/api/v1/orders/{order['id']}/status",
        json={"status": "cancelled", "reason": "customer called:\r\n\tno longer wanted"},
    )
    assert r.status_code in (200, 201), r.text


def test_a_batch_takes_its_good_orders_and_keeps_the_refused_one(
    admin: Any, world: Any, database_url: str
) -> None:
    orders = [
        order_payload("B-1", [("CASE-BLK", 1)]),
        _with_address_name("B-2", "Juan\x00"),
        order_payload("B-3", [("CABLE-1M", 1)]),
    ]
    r = admin.post("/api/v1/orders/batch", json={"orders": orders})
    assert r.status_code == 201, r.text
    body = r.json()
    assert [x["external_id"] for x in body["results"]] == ["B-1", "B-3"]
    assert body["rejected"] == [
        {
            "index": 1,
            "external_id": "B-2",
            "errors": [
                {
                    "field": "orders[1].address.name",
                    "message": "must not contain the control character U+0000",
                }
            ],
        }
    ]
    assert _count(database_url, Order) == 2
    kept = _rows(database_url, RejectedPayload)
    assert [json.loads(k.body)["external_id"] for k in kept] == ["B-2"]


def test_a_lone_surrogate_is_refused_naming_the_field_and_kept(
    admin: Any, world: Any, database_url: str
) -> None:
    text = json.dumps(order_payload("SUR-1", [("CASE-BLK", 1)])).replace("Maria Santos", "Maria \\ud800")
    r = admin.post("/api/v1/orders", content=text, headers={"content-type": "application/json"})
    # msgspec cannot decode a lone surrogate escape; the edge names the field like a control character.
    assert r.status_code == 422, r.text
    assert _fields(r) == ["address.name"]
    assert r.json()["errors"][0]["message"] == "must not contain a lone surrogate"
    assert _count(database_url, Order) == 0
    kept = _rows(database_url, RejectedPayload)
    assert len(kept) == 1 and "\\ud800" in kept[0].body


def test_a_lone_surrogate_refuses_only_its_order_in_a_batch(
    admin: Any, world: Any, database_url: str
) -> None:
    orders = [order_payload("SB-1", [("CASE-BLK", 1)]), _with_address_name("SB-2", "Juan SURROGATE")]
    text = json.dumps({"orders": orders}).replace("SURROGATE", "\\udc00")
    r = admin.post("/api/v1/orders/batch", content=text, headers={"content-type": "application/json"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert [x["external_id"] for x in body["results"]] == ["SB-1"]
    assert body["rejected"][0]["errors"] == [
        {"field": "orders[1].address.name", "message": "must not contain a lone surrogate"}
    ]
    assert _count(database_url, Order) == 1
    kept = _rows(database_url, RejectedPayload)
    assert [json.loads(k.body)["external_id"] for k in kept] == ["SB-2"]


def test_a_surrogate_pair_is_text(admin: Any, world: Any) -> None:
    text = json.dumps(order_payload("SUR-2", [("CASE-BLK", 1)])).replace(
        "Maria Santos", "Maria \\ud83d\\ude00"
    )
    r = admin.post("/api/v1/orders", content=text, headers={"content-type": "application/json"})
    assert r.status_code == 201, r.text


def test_a_malformed_body_with_a_surrogate_is_still_a_400(admin: Any, world: Any) -> None:
    r = admin.post(
        "/api/v1/stock/receipts",
        content=b'{"reference": "\\ud800',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith(PROBLEM)


def test_deeply_nested_body_is_a_400(admin: Any, world: Any, database_url: str) -> None:
    for path in ("/api/v1/stock/receipts", "/api/v1/orders"):
        r = admin.post(path, content=b"[" * 1000, headers={"content-type": "application/json"})
        assert r.status_code == 400, r.text
        assert r.headers["content-type"].startswith(PROBLEM)
    assert _count(database_url, RejectedPayload) == 1  # the order route keeps what it refused


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_json_route_wants_a_json_content_type(admin: Any, world: Any, content_type: str | None) -> None:
    receipt = json.dumps({"warehouse": "VAL", "lines": [{"sku": "CASE-BLK", "qty": 1}]})
    headers = {"content-type": content_type} if content_type else {}
    r = admin.post("/api/v1/stock/receipts", content=receipt, headers=headers)
    assert r.status_code == 415, r.text
    assert _fields(r) == ["Content-Type"]
    assert (
        admin.get("/api/v1/stock", params={"sku": "CASE-BLK", "warehouse": "VAL"}).json()["items"][0][
            "on_hand"
        ]
        == 10
    )
    ok = admin.post(
        "/api/v1/stock/receipts", content=receipt, headers={"content-type": "application/json; charset=utf-8"}
    )
    assert ok.status_code == 201


def test_control_characters_names_every_place() -> None:
    value = {"a": ["ok", "x\x00"], "b": {"c": "\ud800"}, "d": "tab\tnew\nline\r"}
    assert [(e.field, e.message) for e in control_characters(value)] == [
        ("a[1]", "must not contain the control character U+0000"),
        ("b.c", "must not contain a lone surrogate"),
    ]
    deep: Any = "x\x01"
    for _ in range(5000):
        deep = [deep]
    assert control_characters(deep)[0].field.endswith("[0]")
