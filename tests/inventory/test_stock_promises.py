"""Stock that cannot go below what is promised (issue 8 points 2 and 3), on both databases.

- An adjustment that would leave less than nothing on hand is refused, naming the line.
- An adjustment (or anything else) that leaves less on hand than orders hold puts the orders that
  give back first (not yet picked, newest) on hold, each with an exception: no allocated order is
  ever left without its stock.
- Stock freed by a cancellation (the status endpoint, or a newer cancelled version from the channel)
  lets held orders through, oldest first.
- `bodega verify` checks those invariants, not only the ledger against the balances.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import run
from tests.kit.sync import connect
from tests.kit.world import order_payload, seed_world, stock_of, verify_report


@pytest.fixture
def world(database_url: str) -> Any:
    return run(seed_world(database_url, {("CASE-BLK", "VAL"): 10}))


def _order(admin: Any, external_id: str, qty: int, **overrides: Any) -> dict[str, Any]:
    r = admin.post("/api/v1/orders", json=order_payload(external_id, [("CASE-BLK", qty)], **overrides))
    assert r.status_code in (200, 201), r.text
    return r.json()


def _adjust(admin: Any, qty: int) -> Any:
    return admin.post(
        "/api/v1/stock/adjustments",
        json={"warehouse": "VAL", "reason": "damaged", "lines": [{"sku": "CASE-BLK", "qty": qty}]},
    )


def _status(admin: Any, order_id: str) -> str:
    return str(admin.get(f"/api/v1/orders/{order_id}").json()["status"])


def _open_exceptions(admin: Any, kind: str) -> list[dict[str, Any]]:
    r = admin.get("/api/v1/exceptions", params={"status": "open", "kind": kind})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_adjustment_cannot_leave_less_than_nothing(admin: Any, world: Any, database_url: str) -> None:
    r = _adjust(admin, -50)
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["errors"][0]["field"] == "lines[0].qty"
    assert "only 10 on hand" in body["errors"][0]["message"]
    assert stock_of(admin, "CASE-BLK", "VAL")["on_hand"] == 10
    assert run(verify_report(database_url)).ok


def test_adjustment_below_reserved_puts_the_newest_order_on_hold(
    admin: Any, world: Any, database_url: str
) -> None:
    older = _order(admin, "P-1", 5)
    newer = _order(admin, "P-2", 3, placed_at="2026-11-11T01:00:00+00:00")
    assert (older["status"], newer["status"]) == ("allocated", "allocated")
    r = _adjust(admin, -4)  # 10 on hand, 8 reserved: 6 left, the older order's 5 still fit
    assert r.status_code == 201, r.text
    case = stock_of(admin, "CASE-BLK", "VAL")
    assert (case["on_hand"], case["reserved"]) == (6, 5)
    assert _status(admin, older["id"]) == "allocated"
    assert _status(admin, newer["id"]) == "on_hold"
    (shortfall,) = _open_exceptions(admin, "stock_shortfall")
    assert shortfall["order_id"] == newer["id"]
    history = admin.get(f"/api/v1/orders/{newer['id']}/history").json()
    history = history["items"] if isinstance(history, dict) else history
    assert [h["to_status"] for h in history][-1] == "on_hold"
    assert run(verify_report(database_url)).ok


def test_cancelling_frees_stock_for_a_held_order(admin: Any, world: Any, database_url: str) -> None:
    a = _order(admin, "C-1", 10)
    b = _order(admin, "C-2", 4)
    assert (a["status"], b["status"]) == ("allocated", "on_hold")
    r = admin.post(f"/api/v1/orders/{a['id']}/status", json={"status": "cancelled", "reason": "buyer"})
    assert r.status_code == 201, r.text
    assert _status(admin, b["id"]) == "allocated"
    case = stock_of(admin, "CASE-BLK", "VAL")
    assert (case["on_hand"], case["reserved"]) == (10, 4)
    assert run(verify_report(database_url)).ok


def test_a_cancelled_version_from_the_channel_frees_stock_too(
    admin: Any, world: Any, database_url: str
) -> None:
    a = _order(admin, "V-1", 10)
    b = _order(admin, "V-2", 4)
    assert b["status"] == "on_hold"
    _order(admin, "V-1", 10, status="cancelled", updated_at="2026-11-12T00:00:00+00:00")
    assert _status(admin, a["id"]) == "cancelled"
    assert _status(admin, b["id"]) == "allocated"
    assert run(verify_report(database_url)).ok


def test_verify_reports_broken_invariants(admin: Any, world: Any, database_url: str) -> None:
    order = _order(admin, "I-1", 4)
    # Break the books behind Bodega's back: the order loses its reservation rows, and the SKU's
    # ledger and cache agree on less than nothing.
    with connect(database_url) as conn:
        conn.execute(text("UPDATE reservations SET status = 'released'"))
        conn.execute(text("UPDATE stock_balances SET reserved = 0, on_hand = on_hand - 20"))
        conn.execute(text("UPDATE stock_movements SET qty = qty - 20"))
        conn.commit()
    report = run(verify_report(database_url))
    assert not report.ok
    assert any("I-1 holds 0 units but its lines need 4" in b for b in report.broken), report.broken
    assert any("CASE-BLK @ VAL: on hand is -10" in b for b in report.broken), report.broken
    assert order["status"] == "allocated"
