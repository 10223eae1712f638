"""Bytes on the wire: formats, gzip, limits, versions, cursors, and request-level refusals."""

from __future__ import annotations

import gzip
import json
import uuid

import msgspec
import pytest

from sync import (
    MAX_OPS_PER_PUSH,
    MAX_REQUEST_BYTES,
    MAX_WIRE_BYTES,
    PROTOCOL_VERSION,
    Cursor,
    CursorError,
    MalformedOp,
    Op,
    PullRequest,
    PushRequest,
    SyncRequest,
    decode,
    encode,
    format_of,
    gzip_body,
    read_body,
    read_request,
)
from sync import ProtocolError as PE


def an_op(seq: int = 1) -> Op:
    return Op(
        uuid.UUID(int=seq),
        "dev-1",
        seq,
        1,
        "0" * 16,
        "stock.received@v1",
        {"wh": "W", "bin": "B", "sku": "S", "qty": 1},
    )


# -- cursors ----------------------------------------------------------------------------------------


def test_cursor_formats_and_parses() -> None:
    assert Cursor("3f9c2a71", 48230).format() == "3f9c2a71:48230"
    assert Cursor.parse("3f9c2a71:48230") == Cursor("3f9c2a71", 48230)
    assert Cursor.parse("ep_2-x:0") == Cursor("ep_2-x", 0)


@pytest.mark.parametrize(
    "bad", ["", ":", "abc", "abc:", ":12", "a b:1", "abc:-1", "abc:1.5", "abc:x", "e" * 33 + ":1"]
)
def test_cursor_rejects_garbage(bad: str) -> None:
    with pytest.raises(CursorError):
        Cursor.parse(bad)


# -- formats and bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "msgpack"])
def test_requests_round_trip_in_both_formats(fmt: str) -> None:
    request = SyncRequest(v=1, ops=[an_op(1), an_op(2)], cur="ep:5", lim=100)
    assert decode(encode(request, fmt), SyncRequest, fmt) == request  # type: ignore[arg-type]


def test_msgpack_accepts_op_ids_as_16_raw_bytes() -> None:
    op = an_op(7)
    raw = msgspec.msgpack.encode([op.id.bytes, op.dev, op.seq, op.wall, op.hlc, op.type, op.payload])
    assert decode(raw, Op, "msgpack") == op


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        (None, "json"),
        ("application/json; charset=utf-8", "json"),
        ("application/msgpack", "msgpack"),
        ("application/x-msgpack", "msgpack"),
        ("application/vnd.msgpack", "msgpack"),
    ],
)
def test_format_from_content_type(header: str | None, fmt: str) -> None:
    assert format_of(header) == fmt


def test_unknown_media_type_is_refused_clearly() -> None:
    with pytest.raises(PE) as info:
        format_of("text/xml")
    assert (info.value.status, info.value.problem.code) == (415, "sync-unsupported-media-type")


def test_gzip_bodies_are_read() -> None:
    data = encode(SyncRequest(v=1, ops=[an_op()]), "json")
    assert read_body(gzip_body(data), "gzip") == data
    assert gzip_body(data) == gzip_body(data)  # deterministic


def test_a_gzip_bomb_is_refused_without_inflating_it() -> None:
    bomb = gzip.compress(b"\0" * (MAX_REQUEST_BYTES * 4))
    assert len(bomb) < MAX_WIRE_BYTES
    with pytest.raises(PE) as info:
        read_body(bomb, "gzip")
    assert info.value.problem.code == "sync-body-too-large"
    assert info.value.problem.limit == MAX_REQUEST_BYTES


def test_oversized_and_broken_bodies_are_refused() -> None:
    with pytest.raises(PE) as info:
        read_body(b"x" * (MAX_WIRE_BYTES + 1))
    assert (info.value.status, info.value.problem.code) == (413, "sync-body-too-large")
    with pytest.raises(PE) as info:
        read_body(b"not gzip", "gzip")
    assert info.value.problem.code == "sync-malformed"
    with pytest.raises(PE) as info:
        read_body(b"{}", "br")
    assert info.value.problem.code == "sync-unsupported-encoding"


