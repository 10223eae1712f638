"""The reference server: admission (duplicates, gaps, clashes, fillers), judging in a batch, pull
(scopes, pages, end marker, checksums, resets), blobs, and what it all costs on the wire."""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

import msgspec
import pytest

from sync import (
    Admission,
    CashCollected,
    Cursor,
    Decision,
    DeliveryAttempted,
    HLCTimestamp,
    Journalled,
    Ledger,
    MalformedOp,
    Op,
    ParcelHandedOver,
    ParcelLine,
    ProofAttached,
    ProtocolError,
    PullResponse,
    PushResponse,
    ReferenceServer,
    SeqSkipped,
    StockCounted,
    StockPicked,
    StockReceived,
    SyncRequest,
    SyncResponse,
    admit,
    decode,
    encode,
    gzip_body,
    judge,
    op_type_of,
    scope_checksum,
)

_n = itertools.count(1)


def mk(seq: int, payload: msgspec.Struct, dev: str = "d1", op_id: uuid.UUID | None = None) -> Op:
    hlc = HLCTimestamp(1_000 + next(_n), 0).encode()
    body = msgspec.to_builtins(payload)
    return Op(op_id or uuid.uuid4(), dev, seq, 1_000, hlc, op_type_of(payload), body)


def recv(qty: int = 1, bin: str = "B1") -> StockReceived:
    return StockReceived(wh="W", bin=bin, sku="S1", qty=qty)


def server(**kw: Any) -> ReferenceServer:
    scopes = {"d1": ["wh:W", "cash:d1", "orders"], "d2": ["wh:W"], "rider": ["cash:rider", "orders"]}
    counter = itertools.count(1)
    return ReferenceServer(
        scopes=scopes, orders={"O1": ("shipped", 50_000)}, new_epoch=lambda: f"ep{next(counter)}", **kw
    )


def push(srv: ReferenceServer, *ops: Op, dev: str = "d1", cur: str | None = None) -> SyncResponse:
    return srv.sync(dev, SyncRequest(v=1, ops=list(ops), cur=cur, pull=cur is not None))


def statuses(r: SyncResponse) -> list[tuple[int, str]]:
    return [(x.seq, x.st) for x in r.res]


# -- admission, as a pure function -----------------------------------------------------------------


def test_admit_verdicts() -> None:
    a, b = mk(3, recv()), mk(3, recv(2))
    j = Journalled.of(a)
    filler = Journalled.of(mk(2, SeqSkipped(to=4)))
    assert admit(a, 2, by_id=None, at_slot=None) == Admission("new", 3)
    assert admit(a, 5, by_id=j, at_slot=j) == Admission("duplicate", 5)
    assert admit(mk(3, recv()), 5, by_id=None, at_slot=j) == Admission("duplicate", 5)  # same content, new id
    assert admit(b, 5, by_id=None, at_slot=j) == Admission("seq_taken", 5)
    assert admit(a, 5, by_id=None, at_slot=filler) == Admission("new", 5)  # a lost op turned up
    assert admit(a, 1, by_id=None, at_slot=None) == Admission("gap", 1)
    assert admit(mk(3, SeqSkipped(to=9)), 2, by_id=None, at_slot=None) == Admission("new", 9)
    assert admit(MalformedOp(0, 0, None, "x"), 2, by_id=None, at_slot=None) == Admission("unplaced", 2)
    assert admit(MalformedOp(0, 3, None, "x"), 2, by_id=None, at_slot=None) == Admission("new", 3)


# -- push --------------------------------------------------------------------------------------------


def test_push_applies_in_order_and_answers_per_op() -> None:
    srv = server()
    r = push(srv, mk(1, recv(5)), mk(2, StockPicked(wh="W", bin="B1", sku="S1", qty=9, order="O1")))
    assert statuses(r) == [(1, "applied"), (2, "flagged")]
    assert r.res[1].notes[0].code == "pick_without_stock"
    assert r.hwm == 2 and r.resume_from is None
    assert Cursor.parse(r.pos).position == srv.state.head


