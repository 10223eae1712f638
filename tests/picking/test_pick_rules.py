"""The picking rules as pure functions (sync/_rules.py R3, R4) over the reference ledger: a pick is
checked against the order's lines, what was already picked for it, and its pick list's bins."""

from __future__ import annotations

import itertools
import uuid

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import (
    Decision,
    HLCTimestamp,
    Ledger,
    Op,
    OrderEvent,
    Picked,
    StockPicked,
    StockReceived,
    StockShortPicked,
    judge,
    op_type_of,
)
from sync._reference import _Order  # the reference ledger's order row: test set-up only

_seq = itertools.count(1)


def _op(payload: msgspec.Struct) -> Op:
    n = next(_seq)
    return Op(
        uuid.uuid4(),
        "d1",
        n,
        1_000,
        HLCTimestamp(1_000 + n, 0).encode(),
        op_type_of(payload),
        msgspec.to_builtins(payload),
    )


def _run(w: Ledger, payload: msgspec.Struct) -> Decision:
    d = judge(_op(payload), w)
    w.apply(str(uuid.uuid4()), d.effects)
    return d


def _world(lines: dict[str, int] | None, plan: dict[str, frozenset[str]] | None = None) -> Ledger:
    w = Ledger()
    w.orders["O1"] = _Order("allocated", 0, lines=lines, plan=plan or {})
    for sku in ("S1", "S2"):
        for b in ("B1", "B2"):
            _run(w, StockReceived(wh="W", bin=b, sku=sku, qty=50))
    return w


def _pick(qty: int, *, sku: str = "S1", bin: str = "B1") -> StockPicked:
    return StockPicked(wh="W", bin=bin, sku=sku, qty=qty, order="O1")


def _kinds(d: Decision) -> list[str]:
    return [f.kind for f in d.flags]


def test_a_pick_of_the_orders_item_from_its_planned_bin_is_applied() -> None:
    w = _world({"S1": 2}, {"S1": frozenset({"B1"})})
    d = _run(w, _pick(2))
    assert d.outcome == "applied"
    assert Picked("O1", "W", "B1", "S1", 2) in d.effects
    assert OrderEvent("O1", "picking") in d.effects


def test_an_item_the_order_does_not_have_is_flagged_and_does_not_start_picking() -> None:
    w = _world({"S1": 1})
    d = _run(w, _pick(1, sku="S2"))
    assert _kinds(d) == ["pick_wrong_item"]
    assert not any(isinstance(e, OrderEvent) for e in d.effects)
    assert Picked("O1", "W", "B1", "S2", 1, 0, "wrong_item") in d.effects
    assert w.orders["O1"].picked == {}  # a wrong item does not count toward the order


def test_picks_add_up_and_the_one_past_the_line_is_flagged() -> None:
    w = _world({"S1": 3})
    assert _run(w, _pick(2)).outcome == "applied"
    assert _run(w, _pick(1)).outcome == "applied"
    assert _kinds(_run(w, _pick(1))) == ["pick_over_qty"]


def test_a_bin_the_pick_list_does_not_plan_is_flagged() -> None:
    w = _world({"S1": 1}, {"S1": frozenset({"B1"})})
    assert _kinds(_run(w, _pick(1, bin="B2"))) == ["pick_wrong_bin"]


def test_no_plan_or_no_lines_means_nothing_to_check_against() -> None:
    assert _run(_world({"S1": 1}), _pick(1, bin="B2")).outcome == "applied"  # not waved: any bin
    assert _run(_world(None), _pick(1, sku="S2")).outcome == "applied"  # lines unknown (held)


def test_a_short_pick_records_what_was_found_and_always_raises_short_pick() -> None:
    w = _world({"S1": 3}, {"S1": frozenset({"B1"})})
    d = _run(
        w, StockShortPicked(wh="W", bin="B1", sku="S1", order="O1", wanted=3, found=1, reason="not_enough")
    )
    assert _kinds(d) == ["short_pick"]
    assert Picked("O1", "W", "B1", "S1", 1, 3) in d.effects
    d0 = _run(
        w, StockShortPicked(wh="W", bin="B1", sku="S1", order="O1", wanted=2, found=0, reason="not_enough")
    )
    assert Picked("O1", "W", "B1", "S1", 0, 2) in d0.effects
    assert not any(isinstance(e, OrderEvent) for e in d0.effects)  # nothing came off the shelf


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=6), st.integers(1, 8))
def test_over_pick_is_flagged_exactly_when_the_running_total_passes_the_line(
    picks: list[int], line: int
) -> None:
    w = _world({"S1": line})
    total = 0
    for qty in picks:
        d = _run(w, _pick(qty))
        assert ("pick_over_qty" in _kinds(d)) == (total + qty > line)
        total += qty  # recorded as it happened, too many or not: the units are in the tote
