"""Settling exceptions with actions: each goes through its domain's writer, is audited, and a
decision sent from the console and from the phone is applied once."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from server.audit.models import AuditEntry
from server.catalog.models import Sku
from server.cod.models import CashLedgerEntry, DeliveryAttempt
from server.errors import IllegalTransition
from server.exceptions.kinds import COD_CONFLICTS
from server.exceptions.models import ExceptionRecord
from server.inventory.models import CountTask, StockBalance, StockMovement, Warehouse
from server.orders.models import OrderStatusChange
from server.orders.transitions import backorder
from sync import CashCollected, DeliveryAttempted, ExceptionActed, StockCounted, StockReceived
from tests.conftest import auth, run
from tests.kit.sync import ADDRESS, add_phone, connect, ledger_ok, op_for, pull, push, seed
from tests.kit.world import order_payload, seed_world


def _held_order(client: Any, admin: dict[str, str], external_id: str = "SHP-1") -> dict[str, Any]:
    order = {
        "shop": "shop",
        "external_id": external_id,
        "payment_method": "cod",
        "placed_at": "2026-11-11T00:05:00+08:00",
        "address": ADDRESS,
        "lines": [{"sku": "S1", "qty": 3, "unit_price": "150.00"}],
    }
    held = client.post("/api/v1/orders", json=order, headers=admin)
    assert held.status_code == 201 and held.json()["status"] == "on_hold", held.text
    return held.json()


def _open(client: Any, headers: dict[str, str], kind: str) -> dict[str, Any]:
    page = client.get(f"/api/v1/exceptions/?status=open&kind={kind}", headers=headers).json()
    assert page["total"] == 1, page
    return page["items"][0]


def test_cancel_from_console_and_phone_cancels_once(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    world = seed(database_url, orders=0)
    admin, sup = auth(tokens["admin"]), auth(tokens["supervisor"])
    order = _held_order(client, admin)
    item = _open(client, sup, "order_on_hold")
    assert item["actions"] == ["reallocate", "transfer", "cancel", "backorder", "dismiss"]
    assert item["severity"] == "warning"
    assert (item["subject_kind"], item["subject_id"]) == ("order", order["id"])
    phone = world.phones["sup"]
    entity = {c.key: c.val for c in pull(client, phone).ch if c.kind == "exception"}[item["id"]]
    assert entity["actions"] == item["actions"] and entity["subject_kind"] == "order"

    # No stock anywhere: re-allocating is refused and nothing changes.
    no_stock = client.post(f"/api/v1/exceptions/{item['id']}/act", json={"action": "reallocate"}, headers=sup)
    assert no_stock.status_code == 409 and no_stock.json()["errors"][0]["field"] == "action"
    wrong = client.post(f"/api/v1/exceptions/{item['id']}/act", json={"action": "write_off"}, headers=sup)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "action"

    done = client.post(
        f"/api/v1/exceptions/{item['id']}/act", json={"action": "cancel", "note": "buyer asked"}, headers=sup
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["outcome"] == "done"
    assert body["exception"]["status"] == "resolved" and body["exception"]["action"] == "cancel"
    assert body["exception"]["resolution"] == "order cancelled (was on_hold): buyer asked"
    assert client.get(f"/api/v1/orders/{order['id']}", headers=admin).json()["status"] == "cancelled"

    # The same decision from the phone, which had not heard yet: recorded, nothing done twice.
    answer = push(client, phone, op_for(phone, 1, ExceptionActed(exception=item["id"], action="cancel")))
    result = answer.res[0]
    assert result.st == "applied"
    assert [n.code for n in result.notes] == ["already_resolved"]
    again = client.post(f"/api/v1/exceptions/{item['id']}/act", json={"action": "cancel"}, headers=sup)
    assert again.status_code == 200 and again.json()["outcome"] == "already_resolved"
    with connect(database_url) as conn:
        cancels = conn.execute(
            select(func.count()).where(OrderStatusChange.to_status == "cancelled")
        ).scalar()
        audits = conn.execute(select(AuditEntry.details).where(AuditEntry.action == "exception.cancel")).all()
    assert cancels == 1
    assert [a[0]["via"] for a in audits] == ["console"]

    evidence = client.get(f"/api/v1/exceptions/{item['id']}/evidence", headers=sup).json()
    assert [h["action"] for h in evidence["history"]] == ["exception.cancel"]


def test_charge_from_phone_then_console_charges_the_rider_once(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    world = seed(database_url, orders=1)
    sup = auth(tokens["supervisor"])
    rider, phone = world.phones["rider1"], world.phones["sup"]
    # O1's COD is 100.00; the rider says 60.00 was collected: a mismatch, 40.00 the rider owes.
    flagged = push(
        client, rider, op_for(rider, 1, CashCollected(order=str(world.orders["O1"]), amount=6_000))
    )
    assert flagged.res[0].st == "flagged"
    item = _open(client, sup, "cod_amount_mismatch")
    assert item["actions"] == [*COD_CONFLICTS["cod_amount_mismatch"], "dismiss"]

    op = op_for(phone, 1, ExceptionActed(exception=item["id"], action="charge_rider", note="rider agreed"))
    first = push(client, phone, op).res[0]
    assert (first.st, [n.code for n in first.notes]) == ("applied", ["exception_acted"])
    console = client.post(
        f"/api/v1/exceptions/{item['id']}/act", json={"action": "charge_rider"}, headers=sup
    )
    assert console.status_code == 200 and console.json()["outcome"] == "already_resolved"
    assert console.json()["exception"]["resolved_by"] == "user:sup"
    # The phone sends the op again (no answer reached it): the journal knows it.
    assert push(client, phone, op).res[0].st == "duplicate"
    with connect(database_url) as conn:
        charged = conn.execute(
            select(CashLedgerEntry.holder, CashLedgerEntry.amount).where(CashLedgerEntry.kind == "charged")
        ).all()
        via = conn.execute(
            select(AuditEntry.details).where(AuditEntry.action == "exception.charge_rider")
        ).scalar_one()
    assert [tuple(r) for r in charged] == [("rider1", 4_000)]
    assert via["via"] == "phone" and via["note"] == "rider agreed"


def test_count_task_from_a_flag_and_a_refused_phone_action(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    world = seed(database_url, orders=0)
    sup = auth(tokens["supervisor"])
    wh1, phone = world.phones["wh1"], world.phones["sup"]
    push(client, wh1, op_for(wh1, 1, StockCounted(wh="W", bin="B1", sku="S1", counted=0)))
    item = _open(client, sup, "count_zero_unmarked")
    assert (item["subject_kind"], item["subject_id"]) == ("bin", "W/B1")
    # A warehouse worker may not settle it; a supervisor on the phone may.
    refused = push(client, phone, op_for(phone, 1, ExceptionActed(exception=item["id"], action="cancel")))
    assert refused.res[0].st == "flagged"
    assert [n.code for n in refused.res[0].notes] == ["exception_action_refused"]
    done = push(client, phone, op_for(phone, 2, ExceptionActed(exception=item["id"], action="count_task")))
    assert done.res[0].st == "applied", done.res[0]
    with connect(database_url) as conn:
        tasks = conn.execute(select(CountTask.skus, CountTask.created_by)).all()
        status = conn.execute(
            select(ExceptionRecord.status).where(ExceptionRecord.id == uuid.UUID(item["id"]))
        ).scalar()
    assert [tuple(t) for t in tasks] == [(["S1"], "user:sup")]
    assert status == "resolved"


def test_acknowledge_assign_counts_and_filters(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    seed(database_url, orders=0)
    admin, sup = auth(tokens["admin"]), auth(tokens["supervisor"])
    _held_order(client, admin, "SHP-1")
    _held_order(client, admin, "SHP-2")
    counts = client.get("/api/v1/exceptions/counts", headers=sup).json()
    assert counts == {
        "total": 2,
        "by_kind": {"order_on_hold": 2},
        "by_severity": {"warning": 2},
        "unacknowledged": 2,
    }
    first = client.get("/api/v1/exceptions/?kind=order_on_hold", headers=sup).json()["items"][0]
    seen = client.post(f"/api/v1/exceptions/{first['id']}/acknowledge", headers=sup)
    assert seen.status_code == 200 and seen.json()["acknowledged_by"] == "user:test-supervisor"
    assert (
        client.post(f"/api/v1/exceptions/{first['id']}/acknowledge", headers=admin).json()["acknowledged_by"]
        == "user:test-supervisor"
    )
    nobody = client.post(f"/api/v1/exceptions/{first['id']}/assign", json={"to": "ghost"}, headers=sup)
    assert nobody.status_code == 422 and nobody.json()["errors"][0]["field"] == "to"
    given = client.post(
        f"/api/v1/exceptions/{first['id']}/assign", json={"to": "test-warehouse"}, headers=sup
    )
    assert given.status_code == 200 and given.json()["assigned_to"] == "test-warehouse"
    assert client.get("/api/v1/exceptions/counts", headers=sup).json()["unacknowledged"] == 1
    mine = client.get("/api/v1/exceptions/?assigned_to=test-warehouse", headers=sup).json()
    assert [i["id"] for i in mine["items"]] == [first["id"]]
    assert client.get("/api/v1/exceptions/?severity=critical", headers=sup).json()["total"] == 0
    assert client.get("/api/v1/exceptions/?older_than_min=60", headers=sup).json()["total"] == 0
    assert client.get("/api/v1/exceptions/?subject_kind=order", headers=sup).json()["total"] == 2
    # One filter set for the list and its counts: what the inbox shows is what the tile counts.
    for query in (
        f"subject_id={first['subject_id']}",
        f"order_id={first['order_id']}",
        "assigned_to=test-warehouse",
    ):
        listed = client.get(f"/api/v1/exceptions/?{query}", headers=sup).json()["total"]
        assert (
            listed == 1 and client.get(f"/api/v1/exceptions/counts?{query}", headers=sup).json()["total"] == 1
        )
    bad = client.get("/api/v1/exceptions/?severity=loud", headers=sup)
    assert bad.status_code in (400, 422)
    short = client.post(f"/api/v1/exceptions/{first['id']}/act", json={"action": "dismiss"}, headers=sup)
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "note"
    backordered = client.post(
        f"/api/v1/exceptions/{first['id']}/act", json={"action": "backorder"}, headers=sup
    ).json()
    assert backordered["exception"]["resolution"] == "backordered: it is allocated first when stock arrives"
    closed = client.post(f"/api/v1/exceptions/{first['id']}/acknowledge", headers=sup)
    assert closed.status_code == 409


def test_a_held_count_approved_from_the_phone_sets_the_bin_once(
    database_url: str, client: Any, tokens: dict[str, str], monkeypatch: Any
) -> None:
    monkeypatch.setenv("BODEGA_COUNT_REVIEW", "1")  # held counts, as `bodega serve` runs
    world = seed(database_url, orders=0)
    sup = auth(tokens["supervisor"])
    wh1, phone = world.phones["wh1"], world.phones["sup"]
    push(client, wh1, op_for(wh1, 1, StockReceived(wh="W", bin="B1", sku="S1", qty=40)))
    for seq in (2, 3):  # counted 4, then recounted 4: waits for a supervisor's approval
        push(client, wh1, op_for(wh1, seq, StockCounted(wh="W", bin="B1", sku="S1", counted=4)))
    item = _open(client, sup, "count_needs_approval")
    assert item["actions"] == ["approve_count", "reject_count", "recount", "dismiss"]
    done = push(client, phone, op_for(phone, 1, ExceptionActed(exception=item["id"], action="approve_count")))
    assert (done.res[0].st, [n.code for n in done.res[0].notes]) == ("applied", ["exception_acted"])
    again = client.post(f"/api/v1/exceptions/{item['id']}/act", json={"action": "approve_count"}, headers=sup)
    assert again.status_code == 200 and again.json()["outcome"] == "already_resolved"
    assert again.json()["exception"]["action"] == "approve_count"
    reviews = client.get("/api/v1/count-reviews", headers=sup).json()
    assert [r["status"] for r in reviews] == ["approved"]
    with connect(database_url) as conn:
        from sqlalchemy import text

        qty = conn.execute(
            text(
                "SELECT COALESCE(SUM(m.qty), 0) FROM stock_movements m JOIN bins b ON b.id = m.bin_id "
                "WHERE b.code = 'B1'"
            )
        ).scalar_one()
    assert qty == 4  # set to the count once, not twice


def _cash_of(database_url: str) -> dict[str, list[tuple[str, int]]]:
    with connect(database_url) as conn:
        rows = conn.execute(
            select(CashLedgerEntry.holder, CashLedgerEntry.kind, CashLedgerEntry.amount).order_by(
                CashLedgerEntry.id
            )
        ).all()
    held: dict[str, list[tuple[str, int]]] = {}
    for holder, kind, amount in rows:
        held.setdefault(holder, []).append((kind, int(amount)))
    return held


def test_double_delivery_pick_the_real_one_voids_the_other_with_its_cash(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    phones = {"rider1": "rider", "rider2": "rider", "sup": "supervisor"}
    world = seed(database_url, orders=2, phones=phones)
    sup = auth(tokens["supervisor"])
    r1, r2, phone = world.phones["rider1"], world.phones["rider2"], world.phones["sup"]
    decided: list[str] = []
    for n, (via, keep) in enumerate((("console", "second"), ("phone", "first")), start=1):
        order = str(world.orders[f"O{n}"])
        push(
            client,
            r1,
            op_for(r1, 2 * n - 1, DeliveryAttempted(order=order, waybill=f"W{n}", outcome="delivered")),
        )
        push(client, r1, op_for(r1, 2 * n, CashCollected(order=order, amount=10_000)))
        again = DeliveryAttempted(order=order, waybill=f"W{n}", outcome="delivered")
        assert push(client, r2, op_for(r2, 2 * n - 1, again)).res[0].st == "flagged"
        push(client, r2, op_for(r2, 2 * n, CashCollected(order=order, amount=10_000)))
        item = _open(client, sup, "double_delivery")
        assert item["actions"][0] == "pick_delivery"
        act: dict[str, Any] = {"action": "pick_delivery", "params": {"keep": keep}}
        acted = ExceptionActed(exception=item["id"], action="pick_delivery", params={"keep": keep})
        if via == "console":
            bad = client.post(
                f"/api/v1/exceptions/{item['id']}/act", json={**act, "params": {"keep": "both"}}, headers=sup
            )
            assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "params.keep"
            done = client.post(f"/api/v1/exceptions/{item['id']}/act", json=act, headers=sup)
            assert done.status_code == 200, done.text
            decided.append(done.json()["exception"]["resolution"])
            # The phone had decided the same offline: applied once.
            late = push(client, phone, op_for(phone, 1, acted))
            assert [n.code for n in late.res[0].notes] == ["already_resolved"]
        else:
            first = push(client, phone, op_for(phone, 2, acted))
            assert [n.code for n in first.res[0].notes] == ["exception_acted"], first.res[0]
            again_console = client.post(f"/api/v1/exceptions/{item['id']}/act", json=act, headers=sup)
            assert again_console.json()["outcome"] == "already_resolved"
            decided.append(first.res[0].notes[0].msg)
    assert "rider1" in decided[0] and "₱100.00" in decided[0]
    assert "rider2" in decided[1]
    with connect(database_url) as conn:
        attempts = conn.execute(
            select(DeliveryAttempt.waybill, DeliveryAttempt.device, DeliveryAttempt.counts).order_by(
                DeliveryAttempt.id
            )
        ).all()
        assert ledger_ok(conn) == []
    assert [(w, d, c) for w, d, c in attempts] == [
        ("W1", r1.device_id, False),  # the second report was the real one
        ("W1", r2.device_id, True),
        ("W2", r1.device_id, True),
        ("W2", r2.device_id, False),
    ]
    # Each voided report's cash left its rider's hands with it.
    assert _cash_of(database_url) == {
        "rider1": [("collected", 10_000), ("voided", -10_000), ("collected", 10_000)],
        "rider2": [("collected", 10_000), ("collected", 10_000), ("voided", -10_000)],
    }


def test_transfer_brings_the_stock_a_held_order_lacks_and_reallocates_it(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    stock = {("CASE-BLK", "VAL"): 2, ("CASE-BLK", "CEB"): 3, ("CABLE-1M", "VAL"): 1, ("CABLE-1M", "CEB"): 2}
    run(seed_world(database_url, stock))
    with connect(database_url) as conn:
        phone = add_phone(conn, "sup", "supervisor", None)
        conn.commit()
    admin, sup = auth(tokens["admin"]), auth(tokens["supervisor"])
    # Neither warehouse alone has enough for either order.
    for external_id, lines in (("H-1", [("CASE-BLK", 4)]), ("H-2", [("CABLE-1M", 3)])):
        held = client.post("/api/v1/orders", json=order_payload(external_id, lines), headers=admin)
        assert held.json()["status"] == "on_hold", held.text
    items = {
        x["order_id"]: x
        for x in client.get("/api/v1/exceptions/?kind=order_on_hold", headers=sup).json()["items"]
    }
    assert all(
        x["actions"] == ["reallocate", "transfer", "cancel", "backorder", "dismiss"] for x in items.values()
    )
    h1, h2 = (_order_id(client, admin, e) for e in ("H-1", "H-2"))

    nowhere = client.post(
        f"/api/v1/exceptions/{items[h1]['id']}/act",
        json={"action": "transfer", "params": {"to": "VAL", "from": "XXX"}},
        headers=sup,
    )
    assert nowhere.status_code == 409 and nowhere.json()["errors"][0]["field"] == "params.from"
    done = client.post(
        f"/api/v1/exceptions/{items[h1]['id']}/act",
        json={"action": "transfer"},
        headers=sup,
    )
    assert done.status_code == 200, done.text
    assert done.json()["exception"]["resolution"] == "moved 2 CASE-BLK from CEB to VAL; re-allocated to VAL"
    late = push(client, phone, op_for(phone, 1, ExceptionActed(exception=items[h1]["id"], action="transfer")))
    assert [n.code for n in late.res[0].notes] == ["already_resolved"]

    acted = ExceptionActed(exception=items[h2]["id"], action="transfer", params={"to": "VAL", "from": "CEB"})
    first = push(client, phone, op_for(phone, 2, acted)).res[0]
    assert first.notes[0].msg == "moved 2 CABLE-1M from CEB to VAL; re-allocated to VAL", first
    assert (
        client.post(
            f"/api/v1/exceptions/{items[h2]['id']}/act", json={"action": "transfer"}, headers=sup
        ).json()["outcome"]
        == "already_resolved"
    )
    assert _balances(database_url) == {
        ("CASE-BLK", "VAL"): (4, 4),
        ("CASE-BLK", "CEB"): (1, 0),
        ("CABLE-1M", "VAL"): (3, 3),
        ("CABLE-1M", "CEB"): (0, 0),
    }
    with connect(database_url) as conn:
        assert ledger_ok(conn) == []
        transfers = conn.execute(
            select(func.count()).select_from(StockMovement).where(StockMovement.kind == "transfer_out")
        ).scalar()
    assert transfers == 2  # one per decision, though each was sent twice
    for order_id in (h1, h2):
        assert client.get(f"/api/v1/orders/{order_id}", headers=admin).json()["status"] == "allocated"


def _order_id(client: Any, admin: dict[str, str], external_id: str) -> str:
    page = client.get(f"/api/v1/orders/?external_id={external_id}", headers=admin).json()
    return str(page["items"][0]["id"])


def _balances(database_url: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(SKU, warehouse) -> (on hand, reserved)."""
    b = StockBalance
    with connect(database_url) as conn:
        rows = conn.execute(
            select(Sku.code, Warehouse.code, b.on_hand, b.reserved)
            .join(Sku, Sku.id == b.sku_id)
            .join(Warehouse, Warehouse.id == b.warehouse_id)
        ).all()
    return {(sku, wh): (int(on_hand), int(reserved)) for sku, wh, on_hand, reserved in rows}


