"""Push through the server: admission against the journal and the high-water mark (duplicates by
id and by slot, clashes, gaps, fillers, lost ops turning up), poison ops, and durability rules."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest
from sqlalchemy import text

from server.sync_api import effects as sync_effects
from sync import (
    RULES,
    CashCollected,
    PushRequest,
    PushResponse,
    RemittanceHandedIn,
    SeqSkipped,
    StockPutAway,
    StockReceived,
    decode,
)
from tests.sync_server_kit import (
    Phone,
    SyncWorld,
    bins_by_code,
    cash_by_holder,
    connect,
    journal_count,
    ledger_ok,
    op_for,
    post,
    seed,
)


@pytest.fixture
def world(database_url: str) -> SyncWorld:
    return seed(database_url)


def recv(qty: int = 1, bin: str = "B1") -> StockReceived:
    return StockReceived(wh="W", bin=bin, sku="S1", qty=qty)


def push(client: Any, phone: Phone, *ops: Any) -> PushResponse:
    response = post(client, phone, PushRequest(v=1, ops=list(ops)), endpoint="push")
    assert response.status_code == 200, response.text
    return decode(response.content, PushResponse, "json")


def results(answer: PushResponse) -> list[tuple[int, str]]:
    return [(r.seq, r.st) for r in answer.res]


def test_duplicates_by_id_and_by_slot_are_answered_never_applied(world: SyncWorld, client: Any) -> None:
    wh = world.phones["wh1"]
    first = [op_for(wh, 1, recv(5)), op_for(wh, 2, recv(7))]
    push(client, wh, *first)
    # The same request again (a lost answer), and the same facts with fresh ids (a buggy retry).
    assert results(push(client, wh, *first)) == [(1, "duplicate"), (2, "duplicate")]
    regenerated = [op_for(wh, 1, recv(5)), op_for(wh, 2, recv(7))]
    assert results(push(client, wh, *regenerated)) == [(1, "duplicate"), (2, "duplicate")]
    # Duplicates inside one request are caught too.
    third = op_for(wh, 3, recv(1))
    assert results(push(client, wh, third, third)) == [(3, "applied"), (3, "duplicate")]
    with connect(world.url) as conn:
        assert bins_by_code(conn) == {("W", "B1", "S1"): 13}
        assert journal_count(conn) == 3


def test_a_different_fact_in_a_taken_slot_is_rejected_and_kept(world: SyncWorld, client: Any) -> None:
    wh = world.phones["wh1"]
    push(client, wh, op_for(wh, 1, recv(5)))
    clash = op_for(wh, 1, recv(6))
    answer = push(client, wh, clash)
    assert results(answer) == [(1, "rejected")] and answer.res[0].notes[0].code == "seq_taken"
    assert answer.hwm == 1
    with connect(world.url) as conn:
        kept = conn.execute(text("SELECT reason, op_id, body FROM sync_refused")).one()
        assert bins_by_code(conn) == {("W", "B1", "S1"): 5}
    assert kept[0] == "seq_taken" and kept[1] == str(clash.id)
    assert msgspec.json.decode(kept[2])[6] == {"wh": "W", "bin": "B1", "sku": "S1", "qty": 6}


def test_a_gap_stops_processing_and_says_where_to_resume(world: SyncWorld, client: Any) -> None:
    wh = world.phones["wh1"]
    push(client, wh, op_for(wh, 1, recv()))
    answer = push(client, wh, op_for(wh, 3, recv()), op_for(wh, 4, recv()))
    assert answer.res == [] and answer.resume_from == 2 and answer.hwm == 1
    # Ops before the gap in the same request are processed; nothing after it is.
    answer = push(client, wh, op_for(wh, 2, recv()), op_for(wh, 4, recv()), op_for(wh, 5, recv()))
    assert results(answer) == [(2, "applied")] and answer.resume_from == 3 and answer.hwm == 2
    with connect(world.url) as conn:
        assert journal_count(conn) == 2


def test_a_filler_moves_the_queue_past_lost_ops_and_a_lost_op_may_still_turn_up(
    world: SyncWorld, client: Any
) -> None:
    wh = world.phones["wh1"]
    lost = op_for(wh, 2, recv(4))  # recorded, never delivered... until much later
    push(client, wh, op_for(wh, 1, recv(1)))
    filler = op_for(wh, 2, SeqSkipped(to=4, why="phone storage cleared"))
    answer = push(client, wh, filler, op_for(wh, 5, recv(1)))
    assert results(answer) == [(2, "flagged"), (5, "applied")] and answer.hwm == 5
    assert answer.res[0].notes[0].code == "ops_lost"
    late = push(client, wh, lost)  # a delayed copy of the lost request arrives
    assert results(late) == [(2, "applied")] and late.hwm == 5
    assert results(push(client, wh, lost)) == [(2, "duplicate")]
    again = op_for(wh, 2, recv(4))  # and its regenerated-id twin is recognised by its slot now
    assert results(push(client, wh, again)) == [(2, "duplicate")]
    with connect(world.url) as conn:
        assert bins_by_code(conn) == {("W", "B1", "S1"): 6}


def test_a_crashing_rule_is_quarantined_and_the_ops_behind_it_go_through(
    world: SyncWorld, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = world.phones["wh1"]

    def explode(ctx: Any, payload: Any, world_view: Any) -> Any:
        raise ZeroDivisionError("a bug in a rule")

    monkeypatch.setitem(RULES, "stock.put_away", explode)
    bad = op_for(wh, 2, StockPutAway(wh="W", sku="S1", qty=1, from_bin="B1", to_bin="B2"))
    answer = push(client, wh, op_for(wh, 1, recv(3)), bad, op_for(wh, 3, recv(2)))
    assert results(answer) == [(1, "applied"), (2, "flagged"), (3, "applied")]
    assert answer.res[1].notes[0].code == "poison_op" and "ZeroDivisionError" in answer.res[1].notes[0].msg
    with connect(world.url) as conn:
        assert bins_by_code(conn) == {("W", "B1", "S1"): 5}
        assert conn.execute(text("SELECT kind FROM exceptions")).scalar_one() == "poison_op"


def test_an_op_whose_effects_cannot_be_written_is_quarantined_alone(
    world: SyncWorld, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while *writing* (not judging): the batch is redone one op per savepoint."""
    rider = world.phones["rider1"]
    real = sync_effects._cash

    def fragile(world_view: Any, pending: Any, info: Any, e: Any) -> None:
        if e.amount == 666:
            raise RuntimeError("the cash ledger refused this row")
        real(world_view, pending, info, e)

    monkeypatch.setattr(sync_effects, "_cash", fragile)
    o1, o2 = world.order("O1"), world.order("O2")
    ops = [
        op_for(rider, 1, CashCollected(order=o1, amount=world.cod["O1"])),
        op_for(rider, 2, CashCollected(order=o2, amount=666)),
        op_for(rider, 3, CashCollected(order=o2, amount=world.cod["O2"])),
    ]
    answer = push(client, rider, *ops)
    assert results(answer) == [(1, "applied"), (2, "flagged"), (3, "applied")]
    assert answer.res[1].notes[0].code == "poison_op" and answer.hwm == 3
    assert results(push(client, rider, *ops)) == [(1, "duplicate"), (2, "duplicate"), (3, "duplicate")]
    with connect(world.url) as conn:
        assert cash_by_holder(conn) == {"rider1": world.cod["O1"] + world.cod["O2"]}
        statuses = dict(conn.execute(text("SELECT seq, status FROM sync_ops")).all())
        assert ledger_ok(conn) == []
    assert statuses == {1: "applied", 2: "flagged", 3: "applied"}


