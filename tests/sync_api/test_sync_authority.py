"""Pushes are checked against who may do what where (sync.AUTHORITY, PROTOCOL.md §7.1): a fact
outside its user's role or warehouse/run scope is journalled but not applied, and becomes an
`out_of_scope` exception for a supervisor. Per op type, through the real server, on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from sqlalchemy import func, insert, select, text

from server.cod.models import CashLedgerEntry, DeliveryAttempt, ProofLink
from server.db.base import new_id
from server.exceptions.models import ExceptionRecord
from server.inventory.models import StockMovement, Warehouse
from server.orders.models import Order
from server.sync_api.models import SyncOp
from sync import (
    AUTHORITY,
    CATALOGUE,
    CashCollected,
    DeliveryAttempted,
    ParcelHandedOver,
    ParcelLine,
    ParcelPacked,
    ProofAttached,
    PushRequest,
    PushResponse,
    RemittanceHandedIn,
    ReturnReceived,
    SeqSkipped,
    StockCounted,
    StockPicked,
    StockPutAway,
    StockReceived,
    StockShortPicked,
    decode,
)
from tests.kit.sync import Phone, SyncWorld, add_phone, connect, engine_for, op_for, post, seed

BLOB = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.fixture
def world(database_url: str) -> SyncWorld:
    w = seed(database_url, status="packed")
    engine = engine_for(database_url)
    try:
        with engine.begin() as conn:
            other = new_id()
            conn.execute(insert(Warehouse).values(id=other, code="X", name="Elsewhere", region="VII"))
            w.phones["whx"] = add_phone(conn, "whx", "warehouse", other)  # works in X, not W
            w.phones["loose"] = add_phone(conn, "loose", "rider", None)  # a rider with no runs
    finally:
        engine.dispose()
    return w


def cases(w: SyncWorld) -> list[tuple[str, msgspec.Struct]]:
    """(who may not, what) for every op type but the filler."""
    o1 = w.order("O1")
    return [
        ("whx", StockReceived(wh="W", bin="B1", sku="S1", qty=3)),
        ("rider1", StockReceived(wh="W", bin="B1", sku="S1", qty=3)),
        ("whx", StockPutAway(wh="W", sku="S1", qty=1, from_bin="B1", to_bin="B2")),
        ("whx", StockPicked(wh="W", bin="B1", sku="S1", qty=1, order=o1)),
        (
            "whx",
            StockShortPicked(wh="W", bin="B1", sku="S1", order=o1, wanted=2, found=1, reason="not_enough"),
        ),
        ("whx", StockCounted(wh="W", bin="B1", sku="S1", counted=0)),
        ("rider1", StockCounted(wh="W", bin="B1", sku="S1", counted=0)),
        ("whx", ParcelPacked(wh="W", order=o1, waybill="WB1")),
        ("whx", ParcelHandedOver(wh="W", order=o1, waybill="WB1", to="jnt", lines=[ParcelLine("S1", 1)])),
        ("whx", ReturnReceived(wh="W", bin="B1", sku="S1", qty=1, order=o1)),
        ("loose", DeliveryAttempted(order=o1, waybill="WB1", outcome="delivered")),
        ("wh1", DeliveryAttempted(order=o1, waybill="WB1", outcome="delivered")),
        ("loose", CashCollected(order=o1, amount=w.cod["O1"])),
        ("wh1", CashCollected(order=o1, amount=w.cod["O1"])),
        ("loose", ProofAttached(order=o1, blob=BLOB)),
        ("wh1", RemittanceHandedIn(amount=100, to="sup")),
    ]


def push(http: Any, phone: Phone, payload: msgspec.Struct) -> PushResponse:
    response = post(http, phone, PushRequest(v=1, ops=[op_for(phone, 1, payload)]), endpoint="push")
    assert response.status_code == 200, response.text
    return decode(response.content, PushResponse, "json")


def test_every_op_type_states_who_may_record_it() -> None:
    assert set(AUTHORITY) == set(CATALOGUE)


@pytest.mark.parametrize("case", range(16))
def test_a_fact_outside_its_authority_is_journalled_not_applied(
    world: SyncWorld, client: Any, case: int
) -> None:
    who, payload = cases(world)[case]
    answer = push(client, world.phones[who], payload)
    assert [(r.st, [n.code for n in r.notes]) for r in answer.res] == [("flagged", ["out_of_scope"])]
    with connect(world.url) as conn:
        assert conn.execute(select(func.count()).select_from(SyncOp)).scalar_one() == 1
        for table in (StockMovement, CashLedgerEntry, DeliveryAttempt, ProofLink):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0, table
        assert set(conn.execute(select(Order.status)).scalars()) == {"packed"}
        kinds = conn.execute(select(ExceptionRecord.kind)).scalars().all()
        assert kinds == ["out_of_scope"]


@pytest.mark.parametrize(
    ("who", "payload"),
    [
        ("wh1", StockReceived(wh="W", bin="B1", sku="S1", qty=3)),
        ("sup", StockReceived(wh="W", bin="B1", sku="S1", qty=3)),  # managers step in anywhere
        ("whx", StockReceived(wh="X", bin="B1", sku="S1", qty=3)),
        ("rider1", CashCollected(order="ORD-NOT-HERE", amount=500)),  # unknown: the rule flags it
        ("rider1", RemittanceHandedIn(amount=100, to="sup")),
        ("loose", SeqSkipped(to=1)),
    ],
)
def test_a_fact_within_its_authority_is_judged(world: SyncWorld, client: Any, who: str, payload: Any) -> None:
    answer = push(client, world.phones[who], payload)
    assert "out_of_scope" not in [n.code for r in answer.res for n in r.notes]


def test_the_issue_rider_counting_a_bin_to_zero_moves_nothing(world: SyncWorld, client: Any) -> None:
    push(client, world.phones["wh1"], StockReceived(wh="W", bin="B1", sku="S1", qty=33))
    rider = world.phones["rider1"]
    op = op_for(rider, 1, StockCounted(wh="W", bin="B1", sku="S1", counted=0))
    post(client, rider, PushRequest(v=1, ops=[op]), endpoint="push")
    with connect(world.url) as conn:
        total = conn.execute(text("SELECT SUM(qty) FROM stock_movements")).scalar_one()
        assert int(total) == 33
        assert conn.execute(select(SyncOp.status).where(SyncOp.op_id == op.id)).scalar_one() == "flagged"


def _out_of_scope(conn: Any) -> Any:
    return conn.execute(select(ExceptionRecord.id).where(ExceptionRecord.kind == "out_of_scope")).scalar_one()


def test_a_supervisor_accepting_an_out_of_scope_fact_applies_it_once(
    world: SyncWorld, client: Any, tokens: dict[str, str]
) -> None:
    """A rider's receipt into W is held out of the ledger; accepted, it is judged and written then,
    and the journal row says so; a second accept, or accepting another kind, is refused."""
    rider = world.phones["rider1"]
    receipt = op_for(rider, 1, StockReceived(wh="W", bin="B1", sku="S1", qty=7))
    post(client, rider, PushRequest(v=1, ops=[receipt]), endpoint="push")
    with connect(world.url) as conn:
        assert conn.execute(select(func.count()).select_from(StockMovement)).scalar_one() == 0
        exception_id = _out_of_scope(conn)
    supervisor = {"Authorization": f"Bearer {tokens['supervisor']}"}
    warehouse = {"Authorization": f"Bearer {tokens['warehouse']}"}
    assert client.post(f"/api/v1/exceptions/{exception_id}/accept", headers=warehouse).status_code == 403
    accepted = client.post(f"/api/v1/exceptions/{exception_id}/accept", headers=supervisor)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["status"] == "resolved"
    assert "accepted by" in accepted.json()["resolution"]
    again = client.post(f"/api/v1/exceptions/{exception_id}/accept", headers=supervisor)
    assert again.status_code == 409, again.text
    with connect(world.url) as conn:
        moves = conn.execute(select(StockMovement.qty, StockMovement.ref_id)).all()
        assert [(int(q), r) for q, r in moves] == [(7, str(receipt.id))]
        row = conn.execute(select(SyncOp.status, SyncOp.notes).where(SyncOp.op_id == receipt.id)).one()
        assert row.status == "applied" and "accepted" in row.notes
        other = new_id()
        conn.execute(
            insert(ExceptionRecord).values(id=other, kind="order_on_hold", message="held", details={})
        )
        conn.commit()
    wrong = client.post(f"/api/v1/exceptions/{other}/accept", headers=supervisor)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "exception_id"
