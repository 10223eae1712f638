"""The /sync/v1 endpoints over HTTP: formats, gzip, limits, versions, devices and tokens, blobs.
Every refusal is Problem Details with the protocol's code; nothing answers 5xx."""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from typing import Any

import msgspec
import pytest
from sqlalchemy import select

from server.auth.models import Device
from server.db.base import utcnow
from sync import (
    MAX_OPS_PER_PUSH,
    CashCollected,
    Cursor,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    StockReceived,
    SyncRequest,
    SyncResponse,
    decode,
)
from tests.kit.problems import problem
from tests.kit.sync import SyncWorld, connect, journal_count, op_for, post, seed


@pytest.fixture
def world(database_url: str) -> SyncWorld:
    return seed(database_url)


def receipt(qty: int = 5, bin: str = "B1", sku: str = "S1") -> StockReceived:
    return StockReceived(wh="W", bin=bin, sku=sku, qty=qty)


def sync_problem(response: Any) -> dict[str, Any]:
    """A sync endpoint's problem: its `type` ends with its machine-readable `code`."""
    body = problem(response)
    assert body["type"].endswith(body["code"])
    return body


@pytest.mark.parametrize("fmt", ["json", "msgpack"])
def test_push_is_journalled_judged_and_answered_per_op(world: SyncWorld, client: Any, fmt: str) -> None:
    wh = world.phones["wh1"]
    ops = [op_for(wh, 1, receipt(5)), op_for(wh, 2, receipt(3, bin="B2"))]
    response = post(client, wh, PushRequest(v=1, ops=ops), endpoint="push", fmt=fmt)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"application/{fmt}"
    answer = decode(response.content, PushResponse, fmt)  # type: ignore[arg-type]
    assert [(r.seq, r.st) for r in answer.res] == [(1, "applied"), (2, "applied")]
    assert answer.hwm == 2 and answer.resume_from is None
    assert Cursor.parse(answer.pos).epoch == answer.ep
    again = decode(
        post(client, wh, PushRequest(v=1, ops=ops), endpoint="push", fmt=fmt).content, PushResponse, fmt
    )  # type: ignore[arg-type]
    assert [r.st for r in again.res] == ["duplicate", "duplicate"]
    with connect(world.url) as conn:
        assert journal_count(conn) == 2