def test_requests_from_many_phones_share_one_transaction_and_each_gets_its_own_answer(
    database_url: str, client: Any
) -> None:
    import concurrent.futures

    world = seed(database_url, phones={f"wh{n}": "warehouse" for n in range(8)})

    def phone_pushes(name: str) -> list[PushResponse]:
        phone = world.phones[name]
        return [
            push(client, phone, op_for(phone, seq, recv(1, bin=f"B{1 + seq % 3}"))) for seq in range(1, 11)
        ]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = dict(zip(world.phones, pool.map(phone_pushes, world.phones), strict=True))
    for name, replies in answers.items():
        assert [r.hwm for r in replies] == list(range(1, 11)), name
        assert all(r.res[0].st == "applied" for r in replies)
    with connect(world.url) as conn:
        assert sum(bins_by_code(conn).values()) == 80
        assert journal_count(conn) == 80
        assert ledger_ok(conn) == []


def test_an_unknown_device_id_in_the_token_still_cannot_push_for_another(
    world: SyncWorld, client: Any
) -> None:
    wh = world.phones["wh1"]
    forged = msgspec.structs.replace(op_for(wh, 1, recv()), dev=str(uuid.uuid4()))
    response = post(client, wh, PushRequest(v=1, ops=[forged]), endpoint="push")
    assert response.status_code == 403


def test_a_database_failure_while_judging_is_retried_not_blamed_on_the_op(
    world: SyncWorld, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from server.sync_api.world import DbWorld

    rider = world.phones["rider1"]
    real = DbWorld._load_cash
    failures = iter([True])

    def flaky(self: DbWorld, holders: Any) -> None:
        if next(failures, False):
            raise OperationalError("SELECT ...", {}, Exception("database is locked"))
        real(self, holders)

    monkeypatch.setattr(DbWorld, "_load_cash", flaky)
    monkeypatch.setattr(DbWorld, "prefetch", lambda self, wanted: None)  # every read on demand
    # The remittance rule reads the rider's cash while judging: that read fails once.
    remit = op_for(rider, 1, RemittanceHandedIn(amount=500, to="sup"))
    answer = push(client, rider, remit)
    assert answer.res[0].notes[0].code == "remittance_exceeds_cash"  # judged, not poison_op
    with connect(world.url) as conn:
        assert cash_by_holder(conn) == {"rider1": -500, "sup": 500}
        assert conn.execute(text("SELECT kind FROM exceptions")).scalars().all() == [
            "remittance_exceeds_cash"
        ]
