"""Control characters and lone surrogates inside a phone's ops (sync/PROTOCOL.md §3.3).

A NUL in a bin code used to fail the whole push on PostgreSQL ("invalid byte sequence", answered
503, and the phone re-sent the same batch forever); SQLite stored it. Now the op holding it is
rejected alone, naming the field, on both databases; it fills its slot, is journalled for a
person, and the ops behind it go through. JSON and MessagePack bodies alike.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from sync import DeliveryAttempted, Op, PushRequest, PushResponse, StockReceived, decode
from tests.kit.sync import SyncWorld, bins_by_code, connect, journal, op_for, post, seed


@pytest.fixture
def world(database_url: str) -> SyncWorld:
    return seed(database_url)


def _received(**changes: Any) -> StockReceived:
    return msgspec.structs.replace(StockReceived(wh="W", bin="B1", sku="S1", qty=1), **changes)


def _answer(response: Any, fmt: str) -> PushResponse:
    assert response.status_code == 200, response.text
    return decode(response.content, PushResponse, fmt)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["json", "msgpack"])
@pytest.mark.parametrize(
    ("payload", "field", "char"),
    [
        (_received(bin="B\x001"), "payload.bin", "U+0000"),  # a code the server looks up
        (_received(ref="DR\x00-7"), "payload.ref", "U+0000"),  # free text that is stored
        (_received(sku="S1\x1b"), "payload.sku", "U+001B"),
    ],
)
def test_an_op_with_a_control_character_is_rejected_alone(
    world: SyncWorld, client: Any, fmt: str, payload: StockReceived, field: str, char: str
) -> None:
    wh = world.phones["wh1"]
    bad, good = op_for(wh, 1, payload), op_for(wh, 2, _received(qty=2))
    answer = _answer(post(client, wh, PushRequest(v=1, ops=[bad, good]), endpoint="push", fmt=fmt), fmt)
    assert answer.hwm == 2
    assert [(r.seq, r.st) for r in answer.res] == [(1, "rejected"), (2, "applied")]
    assert [(n.code, n.msg) for n in answer.res[0].notes] == [
        ("invalid_payload", f"{field}: must not contain the control character {char}")
    ]
    with connect(world.url) as conn:
        assert bins_by_code(conn) == {("W", "B1", "S1"): 2}
        assert journal(conn)[bad.id][1] == "rejected"  # kept for a person
    # The phone re-sends (it lost the answer): a duplicate, not a second rejection or a 5xx.
    again = _answer(post(client, wh, PushRequest(v=1, ops=[bad, good]), endpoint="push", fmt=fmt), fmt)
    assert [r.st for r in again.res] == ["duplicate", "duplicate"]


def test_a_note_a_key_or_the_device_id_holding_one_is_refused_too(world: SyncWorld, client: Any) -> None:
    rider, wh = world.phones["rider1"], world.phones["wh1"]
    note = op_for(
        rider,
        1,
        DeliveryAttempted(
            order=world.order("O1"), waybill="W1", outcome="failed", reason="not_home", note="gate\x00closed"
        ),
    )
    delivered = op_for(
        rider, 2, DeliveryAttempted(order=world.order("O2"), waybill="W2", outcome="delivered")
    )
    answer = _answer(post(client, rider, PushRequest(v=1, ops=[note, delivered]), endpoint="push"), "json")
    assert [(r.st, [n.msg for n in r.notes]) for r in answer.res] == [
        ("rejected", ["payload.note: must not contain the control character U+0000"]),
        ("applied", []),
    ]
    plain = op_for(wh, 1, _received())
    extra_key = Op(plain.id, plain.dev, 1, plain.wall, plain.hlc, plain.type, {**plain.payload, "x\x7f": 1})
    odd_dev = op_for(wh, 2, _received())
    odd_dev = Op(
        odd_dev.id, odd_dev.dev + "\x00", 2, odd_dev.wall, odd_dev.hlc, odd_dev.type, odd_dev.payload
    )
    last = op_for(wh, 3, _received(qty=5))
    answer = _answer(
        post(client, wh, PushRequest(v=1, ops=[extra_key, odd_dev, last]), endpoint="push"), "json"
    )
    assert [(r.st, [(n.code, n.msg) for n in r.notes]) for r in answer.res] == [
        ("rejected", [("invalid_payload", "payload: a key must not contain the control character U+007F")]),
        ("rejected", [("malformed_op", "dev: must not contain the control character U+0000")]),
        ("applied", []),
    ]


def test_a_lone_surrogate_refuses_only_its_op(world: SyncWorld, client: Any) -> None:
    """A phone that cut an emoji in half: JSON.stringify writes "\\ud83d", which msgspec cannot
    decode. The push is still read; only that op is refused."""
    wh = world.phones["wh1"]
    ops = [op_for(wh, 1, _received(ref="HALF")), op_for(wh, 2, _received(qty=3))]
    body = msgspec.json.encode(PushRequest(v=1, ops=ops)).replace(b"HALF", b"DR \\ud83d")
    answer = _answer(post(client, wh, body, endpoint="push"), "json")
    assert [(r.st, [n.msg for n in r.notes]) for r in answer.res] == [
        ("rejected", ["payload.ref: must not contain a lone surrogate"]),
        ("applied", []),
    ]
    # A whole pair is an emoji, and text.
    pair = msgspec.json.encode(PushRequest(v=1, ops=[op_for(wh, 3, _received(ref="PAIR"))]))
    answer = _answer(post(client, wh, pair.replace(b"PAIR", b"\\ud83d\\ude00"), endpoint="push"), "json")
    assert [r.st for r in answer.res] == ["applied"]
    with connect(world.url) as conn:
        assert bins_by_code(conn) == {("W", "B1", "S1"): 4}