def test_duplicates_are_answered_again_and_never_applied_twice() -> None:
    srv = server()
    ops = [mk(1, recv(5)), mk(2, CashCollected(order="O1", amount=50_000))]
    push(srv, *ops)
    again = push(srv, *ops)
    assert statuses(again) == [(1, "duplicate"), (2, "duplicate")]
    assert srv.ledger.bin_qty("W", "B1", "S1") == 5 and srv.ledger.cash_on_hand("d1") == 50_000
    assert set(srv.ledger.applications.values()) == {1}


def test_a_retry_with_regenerated_op_ids_is_recognised_by_device_and_seq() -> None:
    srv = server()
    push(srv, mk(1, recv(5)))
    retry = mk(1, recv(5))  # same slot, same content, new id: a buggy client's retry
    assert statuses(push(srv, retry)) == [(1, "duplicate")]
    assert srv.ledger.bin_qty("W", "B1", "S1") == 5


def test_a_different_fact_in_a_used_slot_is_rejected_and_kept() -> None:
    srv = server()
    push(srv, mk(1, recv(5)))
    r = push(srv, mk(1, recv(7)))
    assert statuses(r) == [(1, "rejected")] and r.res[0].notes[0].code == "seq_taken"
    assert srv.state.kept and srv.state.kept[-1][2] == "seq_taken"
    assert srv.ledger.bin_qty("W", "B1", "S1") == 5


def test_a_gap_stops_the_batch_and_says_where_to_resume() -> None:
    srv = server()
    push(srv, mk(1, recv()), mk(2, recv()))
    r = push(srv, mk(3, recv()), mk(5, recv()), mk(6, recv()))
    assert statuses(r) == [(3, "applied")]
    assert (r.hwm, r.resume_from) == (3, 4)
    assert srv.ledger.bin_qty("W", "B1", "S1") == 3  # nothing after the gap
    r = push(srv, mk(4, recv()), mk(5, recv()))
    assert statuses(r) == [(4, "applied"), (5, "applied")]


def test_a_device_starting_beyond_one_gets_resume_from_one() -> None:
    r = push(server(), mk(3, recv()))
    assert (r.res, r.hwm, r.resume_from) == ([], 0, 1)


def test_a_filler_moves_past_lost_ops_raises_an_exception_and_a_late_copy_still_counts() -> None:
    srv = server()
    push(srv, mk(1, recv()))
    lost = mk(3, recv(10))
    r = push(srv, mk(2, SeqSkipped(to=4, why="phone storage cleared")), mk(5, recv()))
    assert statuses(r) == [(2, "flagged"), (5, "applied")] and r.hwm == 5
    assert r.res[0].notes[0].code == "ops_lost"
    late = push(srv, lost)  # a delayed copy of the original request turns up
    assert statuses(late) == [(3, "applied")] and late.hwm == 5
    assert statuses(push(srv, lost)) == [(3, "duplicate")]
    assert srv.ledger.bin_qty("W", "B1", "S1") == 12


def test_malformed_ops_are_rejected_without_blocking_the_ops_behind_them() -> None:
    srv = server()
    good = [json.loads(encode(mk(i, recv()), "json")) for i in (1, 2, 3, 4)]
    good[1][6] = {"wh": "W", "bin": "B1", "sku": "S1", "qty": 0}  # payload breaks the catalogue
    good[2][4] = "yesterday"  # envelope broken, seq still readable
    body = json.dumps({"v": 1, "ops": [good[0], good[1], good[2], "junk", good[3]]}).encode()
    reply = srv.handle("d1", body, endpoint="push")
    assert reply.status == 200
    r = msgspec.json.decode(reply.body, type=PushResponse)
    assert [(x.seq, x.st, x.notes[0].code if x.notes else "") for x in r.res] == [
        (1, "applied", ""),
        (2, "rejected", "invalid_payload"),
        (3, "rejected", "malformed_op"),
        (0, "rejected", "malformed_op"),
        (4, "applied", ""),
    ]
    assert r.hwm == 4
    assert srv.ledger.bin_qty("W", "B1", "S1") == 2