def test_backorder_marks_the_order_for_the_seller_and_it_gets_stock_first(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    run(seed_world(database_url, {("CASE-BLK", "VAL"): 1}))
    with connect(database_url) as conn:
        phone = add_phone(conn, "sup", "supervisor", None)
        conn.commit()
    admin, sup = auth(tokens["admin"]), auth(tokens["supervisor"])
    for external_id in ("H-1", "H-2", "H-3"):  # placed in this order, each short of stock
        held = client.post(
            "/api/v1/orders", json=order_payload(external_id, [("CASE-BLK", 2)]), headers=admin
        )
        assert held.json()["status"] == "on_hold", held.text
    ids = {e: _order_id(client, admin, e) for e in ("H-1", "H-2", "H-3")}
    items = {
        x["order_id"]: x["id"]
        for x in client.get("/api/v1/exceptions/?kind=order_on_hold", headers=sup).json()["items"]
    }
    # H-2 from the console, H-3 from the phone; each sent by the other path too, applied once.
    done = client.post(
        f"/api/v1/exceptions/{items[ids['H-2']]}/act", json={"action": "backorder"}, headers=sup
    )
    assert done.json()["exception"]["resolution"] == "backordered: it is allocated first when stock arrives"
    late = push(
        client, phone, op_for(phone, 1, ExceptionActed(exception=items[ids["H-2"]], action="backorder"))
    )
    assert [n.code for n in late.res[0].notes] == ["already_resolved"]
    first = push(
        client, phone, op_for(phone, 2, ExceptionActed(exception=items[ids["H-3"]], action="backorder"))
    )
    assert [n.code for n in first.res[0].notes] == ["exception_acted"]
    again = client.post(
        f"/api/v1/exceptions/{items[ids['H-3']]}/act", json={"action": "backorder"}, headers=sup
    )
    assert again.json()["outcome"] == "already_resolved"

    def backordered() -> list[str]:
        page = client.get("/api/v1/orders/?backordered=true&sort=placed_at", headers=admin).json()
        return sorted(o["external_id"] for o in page["items"] if o["backordered"])

    assert backordered() == ["H-2", "H-3"]
    not_marked = client.get("/api/v1/orders/?backordered=false&status=on_hold", headers=admin).json()
    assert [o["external_id"] for o in not_marked["items"]] == ["H-1"]
    # Stock for one order arrives: a backorder gets it before the older H-1.
    lines = [{"sku": "CASE-BLK", "qty": 1, "bin": "A-01-01"}]
    client.post("/api/v1/stock/receipts", json={"warehouse": "VAL", "lines": lines}, headers=admin)
    status = {e: client.get(f"/api/v1/orders/{i}", headers=admin).json() for e, i in ids.items()}
    assert [status[e]["status"] for e in ("H-1", "H-2", "H-3")] == ["on_hold", "allocated", "on_hold"]
    assert [status[e]["backordered"] for e in ("H-1", "H-2", "H-3")] == [False, False, True]
    assert backordered() == ["H-3"]
    # Only a held order can be backordered: H-2 is allocated now.
    with connect(database_url) as conn:
        try:
            backorder(conn, uuid.UUID(ids["H-2"]), actor="user:test")
        except IllegalTransition as exc:
            assert exc.errors[0].field == "action"
        else:
            raise AssertionError("an allocated order was backordered")


def test_one_rider_reporting_one_delivery_twice_keeps_one_collection(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    world = seed(database_url, orders=1)
    sup, r1 = auth(tokens["supervisor"]), world.phones["rider1"]
    order = str(world.orders["O1"])
    for seq in (1, 3):  # the phone sent the delivery and its cash twice (a double tap, a re-entry)
        push(client, r1, op_for(r1, seq, DeliveryAttempted(order=order, waybill="W1", outcome="delivered")))
        push(client, r1, op_for(r1, seq + 1, CashCollected(order=order, amount=10_000)))
    item = _open(client, sup, "double_delivery")
    act = {"action": "pick_delivery", "params": {"keep": "second"}}
    done = client.post(f"/api/v1/exceptions/{item['id']}/act", json=act, headers=sup)
    assert done.status_code == 200, done.text
    # The buyer paid once: one collection stays in the rider's hands.
    assert _cash_of(database_url) == {
        "rider1": [("collected", 10_000), ("collected", 10_000), ("voided", -10_000)]
    }
