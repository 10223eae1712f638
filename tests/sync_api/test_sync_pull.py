"""Pull through the server: pages and the end marker, tombstones, checksums, resets, and the
entities of each scope (bins, tasks, stops, catalog, exceptions), including changes made outside
sync (the console, channels) that the projector brings into the change log."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import insert, select, text, update

from server.auth.models import User
from server.changes.log import purge_tombstones, start_new_epoch
from server.db.base import new_id
from server.inventory.models import Warehouse
from server.sync_api.projector import refresh
from sync import (
    Change,
    Client,
    Cursor,
    StockPicked,
    StockReceived,
    SyncRequest,
    SyncResponse,
    decode,
)
from tests.conftest import auth
from tests.kit.sync import (
    ADDRESS,
    Phone,
    SyncWorld,
    add_phone,
    connect,
    engine_for,
    ledger_ok,
    op_for,
    phone_client,
    post,
    pull,
    seed,
    server_scope,
)


@pytest.fixture
def world(database_url: str) -> SyncWorld:
    return seed(database_url, bins=5, skus=5)


def stock_up(client: Any, world: SyncWorld, phone: Phone, count: int, first_seq: int = 1) -> None:
    ops = [
        op_for(
            phone, first_seq + n, StockReceived(wh="W", bin=f"B{1 + n % 5}", sku=f"S{1 + n // 5}", qty=n + 1)
        )
        for n in range(count)
    ]
    assert post(client, phone, SyncRequest(v=1, ops=ops, pull=False), endpoint="push").status_code == 200


def project(url: str) -> None:
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            refresh(conn)
    finally:
        engine.dispose()


def test_pages_end_with_a_marker_that_carries_the_head_and_the_checksums(
    world: SyncWorld, client: Any
) -> None:
    wh = world.phones["wh1"]
    stock_up(client, world, wh, 25)
    project(world.url)
    seen: list[Change] = []
    cur, pages, positions = None, [], []
    while True:
        page = pull(client, wh, cur, lim=10)
        pages.append(page)
        seen += page.ch
        positions.append(Cursor.parse(page.cur).position)
        cur = page.cur
        if not page.more:
            break
    # 25 stocked bin/SKU pairs + 5 bin locations + 5 SKUs; the fourth page is the end marker.
    assert [len(p.ch) for p in pages] == [10, 10, 10, 5]
    assert all(p.sums == {} for p in pages[:-1]) and set(pages[-1].sums) == {"catalog", "wh:W"}
    assert positions == sorted(positions)
    with connect(world.url) as conn:
        head = conn.execute(text("SELECT position FROM sync_log_head")).scalar_one()
        assert positions[-1] == head
        assert {(c.kind, c.key): c.val for c in seen if c.scope == "wh:W"} == server_scope(conn, "wh:W")
    # Nothing new: the next pull is one empty end marker at the same cursor.
    again = pull(client, wh, cur)
    assert again.ch == [] and not again.more and again.cur == cur


def test_the_reference_client_over_http_ends_with_the_servers_view(world: SyncWorld, client: Any) -> None:
    wh = world.phones["wh1"]
    stock_up(client, world, wh, 12)
    project(world.url)
    phone = phone_client(client, world.phones["wh1"], page_size=4)
    phone.next_seq = 13  # the raw pushes above used seqs 1..12
    phone.record(StockPicked(wh="W", bin="B1", sku="S1", qty=1, order=world.order("O1")))
    report = phone.sync(max_rounds=50)
    assert report.done and phone.outbox == [] and phone.drift_resets == 0
    with connect(world.url) as conn:
        for scope in ("wh:W", "catalog"):
            assert phone.replica[scope] == server_scope(conn, scope)


def test_deletions_reach_phones_that_had_the_entity_and_skip_new_ones(world: SyncWorld, client: Any) -> None:
    wh = world.phones["wh1"]
    with connect(world.url) as conn:  # a second phone of the same picker, never synced
        wid = conn.execute(select(Warehouse.id).where(Warehouse.code == "W")).scalar_one()
        wh2 = add_phone(conn, "wh1", "warehouse", wid)
        conn.commit()
    stock_up(client, world, wh, 1)
    before = pull(client, wh)
    assert [c.val for c in before.ch if c.kind == "bin"] == [1]
    gone = op_for(wh, 2, StockPicked(wh="W", bin="B1", sku="S1", qty=1, order=world.order("O1")))
    post(client, wh, SyncRequest(v=1, ops=[gone], pull=False), endpoint="push")
    after = pull(client, wh, before.cur)
    bins = {(c.key, c.val) for c in after.ch if c.kind == "bin"}
    assert bins == {("B1/S1", None), ("/S1", 1)}  # B1 emptied, staging has it
    fresh = pull(client, wh2)
    assert {(c.key, c.val) for c in fresh.ch if c.kind == "bin"} == {("/S1", 1)}


@pytest.mark.parametrize(
    "why", ["bad_cursor", "epoch_changed", "cursor_ahead", "scope_changed", "cursor_expired"]
)
def test_cursors_from_another_history_are_answered_with_a_reset(
    world: SyncWorld, client: Any, why: str
) -> None:
    wh = world.phones["wh1"]
    stock_up(client, world, wh, 3)
    first = pull(client, wh)
    cur = first.cur
    push_after = None
    engine = engine_for(world.url)
    with engine.begin() as conn:
        if why == "bad_cursor":
            cur = "this is not a cursor"
        elif why == "epoch_changed":
            start_new_epoch(conn)  # what restoring a backup does
        elif why == "cursor_ahead":
            cur = Cursor(first.ep, Cursor.parse(cur).position + 100).format()
        elif why == "scope_changed":  # wh1 now works in another warehouse
            moved = new_id()
            conn.execute(insert(Warehouse).values(id=moved, code="W2", name="Other", region="NCR"))
            conn.execute(update(User).where(User.username == "wh1").values(warehouse_id=moved))
        else:  # a deletion older than the cursor is purged: the cursor can no longer be served
            gone = op_for(wh, 4, StockPicked(wh="W", bin="B1", sku="S1", qty=1, order=world.order("O1")))
            push_after = gone
    if why == "cursor_expired":
        post(client, wh, SyncRequest(v=1, ops=[push_after], pull=False), endpoint="push")
        with engine.begin() as conn:
            purge_tombstones(conn, 10**9)
    engine.dispose()
    answer = decode(post(client, wh, SyncRequest(v=1, cur=cur)).content, SyncResponse, "json")
    assert answer.reset is not None and answer.reset.why == why
    assert answer.ch == [] and answer.more and Cursor.parse(answer.cur).position == 0
    assert answer.reset.hwm == (4 if why == "cursor_expired" else 3) and answer.reset.ep == answer.ep
    # Starting again from the beginning works.
    fresh = pull(client, wh)
    assert fresh.reset is None


def test_changes_made_outside_sync_reach_the_phones(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    world = seed(database_url, status="allocated", runs=False)  # the test makes its own run
    admin = auth(tokens["admin"])
    rider, wh = world.phones["rider1"], world.phones["wh1"]
    o1, o2 = world.order("O1"), world.order("O2")
    project(world.url)
    tasks = {c.key: c.val for c in pull(client, wh).ch if c.kind == "task"}
    assert set(tasks) == {world.order(f"O{n}") for n in range(1, 6)} and tasks[o1]["status"] == "allocated"
    # A supervisor gives rider1 a run: its phone gets the stops.
    run = client.post(
        "/api/v1/runs",
        json={
            "rider": "rider1",
            "name": "Malinta AM",
            "stops": [{"order": o1, "waybill": "WB1"}, {"order": o2}],
        },
        headers=admin,
    )
    assert run.status_code == 201, run.text
    stops = {c.key: c.val for c in pull(client, rider).ch if c.kind == "stop"}
    assert stops[o1]["waybill"] == "WB1" and stops[o1]["pos"] == 1 and stops[o2]["cod"] == world.cod["O2"]
    first = pull(client, rider)
    # The buyer cancels O1 on the marketplace (the console moves it): task gone, stop says cancelled.
    moved = client.post(f"/api/v1/orders/{o1}/status", json={"status": "cancelled"}, headers=admin)
    assert moved.status_code in (200, 201), moved.text
    project(world.url)
    changed = {(c.scope, c.key): c.val for c in pull(client, rider, first.cur).ch}
    assert changed == {("runs:rider1", o1): {**stops[o1], "status": "cancelled"}}
    assert {c.key: c.val for c in pull(client, wh).ch if c.kind == "task"}.get(o1) is None
    # A new SKU with a barcode reaches the warehouse phones' catalog.
    sku = client.post("/api/v1/skus", json={"code": "S9", "name": "New item"}, headers=admin)
    assert sku.status_code == 201, sku.text
    assert (
        client.post(
            "/api/v1/skus/S9/barcodes", json={"code": "BC-S9", "kind": "internal"}, headers=admin
        ).status_code
        == 201
    )
    project(world.url)
    catalog = {c.key: c.val for c in pull(client, wh).ch if c.kind == "sku"}
    assert catalog["S9"] == {"name": "New item", "barcodes": ["BC-S9"]}
    # Closing the run takes its stops off the rider's phone.
    closed = client.post(f"/api/v1/runs/{run.json()['id']}/close", headers=admin)
    assert closed.status_code == 200, closed.text
    assert {c.kind for c in pull(client, rider).ch} == set()
    with connect(world.url) as conn:
        assert ledger_ok(conn) == []


def test_ingested_orders_reach_the_warehouse_phones_without_waiting_for_the_projector(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    world = seed(database_url)
    admin = auth(tokens["admin"])
    wh = world.phones["wh1"]
    receipt = {"warehouse": "W", "lines": [{"sku": "S1", "qty": 5, "bin": "B1"}, {"sku": "S2", "qty": 5}]}
    assert client.post("/api/v1/stock/receipts", json=receipt, headers=admin).status_code == 201
    project(world.url)  # everything made before is in the log now
    order = {
        "shop": "shop",
        "external_id": "LZ-1001",
        "payment_method": "cod",
        "placed_at": "2026-11-11T00:05:00+08:00",
        "address": ADDRESS,
        "lines": [
            {"sku": "S2", "qty": 1, "unit_price": "99.00"},
            {"sku": "S1", "qty": 2, "unit_price": "199.00"},
        ],
    }
    created = client.post("/api/v1/orders", json=order, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "allocated"
    oid = created.json()["id"]
    # Logged by the ingesting transaction itself: the pick task is there before any projector round.
    tasks = {c.key: c.val for c in pull(client, wh).ch if c.kind == "task"}
    assert tasks[oid] == {"status": "allocated", "lines": [["S2", 1], ["S1", 2]], "ext": "LZ-1001"}
    with connect(world.url) as conn:
        head = "SELECT position FROM sync_log_head"
        before = conn.execute(text(head)).scalar_one()
        refresh(conn)
        assert conn.execute(text(head)).scalar_one() == before  # the projector has nothing to add
        refresh(conn, full=True)  # and recomputing everything finds the same values
        assert conn.execute(text(head)).scalar_one() == before
        recent = "SELECT COUNT(*) FROM orders WHERE (logged_at IS NULL OR logged_at < updated_at)"
        assert conn.execute(text(recent + " AND id = :id"), {"id": uuid.UUID(oid).hex}).scalar_one() == 0
        conn.commit()
    # The buyer cancels on the marketplace: the task leaves the phones at once too.
    cancelled = client.post(
        "/api/v1/orders",
        json={**order, "status": "cancelled", "updated_at": "2026-11-11T01:00:00+08:00"},
        headers=admin,
    )
    assert cancelled.status_code in (200, 201), cancelled.text
    assert oid not in {c.key for c in pull(client, wh).ch if c.kind == "task"}
    # An order that cannot be filled is held: the supervisor's phone has the exception at once.
    short = {**order, "external_id": "LZ-1002", "lines": [{"sku": "S2", "qty": 50, "unit_price": "99.00"}]}
    held = client.post("/api/v1/orders", json=short, headers=admin)
    assert held.status_code == 201 and held.json()["status"] == "on_hold", held.text
    alerts = [c.val for c in pull(client, world.phones["sup"]).ch if c.kind == "exception"]
    assert [(a["kind"], a["order"]) for a in alerts] == [("order_on_hold", held.json()["id"])]


def test_runs_refuse_what_they_cannot_do_with_field_names(
    world: SyncWorld, client: Any, tokens: dict[str, str]
) -> None:
    admin = auth(tokens["admin"])
    bad = client.post(
        "/api/v1/runs",
        json={"rider": "wh1", "stops": [{"order": world.order("O1")}, {"order": world.order("O1")}]},
        headers=admin,
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"rider", "stops[1].order"}
    missing = client.post("/api/v1/runs/00000000-0000-0000-0000-000000000000/close", headers=admin)
    assert missing.status_code == 404
    assert client.post("/api/v1/runs", json={}, headers=auth(tokens["rider"])).status_code == 403


def test_a_phone_that_pulls_while_offline_work_waits_keeps_it(world: SyncWorld, client: Any) -> None:
    phone: Client = phone_client(client, world.phones["rider1"])
    report = phone.sync()
    assert report.done and set(phone.replica) <= {"cash:rider1", "runs:rider1"}


def test_phones_know_every_bin_even_empty_ones_and_lose_switched_off_ones(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    world = seed(database_url, bins=3)
    admin = auth(tokens["admin"])
    wh = world.phones["wh1"]
    project(world.url)
    first = pull(client, wh)
    locations = {c.key: c.val for c in first.ch if c.kind == "location"}
    assert locations == {"B1": {"zone": ""}, "B2": {"zone": ""}, "B3": {"zone": ""}}  # all empty

    added = client.post("/api/v1/warehouses/W/bins", json={"code": "C-01", "zone": "C"}, headers=admin)
    assert added.status_code == 201, added.text
    project(world.url)  # new bins reach the phones with the projector's next look
    second = pull(client, wh, first.cur)
    assert [(c.kind, c.key, c.val) for c in second.ch] == [("location", "C-01", {"zone": "C"})]

    off = client.patch("/api/v1/warehouses/W/bins/B2", json={"active": False}, headers=admin)
    assert off.status_code == 200, off.text
    third = pull(client, wh, second.cur)  # logged by the change itself, no projector needed
    assert [(c.kind, c.key, c.val) for c in third.ch] == [("location", "B2", None)]
