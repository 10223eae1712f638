"""Push through the server: admission against the journal and the high-water mark (duplicates by
id and by slot, clashes, gaps, fillers, lost ops turning up), poison ops, and durability rules."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest
from sqlalchemy import text

from sync import (
    PushRequest,
    PushResponse,
    SeqSkipped,
    StockReceived,
)
from tests.conftest import hot_path_fixtures
from tests.kit.sync import (
    SyncWorld,
    bins_by_code,
    connect,
    journal_count,
    ledger_ok,
    op_for,
    post,
    push,
    results,
    seed,
)

# The hot path: on SQLite also through the writer process, as `bodega serve` runs it.
database_url, writer_process = hot_path_fixtures()


@pytest.fixture
def world(database_url: str) -> SyncWorld:
    return seed(database_url)


def recv(qty: int = 1, bin: str = "B1") -> StockReceived:
    return StockReceived(wh="W", bin=bin, sku="S1", qty=qty)


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