def test_a_poison_op_is_quarantined_and_the_queue_moves_on() -> None:
    def crashing(op: Op, ledger: Ledger, actor: str) -> Decision:
        if op.seq == 2:
            raise MemoryError("the judge fell over")
        return judge(op, ledger, actor=actor)

    srv = server(judge_op=crashing)
    r = push(srv, mk(1, recv()), mk(2, recv()), mk(3, recv()))
    assert statuses(r) == [(1, "applied"), (2, "flagged"), (3, "applied")]
    assert r.res[1].notes[0].code == "poison_op"
    assert srv.ledger.bin_qty("W", "B1", "S1") == 2


def test_ops_are_judged_against_earlier_ops_of_the_same_batch() -> None:
    srv = server()
    d = DeliveryAttempted(order="O1", waybill="WB1", outcome="delivered")
    r = push(srv, mk(1, d), mk(2, d))
    assert statuses(r) == [(1, "applied"), (2, "flagged")]
    assert r.res[1].notes[0].code == "double_delivery"


def test_a_device_cannot_push_another_devices_ops() -> None:
    srv = server()
    reply = srv.handle("d2", encode(SyncRequest(v=1, ops=[mk(1, recv(), dev="d1")]), "json"))
    problem = json.loads(reply.body)
    assert (reply.status, problem["code"]) == (403, "sync-wrong-device")
    assert reply.headers["content-type"] == "application/problem+json"
    assert srv.state.hwm == {}


def test_a_revoked_device_is_refused_and_what_it_pushed_before_stays() -> None:
    srv = server()
    push(srv, mk(1, recv(4)))
    srv.revoked.add("d1")
    reply = srv.handle("d1", encode(SyncRequest(v=1, ops=[mk(2, recv())]), "json"))
    assert (reply.status, json.loads(reply.body)["code"]) == (401, "sync-device-revoked")
    assert srv.ledger.bin_qty("W", "B1", "S1") == 4


def test_an_old_app_version_gets_update_the_app() -> None:
    reply = server().handle("d1", b'{"v": 0}', endpoint="pull")
    body = json.loads(reply.body)
    assert reply.status == 400 and body["code"] == "sync-unsupported-version"
    assert "update the app" in body["title"]


# -- pull --------------------------------------------------------------------------------------------


def pull_all(
    srv: ReferenceServer, dev: str, cur: str | None = None, lim: int = 0
) -> tuple[dict[Any, Any], str, int]:
    replica: dict[str, dict[tuple[str, str], Any]] = {}
    pages = 0
    while True:
        r = srv.sync(dev, SyncRequest(v=1, cur=cur, lim=lim))
        pages += 1
        assert r.reset is None
        for ch in r.ch:
            scope = replica.setdefault(ch.scope, {})
            if ch.val is None:
                scope.pop((ch.kind, ch.key), None)
            else:
                scope[(ch.kind, ch.key)] = ch.val
        assert r.cur is not None
        cur = r.cur
        if not r.more:
            for scope, expected in r.sums.items():
                got = scope_checksum((k, key, v) for (k, key), v in replica.get(scope, {}).items())
                assert got == expected, scope
            return replica, cur, pages


def test_pull_pages_through_the_scope_and_ends_with_checksums() -> None:
    srv = server()
    push(srv, *[mk(i + 1, recv(1, bin=f"B{i}")) for i in range(25)])
    replica, cur, pages = pull_all(srv, "d1", lim=10)
    assert pages == 3
    assert replica["wh:W"] == srv.scope_state("wh:W")
    assert len(replica["wh:W"]) == 25
    assert Cursor.parse(cur).position == srv.state.head


def test_pull_only_returns_the_callers_scopes() -> None:
    srv = server()
    push(srv, mk(1, CashCollected(order="O1", amount=50_000), dev="rider"), dev="rider")
    push(srv, mk(1, recv(3)))
    replica, _, _ = pull_all(srv, "d2")
    assert set(replica) == {"wh:W"}
    replica, _, _ = pull_all(srv, "rider")
    assert set(replica) == {"cash:rider"}


def test_a_no_op_pull_returns_nothing_and_the_same_cursor() -> None:
    srv = server()
    push(srv, mk(1, recv()))
    _, cur, _ = pull_all(srv, "d1")
    r = srv.sync("d1", SyncRequest(v=1, cur=cur))
    assert (r.ch, r.more, r.cur) == ([], False, cur)


