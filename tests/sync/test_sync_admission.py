"""Admission rules added for re-logins and equivalent re-sends (PROTOCOL.md §3.2), on the pure
reference server and the pure `admit`: a duplicate found by id fills the next empty slot, and a
re-sent fact is compared after decoding and upgrading, never as raw bytes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest

from sync import (
    Journalled,
    Op,
    PushRequest,
    PushResponse,
    ReferenceServer,
    admit,
    decode,
    encode,
    same_fact,
)

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "protocol"


def golden(name: str) -> Any:
    return json.loads((GOLDEN / f"{name}.json").read_text())["body"]


def test_the_golden_moved_outbox_is_answered_as_written() -> None:
    moved = decode(json.dumps(golden("push_request_moved")).encode(), PushRequest, "json")
    old_device = golden("push_request")["ops"][0][1]
    new_device = moved.ops[0].dev
    server = ReferenceServer()
    # The old device pushed the first two and never heard back.
    first = [msgspec.structs.replace(op, dev=old_device, seq=op.seq) for op in moved.ops[:2]]
    server.handle(
        old_device,
        encode(PushRequest(v=1, ops=first), "json"),
        endpoint="push",
        content_type="application/json",
    )
    reply = server.handle(new_device, encode(moved, "json"), endpoint="push", content_type="application/json")
    answer = decode(reply.body, PushResponse, "json")
    expected = golden("push_response_moved")
    assert answer.hwm == expected["hwm"] and answer.resume_from is None
    assert [(r.seq, r.st) for r in answer.res] == [(r[0], r[1]) for r in expected["res"]]
    assert server.ledger.applications == {str(op.id): 1 for op in moved.ops}


def _op(seq: int, op_type: str, payload: dict[str, Any], op_id: uuid.UUID | None = None) -> Op:
    return Op(op_id or uuid.uuid4(), "d1", seq, 0, "0" * 16, op_type, payload)


RECEIVED = {"wh": "W", "bin": "B1", "sku": "S1", "qty": 3}


@pytest.mark.parametrize(
    ("op_type", "resent"),
    [
        ("stock.received@v1", RECEIVED | {"ref": ""}),  # an explicit default
        ("stock.received@v1", RECEIVED | {"colour": "red"}),  # a field this server does not know
        ("cash.collected@v2", {"order": "O1", "amount": 12_300}),  # the v1 fact in its upgraded form
    ],
)
def test_an_equivalent_resend_in_a_taken_slot_is_a_duplicate(op_type: str, resent: dict[str, Any]) -> None:
    journalled = (
        Journalled(uuid.uuid4(), 1, 1, "cash.collected@v1", {"order": "O1", "pesos": 123})
        if op_type.startswith("cash")
        else Journalled(uuid.uuid4(), 1, 1, "stock.received@v1", RECEIVED)
    )
    assert admit(_op(1, op_type, resent), 1, by_id=None, at_slot=journalled).verdict == "duplicate"


def test_a_different_fact_is_still_seq_taken() -> None:
    journalled = Journalled(uuid.uuid4(), 1, 1, "stock.received@v1", RECEIVED)
    different = _op(1, "stock.received@v1", RECEIVED | {"qty": 4})
    assert admit(different, 1, by_id=None, at_slot=journalled).verdict == "seq_taken"
    assert not same_fact("stock.received@v1", RECEIVED, "stock.received@v1", {"wh": "W"})


def test_a_journalled_id_fills_only_the_next_slot() -> None:
    seen = Journalled(uuid.uuid4(), 7, 7, "stock.received@v1", RECEIVED)
    op = _op(3, "stock.received@v1", RECEIVED, seen.op_id)
    assert admit(op, 2, by_id=seen, at_slot=None) == ("copy", 3)
    assert admit(op, 3, by_id=seen, at_slot=None) == ("duplicate", 3)  # a retry: already confirmed
    assert admit(op, 1, by_id=seen, at_slot=None).verdict == "gap"
    filler = _op(3, "device.seq_skipped@v1", {"to": 5}, seen.op_id)
    assert admit(filler, 2, by_id=seen, at_slot=None) == ("copy", 5)
