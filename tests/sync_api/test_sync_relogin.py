"""A phone that logs in again never gets stuck (PROTOCOL.md §1.1, §3.2): the outbox moves to the
new device with its op ids, a duplicate found by id fills the new device's slot, and every fact is
applied exactly once. Through the real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from sqlalchemy import func, select, update

from server.auth.models import Device
from server.inventory.models import StockMovement
from sync import Client, Op, PushRequest, PushResponse, SeqSkipped, StockReceived, decode
from tests.kit.sync import (
    Phone,
    SyncWorld,
    add_phone,
    bins_by_code,
    connect,
    engine_for,
    ledger_ok,
    op_for,
    phone_client,
    post,
    seed,
)


@pytest.fixture
def world(database_url: str) -> SyncWorld:
    return seed(database_url)


def recv(qty: int) -> StockReceived:
    return StockReceived(wh="W", bin="B1", sku="S1", qty=qty)


def push(http: Any, phone: Phone, ops: list[Op]) -> PushResponse:
    response = post(http, phone, PushRequest(v=1, ops=ops), endpoint="push")
    assert response.status_code == 200, response.text
    return decode(response.content, PushResponse, "json")


def login_again(world: SyncWorld, username: str) -> Phone:
    """The same user logs in on the same phone: the server registers a new device."""
    engine = engine_for(world.url)
    try:
        with engine.begin() as conn:
            return add_phone(conn, username, "warehouse", None)
    finally:
        engine.dispose()


def revoke(world: SyncWorld, phone: Phone) -> None:
    engine = engine_for(world.url)
    try:
        with engine.begin() as conn:
            conn.execute(
                update(Device)
                .where(Device.id == uuid.UUID(phone.device_id))
                .values(revoked_at=datetime.now(UTC))
            )
    finally:
        engine.dispose()


def applied_once(world: SyncWorld, ops: list[Op]) -> None:
    """Every op moved stock exactly once, and the bin holds their sum."""
    with connect(world.url) as conn:
        rows = dict(
            conn.execute(
                select(StockMovement.ref_id, func.count())
                .where(StockMovement.ref_type == "op")
                .group_by(StockMovement.ref_id)
            ).all()
        )
        assert {str(op.id): 1 for op in ops} == {k: int(v) for k, v in rows.items()}
        assert bins_by_code(conn) == {("W", "B1", "S1"): sum(op.payload["qty"] for op in ops)}
        assert ledger_ok(conn) == []


def test_relogin_with_journalled_ops_in_the_moved_outbox_finishes(world: SyncWorld, client: Any) -> None:
    # The scenario: A pushes f0, f1 and never hears; the user logs in again (device B);
    # the outbox moves to B as seq 1-4 with the same ids.
    a = phone_client(client, world.phones["wh1"])
    for n in range(4):
        a.record(recv(n + 1))
    push(client, world.phones["wh1"], a.outbox[:2])  # the answer is lost
    b_phone = login_again(world, "wh1")
    b = phone_client(client, b_phone)
    b.adopt(a.outbox)
    assert [op.seq for op in b.outbox] == [1, 2, 3, 4]
    report = b.sync()
    assert report.done, report
    assert b.confirmed == 4
    applied_once(world, a.outbox)


def test_the_answer_fills_the_slots_with_the_duplicates(world: SyncWorld, client: Any) -> None:
    wh = world.phones["wh1"]
    first = [op_for(wh, 1, recv(1)), op_for(wh, 2, recv(2))]
    push(client, wh, first)
    b_phone = login_again(world, "wh1")
    moved = [
        msgspec.structs.replace(op, dev=b_phone.device_id, seq=n)
        for n, op in enumerate([*first, op_for(wh, 3, recv(3)), op_for(wh, 4, recv(4))], start=1)
    ]
    answer = push(client, b_phone, moved)
    assert [(r.seq, r.st) for r in answer.res] == [
        (1, "duplicate"),
        (2, "duplicate"),
        (3, "applied"),
        (4, "applied"),
    ]
    assert answer.hwm == 4 and answer.resume_from is None
    # Asking again changes nothing: the copies are in the slots now.
    again = push(client, b_phone, moved)
    assert [r.st for r in again.res] == ["duplicate"] * 4 and again.hwm == 4
    applied_once(world, moved)


def test_one_device_resending_a_journalled_id_at_a_new_seq_is_not_stuck(
    world: SyncWorld, client: Any
) -> None:
    wh = world.phones["wh1"]
    f0 = op_for(wh, 1, recv(5))
    push(client, wh, [f0])
    renumbered = msgspec.structs.replace(f0, seq=2)
    answer = push(client, wh, [renumbered, op_for(wh, 3, recv(7))])
    assert [(r.seq, r.st) for r in answer.res] == [(2, "duplicate"), (3, "applied")]
    assert answer.hwm == 3
    with connect(world.url) as conn:
        assert bins_by_code(conn) == {("W", "B1", "S1"): 12}


def test_revoked_with_unsynced_ops_then_login_applies_each_once(world: SyncWorld, client: Any) -> None:
    a_phone = world.phones["wh1"]
    a = phone_client(client, a_phone)
    recorded = [a.record(recv(1))]
    assert a.sync().done
    recorded += [a.record(recv(n)) for n in (2, 3, 4)]
    push(client, a_phone, a.outbox[:2])  # journalled, the answer lost
    recorded.append(a.record(recv(5)))
    revoke(world, a_phone)
    report = a.sync()
    assert not report.done and "revoked" in report.error
    b = phone_client(client, login_again(world, "wh1"))
    b.adopt(a.outbox)
    assert b.sync().done
    applied_once(world, recorded)


def test_reinstall_with_an_exported_outbox_applies_each_once(world: SyncWorld, client: Any) -> None:
    a_phone = world.phones["wh1"]
    a = phone_client(client, a_phone)
    recorded = [a.record(recv(n)) for n in (1, 2, 3)]
    push(client, a_phone, a.outbox[:2])  # journalled, the answer lost
    # A filler the old device had queued: it speaks of the old device's slots, so it stays behind.
    a.box.add(Op(uuid.uuid4(), a_phone.device_id, 4, 0, "0" * 16, "device.seq_skipped@v1", {"to": 6}))
    exported = msgspec.json.encode(a.outbox)
    # The app is reinstalled (everything local gone), the user logs in and imports the file.
    fresh: Client = phone_client(client, login_again(world, "wh1"))
    fresh.adopt(msgspec.json.decode(exported, type=list[Op]))
    assert [op.type for op in fresh.outbox] == ["stock.received@v1"] * 3
    assert fresh.sync().done
    applied_once(world, recorded)


def test_moved_filler_is_not_needed_and_a_moved_copy_of_a_filler_fills_slots(
    world: SyncWorld, client: Any
) -> None:
    # A raw client that moves a journalled filler anyway: it is a duplicate and fills its slot.
    wh = world.phones["wh1"]
    filler = op_for(wh, 1, SeqSkipped(to=1))
    push(client, wh, [filler])
    b_phone = login_again(world, "wh1")
    moved = [msgspec.structs.replace(filler, dev=b_phone.device_id), op_for(b_phone, 2, recv(3))]
    answer = push(client, b_phone, moved)
    assert [(r.seq, r.st) for r in answer.res] == [(1, "duplicate"), (2, "applied")]
