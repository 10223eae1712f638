"""A fact re-sent under a new id at its own seq is a duplicate when it says the same thing once
decoded and upgraded: explicit defaults, unknown extra fields, the v1 form re-sent as v2
(PROTOCOL.md §3.2). Through the real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from sync import Op, PushRequest, PushResponse, decode
from tests.kit.sync import SyncWorld, bins_by_code, cash_by_holder, connect, post, seed

RECEIVED = {"wh": "W", "bin": "B1", "sku": "S1", "qty": 3}


@pytest.fixture
def world(database_url: str) -> SyncWorld:
    return seed(database_url)


def _push(world: SyncWorld, http: Any, phone: str, op_type: str, payload: dict[str, Any]) -> PushResponse:
    p = world.phones[phone]
    op = Op(uuid.uuid4(), p.device_id, 1, 0, "019b78c90e680000", op_type, payload)
    response = post(http, p, PushRequest(v=1, ops=[op]), endpoint="push")
    assert response.status_code == 200, response.text
    return decode(response.content, PushResponse, "json")


@pytest.mark.parametrize(
    "resent",
    [RECEIVED | {"ref": ""}, RECEIVED | {"colour": "red"}, {"qty": 3, "sku": "S1", "bin": "B1", "wh": "W"}],
    ids=["explicit-default", "unknown-field", "keys-reordered"],
)
def test_an_equivalent_receipt_is_a_duplicate(world: SyncWorld, client: Any, resent: dict[str, Any]) -> None:
    assert _push(world, client, "wh1", "stock.received@v1", RECEIVED).res[0].st == "applied"
    answer = _push(world, client, "wh1", "stock.received@v1", resent)
    assert [(r.seq, r.st) for r in answer.res] == [(1, "duplicate")]
    with connect(world.url) as conn:
        assert bins_by_code(conn) == {("W", "B1", "S1"): 3}


def test_cash_v1_resent_in_its_v2_form_is_a_duplicate(world: SyncWorld, client: Any) -> None:
    order = world.order("O1")
    _push(world, client, "rider1", "cash.collected@v1", {"order": order, "pesos": 100})
    answer = _push(world, client, "rider1", "cash.collected@v2", {"order": order, "amount": 10_000})
    assert [(r.seq, r.st) for r in answer.res] == [(1, "duplicate")]
    with connect(world.url) as conn:
        assert cash_by_holder(conn) == {"rider1": 10_000}


def test_a_different_fact_is_still_rejected_seq_taken(world: SyncWorld, client: Any) -> None:
    _push(world, client, "wh1", "stock.received@v1", RECEIVED)
    answer = _push(world, client, "wh1", "stock.received@v1", RECEIVED | {"qty": 4})
    assert answer.res[0].st == "rejected" and answer.res[0].notes[0].code == "seq_taken"