def test_incremental_pull_sees_updates_and_deletions_compacted() -> None:
    srv = server()
    push(srv, mk(1, recv(2)))
    _, cur, _ = pull_all(srv, "d1")
    push(srv, *[mk(i, StockPicked(wh="W", bin="B1", sku="S1", qty=1, order="O1")) for i in (2, 3)])
    r = srv.sync("d1", SyncRequest(v=1, cur=cur))
    bins = [(c.key, c.val) for c in r.ch if c.kind == "bin"]
    assert bins == [("/S1", 2), ("B1/S1", None)] or sorted(bins, key=str) == sorted(
        [("/S1", 2), ("B1/S1", None)], key=str
    )
    fresh, _, _ = pull_all(srv, "d1")
    assert ("bin", "B1/S1") not in fresh["wh:W"]  # tombstones are not sent to a fresh replica


def test_push_position_covers_the_ops_effects() -> None:
    srv = server()
    r = push(srv, mk(1, recv(6)))
    page = srv.sync("d1", SyncRequest(v=1, cur=Cursor(srv.epoch, 0).format()))
    assert Cursor.parse(page.cur or "").position >= Cursor.parse(r.pos).position
    assert ("bin", "B1/S1") in {(c.kind, c.key) for c in page.ch}


def test_incremental_checksums_equal_a_full_recount() -> None:
    srv = server()
    ops = [mk(1, recv(5)), mk(2, StockPicked(wh="W", bin="B1", sku="S1", qty=5, order="O1"))]
    ops.append(
        mk(3, ParcelHandedOver(wh="W", order="O1", waybill="WB", to="jnt", lines=[ParcelLine("S1", 5)]))
    )
    ops.append(mk(4, StockCounted(wh="W", bin="B2", sku="S1", counted=3)))
    push(srv, *ops)
    for scope in ("wh:W", "orders", "cash:d1"):
        expected = scope_checksum((k, key, v) for (k, key), v in srv.scope_state(scope).items())
        assert srv.checksum(scope) == expected


@pytest.mark.parametrize(
    ("cursor", "why"),
    [("garbage", "bad_cursor"), ("otherepoch:3", "epoch_changed"), ("ep1:999", "cursor_ahead")],
)
def test_pull_from_a_cursor_of_another_history_is_told_to_reset(cursor: str, why: str) -> None:
    srv = server()
    push(srv, mk(1, recv()), mk(2, recv()))
    r = srv.sync("d1", SyncRequest(v=1, cur=cursor))
    assert r.reset is not None
    assert (r.reset.why, r.reset.ep, r.reset.hwm) == (why, srv.epoch, 2)
    assert r.ch == [] and r.more


def test_a_restored_server_has_a_new_epoch_and_resets_old_cursors() -> None:
    srv = server()
    push(srv, mk(1, recv()))
    backup = srv.snapshot()
    push(srv, mk(2, recv()))
    _, cur, _ = pull_all(srv, "d1")
    srv.restore(backup)
    r = srv.sync("d1", SyncRequest(v=1, cur=cur))
    assert r.reset is not None and r.reset.why == "epoch_changed" and r.reset.hwm == 1
    assert r.ep == srv.epoch != Cursor.parse(cur).epoch


def test_a_changed_scope_resets_the_replica() -> None:
    srv = server()
    _, cur, _ = pull_all(srv, "d2")
    srv.scopes["d2"] = frozenset({"wh:W", "orders"})
    r = srv.sync("d2", SyncRequest(v=1, cur=cur))
    assert r.reset is not None and r.reset.why == "scope_changed"
    pull_all(srv, "d2")


# -- blobs -------------------------------------------------------------------------------------------


def test_blobs_are_content_addressed_and_idempotent() -> None:
    import hashlib

    srv = server()
    photo = b"\xff\xd8 a jpeg"
    key = hashlib.sha256(photo).hexdigest()
    assert srv.put_blob(key, photo) is True
    assert srv.put_blob(key, photo) is False
    with pytest.raises(ProtocolError) as info:
        srv.put_blob("0" * 64, photo)
    assert info.value.problem.code == "blob-hash-mismatch"
    with pytest.raises(ProtocolError) as info:
        srv.put_blob("../../etc/passwd", photo)
    assert info.value.problem.code == "blob-bad-id"


