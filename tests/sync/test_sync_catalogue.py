"""The op catalogue: every type has a payload, a rule and a golden example; versions upgrade;
payloads evolve without breaking older or newer apps; judging is pure."""

from __future__ import annotations

import copy
import uuid

import msgspec
import pytest

import sync
from sync import (
    CATALOGUE,
    RULES,
    CashCollected,
    DeliveryAttempted,
    Ledger,
    Op,
    OpRejected,
    OpSpec,
    StockReceived,
    StockShortPicked,
    judge,
    op_type_of,
    parse_op_type,
    parse_payload,
)
from sync._ops import _register  # the one registry line a new op type adds


def test_every_op_type_has_a_rule_and_every_rule_an_op_type() -> None:
    assert set(CATALOGUE) == set(RULES)


def test_the_catalogue_covers_the_facts_the_issue_names() -> None:
    wanted = {
        "stock.received", "stock.put_away", "stock.picked", "stock.short_picked", "stock.counted",
        "parcel.packed", "parcel.handed_over", "return.received", "delivery.attempted",
        "cash.collected", "proof.attached", "remittance.handed_in",
    }  # fmt: skip
    assert wanted <= set(CATALOGUE)


@pytest.mark.parametrize("spec", CATALOGUE.values(), ids=lambda s: s.type)
def test_payload_classes_map_to_their_latest_type(spec: OpSpec) -> None:
    assert op_type_of(msgspec.convert(_minimal(spec), spec.payload)) == spec.type
    assert spec.payload.__name__ in sync.__all__


def _minimal(spec: OpSpec) -> dict[str, object]:
    examples: dict[str, object] = {
        "wh": "W", "bin": "B", "sku": "S", "qty": 1, "from_bin": "A", "to_bin": "B", "order": "O",
        "wanted": 2, "found": 1, "counted": 0, "waybill": "WB",
        "to": 1 if spec.name == "device.seq_skipped" else "X",
        "lines": [["S", 1]], "outcome": "delivered", "amount": 1, "blob": "0" * 64,
        "exception": "E", "action": "dismiss", "task": "00000000-0000-4000-8000-000000000001",
        "reason": "empty_bin" if spec.name == "stock.short_picked" else None,
    }  # fmt: skip
    return {f: examples[f] for f in spec.payload.__struct_fields__ if f in examples}


def test_defaults_stay_off_the_wire() -> None:
    assert msgspec.to_builtins(StockReceived(wh="W", bin="B", sku="S", qty=1)) == {
        "wh": "W", "bin": "B", "sku": "S", "qty": 1,
    }  # fmt: skip


def test_a_newer_apps_extra_payload_fields_are_ignored() -> None:
    parsed = parse_payload("stock.received@v1", {"wh": "W", "bin": "B", "sku": "S", "qty": 2, "lot": "L-7"})
    assert parsed.payload == StockReceived(wh="W", bin="B", sku="S", qty=2)


def test_an_old_version_is_upgraded_to_the_latest() -> None:
    parsed = parse_payload("cash.collected@v1", {"order": "O1", "pesos": 1299})
    assert (parsed.name, parsed.version, parsed.payload) == (
        "cash.collected",
        1,
        CashCollected(order="O1", amount=129_900),
    )


def test_a_v1_delivery_attempt_upgrades_with_no_recipient_and_no_day() -> None:
    v1 = {
        "order": "O1",
        "waybill": "W1",
        "outcome": "failed",
        "reason": "rescheduled",
        "note": "Ibalik sa 2026-01-03",
    }
    parsed = parse_payload("delivery.attempted@v1", v1)
    assert (parsed.name, parsed.version) == ("delivery.attempted", 1)
    assert parsed.payload == DeliveryAttempted(
        order="O1", waybill="W1", outcome="failed", reason="rescheduled", note="Ibalik sa 2026-01-03"
    )
    assert (parsed.payload.received_by, parsed.payload.reschedule_on) == ("", None)


def test_a_v1_short_pick_is_upgraded_with_no_reason_and_a_v2_must_say_one() -> None:
    v1: dict[str, object] = {"wh": "W", "bin": "B", "sku": "S", "order": "O", "wanted": 3, "found": 1}
    # A v1 app's undeclared `reason` was never part of the fact: it stays dropped on upgrade.
    parsed = parse_payload("stock.short_picked@v1", v1 | {"reason": "damaged"})
    upgraded = StockShortPicked(wh="W", bin="B", sku="S", order="O", wanted=3, found=1, reason=None)
    assert (parsed.version, parsed.payload) == (1, upgraded)
    assert parse_payload("stock.short_picked@v2", v1 | {"reason": "damaged"}).payload.reason == "damaged"
    for bad in (v1, v1 | {"reason": "lost"}):  # v2 names one of the picker's reasons
        with pytest.raises(OpRejected, match="reason"):
            parse_payload("stock.short_picked@v2", bad)


@pytest.mark.parametrize("bad", ["stock.received", "stock.received@1", "stock.received@vx"])
def test_type_strings_must_be_name_at_version(bad: str) -> None:
    with pytest.raises(OpRejected) as info:
        parse_op_type(bad)
    assert info.value.code == "bad_op_type"


def test_an_op_type_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="twice"):
        _register(OpSpec("stock.received", 1, StockReceived))


def test_op_type_of_refuses_what_is_not_a_payload() -> None:
    with pytest.raises(TypeError):
        op_type_of(msgspec.Struct())


def test_judging_reads_the_world_and_never_writes_it() -> None:
    world = Ledger()
    world.apply("seed", judge(_op(StockReceived(wh="W", bin="B", sku="S", qty=3)), world).effects)
    before = copy.deepcopy(world)
    op = _op(StockReceived(wh="W", bin="B", sku="S", qty=5))
    assert judge(op, world) == judge(op, world)
    assert world == before


def _op(payload: msgspec.Struct) -> Op:
    return Op(uuid.uuid4(), "d1", 1, 0, "0" * 16, op_type_of(payload), msgspec.to_builtins(payload))
