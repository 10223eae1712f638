"""The golden messages in fixtures/protocol/ are the contract with the JavaScript client: each one
decodes into its Struct and encodes back to exactly the same JSON, and survives MessagePack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from sync import (
    CATALOGUE,
    Op,
    Problem,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    SyncRequest,
    SyncResponse,
    decode,
    encode,
    parse_payload,
    read_request,
    scope_checksum,
)

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "protocol"
TYPES: dict[str, type[Any]] = {
    t.__name__: t
    for t in (Op, Problem, PullRequest, PullResponse, PushRequest, PushResponse, SyncRequest, SyncResponse)
}
FILES = sorted(GOLDEN.rglob("*.json"))


def load(path: Path) -> tuple[type[Any], Any]:
    doc = json.loads(path.read_text())
    assert set(doc) == {"message", "description", "body"}, path
    return TYPES[doc["message"]], doc["body"]


def test_there_are_golden_messages() -> None:
    assert len(FILES) >= 25


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(GOLDEN)))
def test_round_trips_exactly_through_json(path: Path) -> None:
    message, body = load(path)
    decoded = decode(json.dumps(body, ensure_ascii=False).encode(), message, "json")
    assert json.loads(encode(decoded, "json")) == body


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(GOLDEN)))
def test_round_trips_through_msgpack(path: Path) -> None:
    message, body = load(path)
    decoded = decode(json.dumps(body).encode(), message, "json")
    assert decode(encode(decoded, "msgpack"), message, "msgpack") == decoded
    # What a JavaScript msgpack library makes of the same object decodes to the same message.
    assert decode(msgspec.msgpack.encode(body), message, "msgpack") == decoded


@pytest.mark.parametrize("path", sorted((GOLDEN / "ops").glob("*.json")), ids=lambda p: p.name)
def test_op_examples_are_valid_ops_of_their_type(path: Path) -> None:
    _, body = load(path)
    op = decode(json.dumps(body).encode(), Op, "json")
    assert path.name == f"{op.type}.json"
    parse_payload(op.type, op.payload)


def test_every_op_type_and_version_has_an_example() -> None:
    wanted = {spec.type for spec in CATALOGUE.values()}
    wanted |= {f"{spec.name}@v{v}" for spec in CATALOGUE.values() for v in spec.older}
    have = {p.stem for p in (GOLDEN / "ops").glob("*.json")}
    assert wanted <= have, f"add golden examples for {sorted(wanted - have)}"


@pytest.mark.parametrize(
    "name", ["push_request", "pull_request", "pull_request_first", "sync_request", "sync_request_noop"]
)
def test_request_examples_are_accepted_by_the_server_reader(name: str) -> None:
    message, body = load(GOLDEN / f"{name}.json")
    incoming = read_request(json.dumps(body).encode(), "json", message)
    assert all(isinstance(item, Op) for item in incoming.items)


def test_end_marker_checksums_match_the_pages_applied_to_an_empty_replica() -> None:
    replica: dict[str, dict[tuple[str, str], Any]] = {}
    sums: dict[str, str] = {}
    for name in ("pull_response_page", "pull_response_end"):
        _, body = load(GOLDEN / f"{name}.json")
        page = decode(json.dumps(body).encode(), PullResponse, "json")
        for ch in page.ch:
            scope = replica.setdefault(ch.scope, {})
            if ch.val is None:
                scope.pop((ch.kind, ch.key), None)
            else:
                scope[(ch.kind, ch.key)] = ch.val
        sums = page.sums
    assert sums
    for scope, expected in sums.items():
        entries = replica.get(scope, {})
        assert scope_checksum((kind, key, val) for (kind, key), val in entries.items()) == expected, scope


def test_problems_carry_a_machine_code_and_status() -> None:
    _, body = load(GOLDEN / "problem_unsupported_version.json")
    assert body["code"] == "sync-unsupported-version"
    assert body["type"].endswith("/sync-unsupported-version")
    assert (body["min_version"], body["max_version"]) == (1, 1)
    _, body = load(GOLDEN / "problem_batch_too_large.json")
    assert (body["status"], body["limit"]) == (413, 1000)