# -- versions and limits ---------------------------------------------------------------------------


@pytest.mark.parametrize("v", [0, PROTOCOL_VERSION + 1, "1", None])
def test_unsupported_versions_get_a_clear_update_the_app_answer(v: object) -> None:
    body = json.dumps({"v": v, "ops": []}).encode()
    with pytest.raises(PE) as info:
        read_request(body, "json", PushRequest)
    problem = info.value.problem
    assert problem.code == "sync-unsupported-version"
    assert "update the app" in problem.title
    assert (problem.min_version, problem.max_version) == (1, PROTOCOL_VERSION)


def test_a_future_version_with_an_unknown_shape_still_gets_the_version_answer() -> None:
    body = json.dumps({"v": 7, "ops": {"totally": "different"}}).encode()
    with pytest.raises(PE) as info:
        read_request(body, "json", SyncRequest)
    assert info.value.problem.code == "sync-unsupported-version"


def test_too_many_ops_is_refused_with_the_limit() -> None:
    body = encode(PushRequest(v=1, ops=[an_op(i + 1) for i in range(MAX_OPS_PER_PUSH + 1)]), "msgpack")
    with pytest.raises(PE) as info:
        read_request(body, "msgpack", PushRequest)
    assert (info.value.status, info.value.problem.limit) == (413, MAX_OPS_PER_PUSH)


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    body = json.dumps({"v": 1, "cur": "ep:1", "new_field_from_a_later_minor": [1, 2]}).encode()
    assert read_request(body, "json", PullRequest).request.cur == "ep:1"
    # Array messages grow only at the end; an older reader ignores the extra elements.
    op = json.loads(encode(an_op(), "json"))
    body = json.dumps({"v": 1, "ops": [[*op, "a field from the future"]]}).encode()
    assert read_request(body, "json", PushRequest).items == [an_op()]


# -- lenient decoding: one bad op does not sink the batch ------------------------------------------


def test_a_malformed_op_is_singled_out_and_the_rest_decode() -> None:
    good1, good3 = an_op(1), an_op(3)
    ops = json.loads(encode([good1, good3], "json"))
    broken = list(ops[0])
    broken[0] = str(uuid.UUID(int=2))
    broken[2] = 2
    broken[4] = "not-an-hlc"
    body = json.dumps({"v": 1, "ops": [ops[0], broken, ops[1], "garbage"]}).encode()
    incoming = read_request(body, "json", PushRequest)
    items = incoming.items
    assert items[0] == good1 and items[2] == good3
    assert isinstance(items[1], MalformedOp)
    assert (items[1].position, items[1].seq, items[1].id) == (1, 2, uuid.UUID(int=2))
    assert "hlc" in items[1].reason or "$[4]" in items[1].reason
    assert isinstance(items[3], MalformedOp) and items[3].seq == 0 and items[3].id is None
    assert incoming.request.ops == [good1, good3]
    assert incoming.request.pull is False


def test_a_malformed_request_names_the_field() -> None:
    with pytest.raises(PE) as info:
        read_request(json.dumps({"v": 1, "lim": -5}).encode(), "json", PullRequest)
    problem = info.value.problem
    assert (problem.status, problem.code) == (422, "sync-malformed")
    assert problem.errors[0].field == "$.lim"
    with pytest.raises(PE) as info:
        read_request(b"{not json", "json", SyncRequest)
    assert info.value.problem.code == "sync-malformed"


def test_pull_and_push_bodies_normalise_to_one_request_shape() -> None:
    pull = read_request(encode(PullRequest(v=1, cur="e:3", lim=10), "json"), "json", PullRequest)
    assert pull.request == SyncRequest(v=1, cur="e:3", lim=10) and pull.items == []
    push = read_request(encode(PushRequest(v=1, ops=[an_op()]), "json"), "json", PushRequest)
    assert push.request == SyncRequest(v=1, ops=[an_op()], pull=False)