def test_proof_ops_never_wait_for_their_blob() -> None:
    srv = server()
    r = push(srv, mk(1, ProofAttached(order="O1", blob="cd" * 32)))
    assert statuses(r) == [(1, "applied")]
    assert srv.ledger.proofs and not srv.state.blobs


# -- bytes on the wire -------------------------------------------------------------------------------


def _realistic_ops(n: int, dev: str) -> list[Op]:
    """A rider's and a warehouse's day, mixed: scans, deliveries, cash (ids as the server issues)."""
    order_ids = [str(uuid.UUID(int=i * 7919)) for i in range(1, 400)]
    kinds: list[msgspec.Struct] = []
    for i in range(n):
        order = order_ids[i % len(order_ids)]
        match i % 5:
            case 0:
                kinds.append(
                    StockReceived(wh="VAL", bin=f"A-{i % 40:02d}-1", sku=f"SKU-{i % 300:05d}", qty=1 + i % 12)
                )
            case 1:
                kinds.append(
                    StockPicked(
                        wh="VAL", bin=f"A-{i % 40:02d}-1", sku=f"SKU-{i % 300:05d}", qty=1, order=order
                    )
                )
            case 2:
                kinds.append(DeliveryAttempted(order=order, waybill=f"BDG{i:010d}", outcome="delivered"))
            case 3:
                kinds.append(CashCollected(order=order, amount=49_900 + i * 100))
            case _:
                kinds.append(
                    StockCounted(wh="VAL", bin=f"A-{i % 40:02d}-1", sku=f"SKU-{i % 300:05d}", counted=i % 9)
                )
    start = 1_767_258_000_000
    ops = []
    for i, p in enumerate(kinds):
        wall = start + i * 2_500
        ops.append(
            Op(
                uuid.uuid4(),
                dev,
                i + 1,
                wall,
                HLCTimestamp(wall, 0).encode(),
                op_type_of(p),
                msgspec.to_builtins(p),
            )
        )
    return ops


def test_pushing_costs_at_most_100_bytes_per_op_with_msgpack_and_gzip() -> None:
    dev = str(uuid.uuid4())
    srv = ReferenceServer(scopes={dev: ["wh:VAL"]})
    ops = _realistic_ops(1000, dev)
    total = 0
    for start in range(0, len(ops), 500):
        body = gzip_body(encode(SyncRequest(v=1, ops=ops[start : start + 500], pull=False), "msgpack"))
        reply = srv.handle(
            dev, body, content_type="application/msgpack", content_encoding="gzip", accept_encoding="gzip"
        )
        assert reply.status == 200
        total += len(body) + len(reply.body)
    per_op = total / len(ops)
    assert per_op <= 100, per_op


@pytest.mark.parametrize("fmt", ["json", "msgpack"])
def test_a_no_op_sync_is_one_round_trip_under_400_bytes(fmt: str) -> None:
    dev = str(uuid.uuid4())
    srv = ReferenceServer(scopes={dev: ["wh:VAL", "catalog", f"cash:{dev}"]})
    srv.sync(dev, SyncRequest(v=1, ops=_realistic_ops(50, dev)))
    cur = Cursor(srv.epoch, srv.state.head).format()
    body = encode(SyncRequest(v=1, cur=cur), fmt)  # type: ignore[arg-type]
    reply = srv.handle(dev, body, content_type=f"application/{fmt}", accept_encoding="gzip")
    response = decode(reply.body, SyncResponse, fmt)  # type: ignore[arg-type]
    assert response.ch == [] and not response.more and response.sums
    assert len(body) + len(reply.body) < 400, (len(body), len(reply.body))


def test_pull_responses_decode_as_pull_responses() -> None:
    srv = server()
    reply = srv.handle("d1", b'{"v":1}', endpoint="pull")
    assert msgspec.json.decode(reply.body, type=PullResponse).cur.startswith(srv.epoch)
