"""Exceptions through the API: a held order's exception is listed for supervisors, resolved once
with what was done, and leaves the supervisors' phones in the same transaction."""

from __future__ import annotations

from typing import Any

from tests.conftest import auth
from tests.kit.sync import ADDRESS, pull, seed


def test_a_held_orders_exception_is_listed_resolved_once_and_leaves_the_phones(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    world = seed(database_url)
    admin, supervisor = auth(tokens["admin"]), auth(tokens["supervisor"])
    order = {
        "shop": "shop",
        "external_id": "SHP-77",
        "payment_method": "cod",
        "placed_at": "2026-11-11T00:05:00+08:00",
        "address": ADDRESS,
        "lines": [{"sku": "S1", "qty": 3, "unit_price": "150.00"}],
    }
    held = client.post("/api/v1/orders", json=order, headers=admin)
    assert held.status_code == 201 and held.json()["status"] == "on_hold", held.text
    phone = world.phones["sup"]
    before = pull(client, phone)
    alerts = {c.key: c.val for c in before.ch if c.kind == "exception"}
    assert len(alerts) == 1

    listed = client.get("/api/v1/exceptions/?status=open&kind=order_on_hold", headers=supervisor)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["total"] == 1
    item = page["items"][0]
    assert item["order_id"] == held.json()["id"] and item["status"] == "open"
    assert item["id"] in alerts
    assert "SHP-77" in item["message"]

    too_short = client.post(
        f"/api/v1/exceptions/{item['id']}/resolve", json={"resolution": "ok"}, headers=supervisor
    )
    assert too_short.status_code == 422
    assert too_short.json()["errors"][0]["field"] == "resolution"

    done = client.post(
        f"/api/v1/exceptions/{item['id']}/resolve",
        json={"resolution": "called the buyer: waits for the restock on Monday"},
        headers=supervisor,
    )
    assert done.status_code == 201, done.text
    assert done.json()["status"] == "resolved" and done.json()["resolved_by"] == "user:test-supervisor"
    # Off the supervisors' phones at once, without waiting for the projector.
    after = pull(client, phone, before.cur)
    assert [(c.kind, c.key, c.val) for c in after.ch] == [("exception", item["id"], None)]

    again = client.post(
        f"/api/v1/exceptions/{item['id']}/resolve", json={"resolution": "second try"}, headers=supervisor
    )
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "status"
    assert client.get("/api/v1/exceptions/?status=open", headers=supervisor).json()["total"] == 0
    assert client.get("/api/v1/exceptions/?status=resolved", headers=supervisor).json()["total"] == 1
    missing = client.post(
        "/api/v1/exceptions/01a21c80-43db-70d7-932d-30b8139acbd1/resolve",
        json={"resolution": "nothing to resolve"},
        headers=supervisor,
    )
    assert missing.status_code == 404
    assert client.get("/api/v1/exceptions/?status=open", headers=auth(tokens["warehouse"])).status_code == 403
