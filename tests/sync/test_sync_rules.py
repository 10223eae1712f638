"""Every judging rule, including the conflicts PROTOCOL.md names. The world is the reference Ledger
(a fake, not a mock): judge an op, apply its effects, judge the next against the result."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from typing import Any, NamedTuple

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import (
    QUARANTINE,
    STAGING,
    AgainstRef,
    BinCounted,
    CashCollected,
    CashEntry,
    Decision,
    DeliveryAttempted,
    DeliveryRecord,
    Flag,
    HLCTimestamp,
    Ledger,
    MalformedOp,
    Op,
    OrderEvent,
    OrderView,
    ParcelHandedOver,
    ParcelLine,
    ParcelPacked,
    Policy,
    ProofAttached,
    ProofLink,
    RemittanceHandedIn,
    ReturnReceived,
    SeqSkipped,
    StockCounted,
    StockDelta,
    StockPicked,
    StockPutAway,
    StockReceived,
    StockShortPicked,
    event_key,
    judge,
    judge_malformed,
    op_type_of,
    server_movement,
)
from sync._reference import _Order  # the reference ledger's order row: test set-up only

_ids = itertools.count(1)


def make_op(payload: msgspec.Struct, *, dev: str = "d1", ms: int = 1_000, seq: int = 1) -> Op:
    hlc = HLCTimestamp(ms, 0).encode()
    return Op(uuid.UUID(int=next(_ids)), dev, seq, ms, hlc, op_type_of(payload), msgspec.to_builtins(payload))


def world(**orders: tuple[str, int]) -> Ledger:
    ledger = Ledger()
    for order_id, (status, cod) in orders.items():
        ledger.orders[order_id] = _Order(status, cod)
    return ledger


def run(ledger: Ledger, op: Op, *, actor: str | None = None, policy: Policy | None = None) -> Decision:
    decision = judge(op, ledger, actor=actor, policy=policy or Policy())
    if decision.outcome != "rejected":
        ledger.apply(str(op.id), decision.effects)
    return decision


def kinds(decision: Decision) -> list[str]:
    return [f.kind for f in decision.flags]


def recv(qty: int, bin: str = "B1", sku: str = "S1") -> StockReceived:
    return StockReceived(wh="W", bin=bin, sku=sku, qty=qty)


def pick(qty: int, bin: str = "B1", sku: str = "S1", order: str = "O1") -> StockPicked:
    return StockPicked(wh="W", bin=bin, sku=sku, qty=qty, order=order)


def count(counted: int, bin: str = "B1", sku: str = "S1", expected: int = 0) -> StockCounted:
    return StockCounted(wh="W", bin=bin, sku=sku, counted=counted, expected=expected)


# -- stock ---------------------------------------------------------------------------------------


def test_receipt_adds_to_the_bin() -> None:
    w = world()
    d = run(w, make_op(recv(10)))
    assert d.outcome == "applied"
    assert d.effects == (
        StockDelta("W", "B1", "S1", 10, "receive", event_key(HLCTimestamp(1000, 0).encode(), "d1")),
    )
    assert w.bin_qty("W", "B1", "S1") == 10


def test_a_receipt_under_a_reference_is_also_matched_against_it() -> None:
    # The server counts it against the inbound shipment the ref names (server/inbound/receiving.py);
    # the reference ledger has no shipments and only moves the stock.
    w = world()
    d = run(w, make_op(msgspec.structs.replace(recv(3), ref="ASN-1")))
    assert d.outcome == "applied"
    assert d.effects[1:] == (AgainstRef("W", "B1", "S1", 3, "ASN-1"),)
    assert w.bin_qty("W", "B1", "S1") == 3


def test_put_away_moves_between_bins_without_checking_stock() -> None:
    # The receipt is often recorded on another phone still on its way: no exception for that.
    w = world()
    d = run(w, make_op(StockPutAway(wh="W", sku="S1", qty=4, from_bin="DOCK", to_bin="B1")))
    assert d.outcome == "applied"
    assert (w.bin_qty("W", "DOCK", "S1"), w.bin_qty("W", "B1", "S1")) == (-4, 4)


def test_pick_moves_stock_from_the_bin_to_staging() -> None:
    w = world(O1=("allocated", 0))
    run(w, make_op(recv(5), ms=1))
    d = run(w, make_op(pick(3), ms=2))
    assert d.outcome == "applied"
    assert (w.bin_qty("W", "B1", "S1"), w.bin_qty("W", STAGING, "S1")) == (2, 3)


def test_pick_without_stock_is_recorded_and_flagged() -> None:
    w = world(O1=("allocated", 0))
    run(w, make_op(recv(1), ms=1))
    d = run(w, make_op(pick(3), ms=2))
    assert d.outcome == "flagged"
    assert kinds(d) == ["pick_without_stock"]
    assert "ledger had 1" in d.flags[0].message
    # The movement is recorded: the bin shows the shortage, the picked units are in staging.
    assert (w.bin_qty("W", "B1", "S1"), w.bin_qty("W", STAGING, "S1")) == (-2, 3)
    # When the missing receipt syncs, the bin comes right by itself.
    run(w, make_op(recv(2), ms=0))
    assert w.bin_qty("W", "B1", "S1") == 0


def test_short_pick_picks_what_was_found_and_raises_an_exception() -> None:
    w = world(O1=("allocated", 0))
    run(w, make_op(recv(2), ms=1))
    d = run(
        w,
        make_op(
            StockShortPicked(wh="W", bin="B1", sku="S1", order="O1", wanted=5, found=2, reason="not_enough"),
            ms=2,
        ),
    )
    assert kinds(d) == ["short_pick"]
    assert (w.bin_qty("W", "B1", "S1"), w.bin_qty("W", STAGING, "S1")) == (0, 2)


def test_short_pick_of_nothing_moves_nothing() -> None:
    w = world()
    d = run(
        w,
        make_op(
            StockShortPicked(wh="W", bin="B1", sku="S1", order="O1", wanted=5, found=0, reason="not_enough")
        ),
    )
    assert kinds(d) == ["short_pick"]
    assert not [e for e in d.effects if isinstance(e, StockDelta)]


def test_return_adds_stock_and_moves_the_order() -> None:
    w = world(O1=("failed_delivery", 0))
    d = run(w, make_op(ReturnReceived(wh="W", bin="RET", sku="S1", qty=1, order="O1", condition="damaged")))
    assert d.outcome == "applied"
    assert OrderEvent("O1", "returned", reason="damaged") in d.effects
    # A damaged item goes to quarantine, never to the (sellable) bin the phone named.
    assert w.bin_qty("W", QUARANTINE, "S1") == 1
    assert w.bin_qty("W", "RET", "S1") == 0
    assert w.orders["O1"].status == "returned"


def test_resellable_return_goes_to_the_bin_named() -> None:
    w = world(O1=("failed_delivery", 0))
    run(w, make_op(ReturnReceived(wh="W", bin="RET", sku="S1", qty=2, order="O1")))
    assert w.bin_qty("W", "RET", "S1") == 2
    assert w.bin_qty("W", QUARANTINE, "S1") == 0


# -- cycle counts ----------------------------------------------------------------------------------


def test_count_adjusts_to_what_was_counted() -> None:
    w = world()
    run(w, make_op(recv(10), ms=1))
    d = run(w, make_op(count(9, expected=10), ms=2))
    assert d.outcome == "applied"
    assert w.bin_qty("W", "B1", "S1") == 9
    assert any(isinstance(e, StockDelta) and e.kind == "count" and e.qty == -1 for e in d.effects)
    assert any(isinstance(e, BinCounted) for e in d.effects)


def test_count_matching_the_ledger_writes_no_adjustment() -> None:
    w = world()
    run(w, make_op(recv(10), ms=1))
    d = run(w, make_op(count(10), ms=2))
    assert not [e for e in d.effects if isinstance(e, StockDelta)]


@pytest.mark.parametrize(
    ("believed", "counted", "flagged"),
    [(10, 8, False), (10, 7, True), (100, 90, False), (100, 89, True), (0, 2, False), (0, 3, True)],
)
def test_count_variance_threshold(believed: int, counted: int, flagged: bool) -> None:
    # Default policy: more than 2 units AND more than 10% of what the ledger believed.
    w = world()
    if believed:
        run(w, make_op(recv(believed), ms=1))
    d = run(w, make_op(count(counted), ms=2))
    assert (kinds(d) == ["count_variance"]) is flagged
    assert w.bin_qty("W", "B1", "S1") == counted  # adjusted either way: the count is a fact


def test_count_does_not_double_count_a_pick_made_elsewhere_before_it() -> None:
    # Bin holds 10. Phone B picks 3 (t=2) and syncs. Phone A, offline since t=1 (it saw 10),
    # counts 7 at t=3: the count already reflects B's pick. No adjustment, no exception.
    w = world(O1=("allocated", 0))
    run(w, make_op(recv(10), ms=1))
    run(w, make_op(pick(3), dev="B", ms=2))
    d = run(w, make_op(count(7, expected=10), dev="A", ms=3))
    assert w.bin_qty("W", "B1", "S1") == 7
    assert d.outcome == "applied"


def test_count_does_not_lose_a_pick_made_after_it() -> None:
    # Phone A counts 10 at t=2, offline. Phone B picks 3 at t=3 and syncs first.
    # When A's count arrives, the pick that happened after it must survive: 10 - 3 = 7.
    w = world(O1=("allocated", 0))
    run(w, make_op(recv(10), ms=1))
    run(w, make_op(pick(3), dev="B", ms=3))
    d = run(w, make_op(count(10, expected=10), dev="A", ms=2))
    assert w.bin_qty("W", "B1", "S1") == 7
    assert d.outcome == "applied"


def test_a_movement_arriving_after_a_later_count_is_absorbed_by_it() -> None:
    # B picked 3 at t=2 but syncs late; A counted 7 at t=3 (it saw the pick physically).
    w = world(O1=("allocated", 0))
    run(w, make_op(recv(10), ms=1))
    run(w, make_op(count(7), dev="A", ms=3))
    assert w.bin_qty("W", "B1", "S1") == 7
    d = run(w, make_op(pick(3), dev="B", ms=2))
    assert w.bin_qty("W", "B1", "S1") == 7  # the pick is in the ledger, offset by a count correction
    assert w.bin_qty("W", STAGING, "S1") == 3  # the picked units are still in staging
    assert [e.kind for e in d.effects if isinstance(e, StockDelta)] == ["pick", "count", "pick"]
    assert d.outcome == "applied"  # no false pick_without_stock: the count saw it


def test_an_older_count_arriving_late_changes_nothing() -> None:
    w = world()
    run(w, make_op(recv(10), ms=1))
    run(w, make_op(count(6), dev="A", ms=5))
    d = run(w, make_op(count(9), dev="B", ms=3))
    assert w.bin_qty("W", "B1", "S1") == 6
    assert not [e for e in d.effects if isinstance(e, StockDelta)]


class ConsoleReceipt(NamedTuple):
    """Stock received at the console: a server movement keyed `HLC~server` (R7 covers it too)."""

    qty: int
    ms: int


def _scenario() -> list[Op | ConsoleReceipt]:
    return [
        ConsoleReceipt(10, ms=1),
        make_op(pick(2), dev="B", ms=2),
        make_op(count(7, expected=10), dev="A", ms=3),  # A is off by one: a unit went missing
        make_op(pick(1), dev="B", ms=4),
        make_op(count(5), dev="C", ms=5),
        make_op(StockPutAway(wh="W", sku="S1", qty=4, from_bin="DOCK", to_bin="B1"), dev="R", ms=6),
        make_op(pick(3), dev="B", ms=7),
    ]


def test_counts_and_movements_give_the_same_bin_in_every_arrival_order() -> None:
    # Expected by the definition: the latest count (C: 5) plus what came after it (+4 - 3).
    w = world(O1=("allocated", 0))
    ops = _scenario()
    for order in itertools.permutations(range(len(ops))):
        w = world(O1=("allocated", 0))
        for i in order:
            step = ops[i]
            if isinstance(step, ConsoleReceipt):
                at = event_key(HLCTimestamp(step.ms, 0).encode(), "server")
                w.apply(f"console-{step.ms}", server_movement(w, "W", "B1", "S1", step.qty, "receive", at))
            else:
                run(w, step)
        assert w.bin_qty("W", "B1", "S1") == 6, order
        assert w.bin_qty("W", STAGING, "S1") == 6
        assert w.bin_qty("W", "DOCK", "S1") == -4


# -- deliveries, cash, proof -----------------------------------------------------------------------


def delivered(order: str = "O1", waybill: str = "WB1") -> DeliveryAttempted:
    return DeliveryAttempted(order=order, waybill=waybill, outcome="delivered")


def test_delivery_moves_the_order_and_records_the_attempt() -> None:
    w = world(O1=("shipped", 50_000))
    d = run(w, make_op(delivered(), dev="rider1"))
    assert d.outcome == "applied"
    assert OrderEvent("O1", "delivered") in d.effects
    assert w.delivered_by("WB1") == "rider1"


def test_two_devices_delivering_one_parcel_first_applied_second_flagged() -> None:
    w = world(O1=("shipped", 50_000))
    run(w, make_op(delivered(), dev="rider1"))
    d = run(w, make_op(delivered(), dev="rider2"))
    assert kinds(d) == ["double_delivery"]
    assert "device rider1 had already delivered it" in d.flags[0].message
    assert DeliveryRecord("O1", "WB1", "delivered", "rider2", counts=False) in d.effects  # recorded
    assert not any(isinstance(e, OrderEvent) for e in d.effects)
    assert w.delivered_by("WB1") == "rider1"


def test_the_same_device_delivering_twice_is_flagged_too() -> None:
    w = world(O1=("shipped", 50_000))
    run(w, make_op(delivered(), dev="rider1"))
    d = run(w, make_op(delivered(), dev="rider1"))
    assert kinds(d) == ["double_delivery"]
    assert "this same device" in d.flags[0].message


def test_failed_attempt_moves_an_open_order_with_its_reason() -> None:
    w = world(O1=("shipped", 50_000))
    d = run(
        w,
        make_op(
            DeliveryAttempted(order="O1", waybill="WB1", outcome="failed", reason="refused_after_inspection")
        ),
    )
    assert d.outcome == "applied"
    assert OrderEvent("O1", "failed_delivery", reason="refused_after_inspection") in d.effects


def test_the_recipient_and_the_reschedule_day_are_recorded_with_the_attempt() -> None:
    w = world(O1=("shipped", 50_000), O2=("shipped", 50_000))
    got = DeliveryAttempted(order="O1", waybill="WB1", outcome="delivered", received_by="Lola Nena")
    d = run(w, make_op(got, dev="rider1"))
    assert DeliveryRecord("O1", "WB1", "delivered", "rider1", received_by="Lola Nena") in d.effects
    again = DeliveryAttempted(
        order="O2", waybill="WB2", outcome="failed", reason="rescheduled", reschedule_on=date(2026, 1, 3)
    )
    d = run(w, make_op(again, dev="rider1"))
    assert (
        DeliveryRecord("O2", "WB2", "failed", "rider1", "rescheduled", reschedule_on="2026-01-03")
        in d.effects
    )


def test_a_v1_attempt_is_recorded_with_its_note_and_no_recipient_or_day() -> None:
    w = world(O1=("shipped", 50_000))
    v1 = {"order": "O1", "waybill": "WB1", "outcome": "delivered", "note": "Tinanggap ni Ana"}
    d = run(w, Op(uuid.uuid4(), "d1", 1, 0, "0" * 16, "delivery.attempted@v1", v1))
    assert d.outcome == "applied"
    assert DeliveryRecord("O1", "WB1", "delivered", "d1", note="Tinanggap ni Ana") in d.effects


def test_a_late_failed_attempt_never_undoes_a_delivery() -> None:
    w = world(O1=("shipped", 50_000))
    run(w, make_op(delivered(), ms=5))
    d = run(
        w, make_op(DeliveryAttempted(order="O1", waybill="WB1", outcome="failed", reason="not_home"), ms=2)
    )
    assert d.outcome == "applied"
    assert not any(isinstance(e, OrderEvent) for e in d.effects)
    assert w.orders["O1"].status == "delivered"


def test_delivery_of_a_cancelled_order_is_recorded_and_flagged() -> None:
    w = world(O1=("cancelled", 50_000))
    d = run(w, make_op(delivered()))
    assert kinds(d) == ["delivery_for_cancelled_order"]
    assert w.delivered_by("WB1") == "d1"
    assert w.orders["O1"].status == "cancelled"


def test_cash_collected_goes_into_the_riders_hands() -> None:
    w = world(O1=("delivered", 50_000))
    d = run(w, make_op(CashCollected(order="O1", amount=50_000), dev="phone9"), actor="rider-ana")
    assert d.outcome == "applied"
    assert w.cash_on_hand("rider-ana") == 50_000


def test_cash_for_a_cancelled_order_is_kept_in_the_riders_hands_and_flagged() -> None:
    w = world(O1=("cancelled", 50_000))
    d = run(w, make_op(CashCollected(order="O1", amount=50_000)), actor="rider-ana")
    assert kinds(d) == ["cash_for_cancelled_order"]
    assert "₱500.00" in d.flags[0].message
    assert CashEntry("rider-ana", 50_000, "collected", order="O1") in d.effects
    assert w.cash_on_hand("rider-ana") == 50_000


def test_cash_not_matching_the_cod_amount_is_flagged() -> None:
    w = world(O1=("delivered", 50_000))
    d = run(w, make_op(CashCollected(order="O1", amount=45_000)))
    assert kinds(d) == ["cod_amount_mismatch"]
    assert w.cash_on_hand("d1") == 45_000


def test_cash_for_an_unknown_order_is_recorded_and_flagged() -> None:
    w = world()
    d = run(w, make_op(CashCollected(order="NOPE", amount=100)))
    assert kinds(d) == ["unknown_order"]
    assert w.cash_on_hand("d1") == 100


def test_cash_v1_in_pesos_is_upgraded_to_centavos() -> None:
    w = world(O1=("delivered", 50_000))
    op = Op(uuid.uuid4(), "d1", 1, 0, "0" * 16, "cash.collected@v1", {"order": "O1", "pesos": 500})
    assert run(w, op).outcome == "applied"
    assert w.cash_on_hand("d1") == 50_000


def test_remittance_moves_cash_from_rider_to_receiver() -> None:
    w = world(O1=("delivered", 50_000))
    run(w, make_op(CashCollected(order="O1", amount=50_000)))
    d = run(w, make_op(RemittanceHandedIn(amount=50_000, to="cashier-1", ref="R-77")))
    assert d.outcome == "applied"
    assert (w.cash_on_hand("d1"), w.cash_on_hand("cashier-1")) == (0, 50_000)


def test_remittance_beyond_cash_on_hand_is_recorded_and_flagged() -> None:
    w = world()
    d = run(w, make_op(RemittanceHandedIn(amount=10_000, to="cashier-1")))
    assert kinds(d) == ["remittance_exceeds_cash"]
    assert (w.cash_on_hand("d1"), w.cash_on_hand("cashier-1")) == (-10_000, 10_000)


def test_proof_is_linked_without_waiting_for_the_blob() -> None:
    w = world()
    blob = "ab" * 32
    d = run(w, make_op(ProofAttached(order="O1", blob=blob, kind="signature")))
    assert d.outcome == "applied"
    assert d.effects == (ProofLink("O1", blob, "signature"),)


# -- warehouse order flow ----------------------------------------------------------------------------


def test_packed_and_handed_over_move_the_order_and_ship_from_staging() -> None:
    w = world(O1=("picking", 0))
    run(w, make_op(recv(2), ms=1))
    run(w, make_op(pick(2), ms=2))
    assert run(w, make_op(ParcelPacked(wh="W", order="O1", waybill="WB1"), ms=3)).outcome == "applied"
    assert w.orders["O1"].status == "packed"
    lines = [ParcelLine("S1", 2)]
    d = run(w, make_op(ParcelHandedOver(wh="W", order="O1", waybill="WB1", to="jnt", lines=lines), ms=4))
    assert d.outcome == "applied"
    assert w.orders["O1"].status == "shipped"
    assert w.bin_qty("W", STAGING, "S1") == 0


def test_handing_over_a_cancelled_order_still_records_the_stock_leaving() -> None:
    w = world(O1=("cancelled", 0))
    lines = [ParcelLine("S1", 1)]
    d = run(w, make_op(ParcelHandedOver(wh="W", order="O1", waybill="WB1", to="rider-ana", lines=lines)))
    assert kinds(d) == ["shipped_cancelled_order"]
    assert w.bin_qty("W", STAGING, "S1") == -1


def test_packing_a_cancelled_or_unknown_order_is_flagged() -> None:
    w = world(O1=("cancelled", 0))
    assert kinds(run(w, make_op(ParcelPacked(wh="W", order="O1", waybill="WB1")))) == [
        "packed_cancelled_order"
    ]
    assert kinds(run(w, make_op(ParcelPacked(wh="W", order="O2", waybill="WB2")))) == ["unknown_order"]


# -- the catalogue's edges -------------------------------------------------------------------------


def test_seq_skipped_raises_ops_lost() -> None:
    d = run(world(), make_op(SeqSkipped(to=7, why="storage cleared"), seq=5))
    assert kinds(d) == ["ops_lost"]
    assert "ops 5..7" in d.flags[0].message


@pytest.mark.parametrize(
    ("op_type", "payload", "reason"),
    [
        ("stock.teleported@v1", {}, "unknown_op_type"),
        ("stock.received@v9", {}, "unknown_op_version"),
        ("stock.received@v1", {"wh": "W", "bin": "B", "sku": "S", "qty": 0}, "invalid_payload"),
        ("stock.received@v1", {"wh": "W", "bin": "B", "sku": "S", "qty": 1.5}, "invalid_payload"),
        ("cash.collected@v2", {"order": "O1", "amount": -1}, "invalid_payload"),
        ("cash.collected@v2", {"order": "O1", "amount": "500.00"}, "invalid_payload"),
        ("delivery.attempted@v1", {"order": "O", "waybill": "W", "outcome": "failed"}, "invalid_payload"),
        (
            "delivery.attempted@v2",
            {"order": "O", "waybill": "W", "outcome": "failed", "reason": "not_home", "received_by": "Ana"},
            "invalid_payload",
        ),
        (
            "delivery.attempted@v2",
            {"order": "O", "waybill": "W", "outcome": "delivered", "reschedule_on": "2026-01-03"},
            "invalid_payload",
        ),
        (
            "delivery.attempted@v2",
            {
                "order": "O",
                "waybill": "W",
                "outcome": "failed",
                "reason": "rescheduled",
                "reschedule_on": "2026-02-30",
            },
            "invalid_payload",
        ),
        (
            "delivery.attempted@v2",
            {"order": "O", "waybill": "W", "outcome": "delivered", "received_by": "A" * 81},
            "invalid_payload",
        ),
        (
            "stock.put_away@v1",
            {"wh": "W", "sku": "S", "qty": 1, "from_bin": "A", "to_bin": "A"},
            "invalid_payload",
        ),
    ],
)
def test_malformed_ops_are_rejected_with_a_reason(op_type: str, payload: dict[str, Any], reason: str) -> None:
    w = world()
    d = judge(Op(uuid.uuid4(), "d1", 1, 0, "0" * 16, op_type, payload), w)
    assert d.outcome == "rejected"
    assert d.reason == reason
    assert d.message
    assert d.effects == ()


def test_malformed_envelope_is_rejected() -> None:
    d = judge_malformed(MalformedOp(position=0, seq=3, id=None, reason="Expected `int`"))
    assert (d.outcome, d.reason) == ("rejected", "malformed_op")


class Exploding(Ledger):
    def order(self, order_id: str, /) -> OrderView | None:
        raise RuntimeError("database hiccup")


def test_a_crashing_rule_quarantines_the_op_as_flagged() -> None:
    d = judge(make_op(CashCollected(order="O1", amount=1)), Exploding())
    assert d.outcome == "flagged"
    assert kinds(d) == ["poison_op"]
    assert "RuntimeError: database hiccup" in d.flags[0].message
    assert len(d.effects) == 1  # nothing half-done: only the exception


def test_flags_name_what_they_are_about() -> None:
    w = world(O1=("allocated", 0))
    d = run(w, make_op(pick(1)))
    assert d.flags[0] == Flag(
        "pick_without_stock", d.flags[0].message, order="O1", wh="W", bin="B1", sku="S1"
    )


# -- deltas commute ----------------------------------------------------------------------------------

delta_ops = st.lists(
    st.one_of(
        st.builds(recv, st.integers(1, 9), st.sampled_from(["B1", "B2"])),
        st.builds(pick, st.integers(1, 9), st.sampled_from(["B1", "B2"])),
        st.builds(
            lambda q, a, b: StockPutAway(wh="W", sku="S1", qty=q, from_bin=a, to_bin=b),  # type: ignore[misc]
            st.integers(1, 9),
            st.just("B1"),
            st.just("B2"),
        ),
        st.builds(lambda a: CashCollected(order="O1", amount=a), st.integers(0, 10_000)),  # type: ignore[misc]
        st.builds(lambda a: RemittanceHandedIn(amount=a, to="cashier"), st.integers(1, 10_000)),  # type: ignore[misc]
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(delta_ops, st.randoms(use_true_random=False))
def test_stock_and_cash_end_the_same_whatever_the_arrival_order(
    payloads: list[msgspec.Struct], rnd: Any
) -> None:
    ops = [make_op(p, ms=i + 1) for i, p in enumerate(payloads)]
    shuffled = list(ops)
    rnd.shuffle(shuffled)
    a, b = world(O1=("delivered", 0)), world(O1=("delivered", 0))
    for op in ops:
        run(a, op)
    for op in shuffled:
        run(b, op)
    assert {k: v for k, v in a.bins.items() if v} == {k: v for k, v in b.bins.items() if v}
    assert {k: v for k, v in a.cash.items() if v} == {k: v for k, v in b.cash.items() if v}
