"""Pushes whose rules or writes fail: the poison op is quarantined and the ops behind it go through;
a database failure while judging is retried, not blamed on the op.

The failures are injected by patching code in this process, so these run with the in-process
writer only (the writer process would run the unpatched code); tests/sync_api/test_sync_push.py runs
the same push path through the writer process too."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from server.sync_api import effects as sync_effects
from sync import (
    RULES,
    CashCollected,
    RemittanceHandedIn,
    StockPutAway,
    StockReceived,
)
from tests.kit.sync import (
    SyncWorld,
    bins_by_code,
    cash_by_holder,
    connect,
    ledger_ok,
    op_for,
    push,
    results,
    seed,
)


@pytest.fixture
def world(database_url: str) -> SyncWorld:
    return seed(database_url)


def recv(qty: int = 1, bin: str = "B1") -> StockReceived:
    return StockReceived(wh="W", bin=bin, sku="S1", qty=qty)


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