def test_json_in_msgpack_out_and_gzip_both_ways(world: SyncWorld, client: Any) -> None:
    wh = world.phones["wh1"]
    ops = [op_for(wh, n, receipt(1, sku="S1" if n % 2 else "S2")) for n in range(1, 41)]
    response = post(
        client,
        wh,
        SyncRequest(v=1, ops=ops),
        gzip_it=True,
        headers={"Accept": "application/msgpack", "Accept-Encoding": "gzip"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/msgpack"
    assert response.headers["content-encoding"] == "gzip"  # a page of results and changes: over 512 bytes
    answer = decode(response.content, SyncResponse, "msgpack")  # httpx undid the gzip
    assert answer.hwm == 40 and not answer.more and answer.sums


def test_a_noop_sync_is_one_small_round_trip(world: SyncWorld, client: Any) -> None:
    wh = world.phones["wh1"]
    post(client, wh, SyncRequest(v=1, ops=[op_for(wh, 1, receipt())]))
    cur = None
    while True:  # pull to the end marker
        page = decode(post(client, wh, SyncRequest(v=1, cur=cur)).content, SyncResponse, "json")
        cur = page.cur
        if not page.more:
            break
    up = msgspec.msgpack.encode(SyncRequest(v=1, cur=cur))
    response = post(client, wh, up, fmt="msgpack", headers={"Accept-Encoding": "gzip"})
    answer = decode(response.content, SyncResponse, "msgpack")
    assert answer.ch == [] and not answer.more and answer.cur == cur and answer.hwm == 1
    assert set(answer.sums) == {"catalog", "wh:W"}
    assert len(up) + response.num_bytes_downloaded < 400, (len(up), response.num_bytes_downloaded)


@pytest.mark.parametrize("v", [0, 2, 999])
def test_an_unsupported_version_is_told_to_update(world: SyncWorld, client: Any, v: int) -> None:
    # Checked before the body's shape: a future version's body still gets this answer.
    response = post(client, world.phones["wh1"], {"v": v, "ops": "a shape from the future"})
    assert response.status_code == 400
    body = sync_problem(response)
    assert body["code"] == "sync-unsupported-version"
    assert (body["min_version"], body["max_version"]) == (1, 1)


def test_too_many_ops_is_refused_with_the_limit(world: SyncWorld, client: Any) -> None:
    wh = world.phones["wh1"]
    ops = [op_for(wh, n, receipt()) for n in range(1, MAX_OPS_PER_PUSH + 2)]
    response = post(client, wh, PushRequest(v=1, ops=ops), endpoint="push", fmt="msgpack")
    assert response.status_code == 413
    body = sync_problem(response)
    assert body["code"] == "sync-batch-too-large" and body["limit"] == MAX_OPS_PER_PUSH
    with connect(world.url) as conn:
        assert journal_count(conn) == 0


def test_too_large_bodies_and_gzip_bombs_are_refused(world: SyncWorld, client: Any) -> None:
    wh = world.phones["wh1"]
    big = post(client, wh, b"x" * ((1 << 20) + 1))
    assert big.status_code == 413 and sync_problem(big)["code"] == "sync-body-too-large"
    bomb = gzip.compress(b'{"v":1,"ops":[' + b" " * (6 << 20) + b"]}")
    assert len(bomb) < 1 << 20
    response = post(client, wh, bomb, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert sync_problem(response)["limit"] == 4 << 20


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"\xff\x00 not json", {}, 422, "sync-malformed"),
        (b'{"v": 1, "cur": 7}', {}, 422, "sync-malformed"),
        (b'{"v": 1}', {"Content-Type": "text/plain"}, 415, "sync-unsupported-media-type"),
        (b'{"v": 1}', {"Content-Encoding": "br"}, 415, "sync-unsupported-encoding"),
        (b"\x1f\x8b truncated gzip", {"Content-Encoding": "gzip"}, 422, "sync-malformed"),
    ],
)
def test_bad_requests_get_their_sync_problem(
    world: SyncWorld, client: Any, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    response = post(client, world.phones["wh1"], body, headers=headers)
    assert response.status_code == status
    assert sync_problem(response)["code"] == code


def test_a_malformed_field_is_named(world: SyncWorld, client: Any) -> None:
    response = post(client, world.phones["wh1"], b'{"v": 1, "lim": "many"}', endpoint="pull")
    body = sync_problem(response)
    assert body["code"] == "sync-malformed" and body["errors"][0]["field"] == "$.lim"


def test_malformed_ops_are_rejected_alone(world: SyncWorld, client: Any) -> None:
    wh = world.phones["wh1"]
    good = [msgspec.to_builtins(op_for(wh, n, receipt())) for n in (1, 3)]
    broken = [str(uuid.uuid4()), wh.device_id, 2, "yesterday", "0" * 16, "stock.received@v1", {}]
    response = post(
        client, wh, {"v": 1, "ops": [good[0], broken, good[1], {"not": "an op"}]}, endpoint="push"
    )
    answer = decode(response.content, PushResponse, "json")
    assert [(r.seq, r.st) for r in answer.res] == [
        (1, "applied"),
        (2, "rejected"),
        (3, "applied"),
        (0, "rejected"),
    ]
    assert answer.res[1].notes[0].code == "malformed_op" and "$" in answer.res[1].notes[0].msg
    assert answer.hwm == 3  # the malformed op with a readable seq filled its slot
    with connect(world.url) as conn:
        kept = conn.exec_driver_sql("SELECT reason, body FROM sync_refused").all()
        stored = conn.exec_driver_sql("SELECT payload FROM sync_ops WHERE seq = 2").scalar_one()
    assert [r[0] for r in kept] == ["malformed_op"] and json.loads(kept[0][1]) == {"not": "an op"}
    assert json.loads(stored)["raw"] == broken  # the journal keeps what was sent, for a person


@pytest.mark.parametrize(
    ("op_type", "payload", "reason"),
    [
        ("stock.teleported@v1", {"wh": "W"}, "unknown_op_type"),
        ("stock.received@v9", {"wh": "W"}, "unknown_op_version"),
        ("stock.received@v1", {"wh": "W", "bin": "B1", "sku": "S1", "qty": -2}, "invalid_payload"),
    ],
)
def test_ops_the_catalogue_cannot_read_are_rejected_and_fill_their_slot(
    world: SyncWorld, client: Any, op_type: str, payload: dict[str, Any], reason: str
) -> None:
    wh = world.phones["wh1"]
    op = msgspec.to_builtins(op_for(wh, 1, receipt()))
    op[5], op[6] = op_type, payload
    after = msgspec.to_builtins(op_for(wh, 2, receipt()))
    answer = decode(
        post(client, wh, {"v": 1, "ops": [op, after]}, endpoint="push").content, PushResponse, "json"
    )
    assert [(r.st, r.notes[0].code if r.notes else "") for r in answer.res] == [
        ("rejected", reason),
        ("applied", ""),
    ]
    assert answer.hwm == 2


def test_a_device_pushes_only_its_own_ops(world: SyncWorld, client: Any) -> None:
    wh, rider = world.phones["wh1"], world.phones["rider1"]
    response = post(client, wh, PushRequest(v=1, ops=[op_for(rider, 1, receipt())]), endpoint="push")
    assert response.status_code == 403
    assert sync_problem(response)["code"] == "sync-wrong-device"
    with connect(world.url) as conn:
        assert journal_count(conn) == 0


def test_a_revoked_device_is_refused_and_what_it_pushed_stays(world: SyncWorld, client: Any) -> None:
    rider = world.phones["rider1"]
    cash = CashCollected(order=world.order("O1"), amount=world.cod["O1"])
    assert (
        post(client, rider, PushRequest(v=1, ops=[op_for(rider, 1, cash)]), endpoint="push").status_code
        == 200
    )
    with connect(world.url) as conn:
        conn.execute(
            Device.__table__.update()
            .where(Device.id == uuid.UUID(rider.device_id))
            .values(revoked_at=utcnow(), revoked_by="test")
        )
        conn.commit()
    response = post(client, rider, PushRequest(v=1, ops=[op_for(rider, 2, cash)]), endpoint="push")
    assert response.status_code == 401
    assert sync_problem(response)["code"] == "sync-device-revoked"
    assert post(client, rider, PullRequest(v=1), endpoint="pull").status_code == 401
    no_token = client.post("/sync/v1/sync", content=b'{"v": 1}', headers={"Content-Type": "application/json"})
    assert no_token.status_code == 401
    with connect(world.url) as conn:
        assert journal_count(conn) == 1
        assert conn.exec_driver_sql("SELECT amount FROM cash_balances").scalar_one() == world.cod["O1"]
        assert conn.execute(select(Device.revoked_at).where(Device.id == uuid.UUID(rider.device_id))).scalar()


def test_scopes_follow_the_role(world: SyncWorld, client: Any) -> None:
    seen = {}
    for name in ("wh1", "rider1", "sup"):
        response = post(client, world.phones[name], PullRequest(v=1), endpoint="pull")
        answer = decode(response.content, PullResponse, "json")
        seen[name] = set(answer.sums)
    assert seen == {
        "wh1": {"catalog", "wh:W"},
        "rider1": {"cash:rider1", "runs:rider1"},
        "sup": {"cash:sup", "exceptions"},
    }


def _blob_url(data: bytes) -> str:
    return f"/sync/v1/blobs/{hashlib.sha256(data).hexdigest()}"


def test_blobs_are_content_addressed_and_idempotent(world: SyncWorld, client: Any) -> None:
    auth = {"Authorization": f"Bearer {world.phones['rider1'].token}"}
    photo = b"\x89PNG a delivery photo" * 100
    url = _blob_url(photo)
    assert client.head(url, headers=auth).status_code == 404
    assert client.put(url, content=photo, headers=auth).status_code == 201
    assert client.put(url, content=photo, headers=auth).status_code == 200  # a retry, or a second phone
    assert client.head(url, headers=auth).status_code == 200
    got = client.get(url, headers=auth)
    assert got.content == photo and "immutable" in got.headers["cache-control"]
    wrong = client.put(url, content=photo + b"!", headers=auth)
    assert wrong.status_code == 422 and sync_problem(wrong)["code"] == "blob-hash-mismatch"
    bad = client.put("/sync/v1/blobs/not-a-hash", content=photo, headers=auth)
    assert bad.status_code == 422 and sync_problem(bad)["code"] == "blob-bad-id"
    huge = b"\0" * ((8 << 20) + 1)
    too_large = client.put(_blob_url(huge), content=huge, headers=auth)
    assert too_large.status_code == 413 and sync_problem(too_large)["code"] == "blob-too-large"
    assert client.get(_blob_url(b"never sent"), headers=auth).status_code == 404
    assert client.put(url, content=photo).status_code == 401


def test_garbage_never_gets_a_5xx(world: SyncWorld, client: Any) -> None:
    wh = world.phones["wh1"]
    bodies: list[Any] = [
        b"",
        b"null",
        b"[]",
        b'{"v": 1, "ops": {}}',
        b'{"v": 1, "ops": [null, 1, "x", [], [null, null, null]]}',
        b'{"v": 1, "cur": "::::"}',
        b'{"v": 1, "cur": "ep:99999999999999999"}',
        b'{"v": 1, "lim": -1}',
        b'{"v": true}',
        msgspec.msgpack.encode({"v": 1, "ops": [[b"\x00" * 16, wh.device_id, 1, 0, "0" * 16, "x.y@v1", {}]]}),
    ]
    for body in bodies:
        for endpoint in ("sync", "push", "pull"):
            fmt = "msgpack" if body and body[:1] not in b'[{n"' else "json"
            response = post(client, wh, body, endpoint=endpoint, fmt=fmt)
            assert response.status_code < 500, (body, endpoint, response.text)
