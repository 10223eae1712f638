"""Test helpers for the sync engine: the fault network in front of the reference server,
deterministic ids and clocks, and an independent model of what the ledger must hold once every op
has been applied once.

Named sync_testkit (not helpers) because tests/sync/ has no __init__.py: module names are global.
"""

from __future__ import annotations

import gzip
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import msgspec

from sync import (
    STAGING,
    Format,
    Op,
    Problem,
    ProtocolError,
    ReferenceServer,
    SyncRequest,
    SyncResponse,
    decode,
    encode,
    event_key,
    gzip_body,
    parse_payload,
)
from tests.kit.faults import Network


def ids(prefix: int) -> Callable[[], uuid.UUID]:
    """Deterministic op ids: reproducible failures, and distinct across devices."""
    counter = iter(range(1, 1 << 62))
    return lambda: uuid.UUID(int=(prefix << 64) | next(counter))


class SimClock:
    """Simulated milliseconds, shared by everyone; each device may read it with its own skew."""

    def __init__(self, start: int = 1_767_225_600_000) -> None:  # 2026-01-01T00:00Z
        self.now = start

    def advance(self, ms: int) -> None:
        self.now += ms

    def reader(self, skew_ms: int = 0) -> Callable[[], int]:
        return lambda: self.now + skew_ms


@dataclass
class Net(Network):
    """The fault network (tests/kit/faults.py) in front of the reference server, through the wire
    format both ways, as the real server's endpoint will see it."""

    server: ReferenceServer = field(default_factory=ReferenceServer)
    bytes_up: int = 0
    bytes_down: int = 0
    requests: int = 0

    def deliver(self, device: str, request: SyncRequest) -> SyncResponse:
        fmt: Format = "msgpack" if self.rng.random() < 0.5 else "json"
        body = gzip_body(encode(request, fmt))
        self.bytes_up += len(body)
        self.requests += 1
        reply = self.server.handle(
            device,
            body,
            content_type=f"application/{fmt}",
            content_encoding="gzip",
            accept_encoding="gzip",
        )
        self.bytes_down += len(reply.body)
        if reply.status != 200:
            problem = msgspec.json.decode(reply.body, type=Problem)
            raise ProtocolError(problem.code, problem.detail)
        data = reply.body
        if reply.headers.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        return decode(data, SyncResponse, fmt)

    def store_blob(self, device: str, blob_id: str, data: bytes) -> None:
        self.server.put_blob(blob_id, data)


# -- an independent model of the ledger ------------------------------------------------------------


@dataclass
class ModelLedger:
    bins: dict[tuple[str, str, str], int]
    cash: dict[str, int]
    delivered: set[str]


def model_ledger(ops: Iterable[Op], actor: Callable[[str], str] = lambda dev: dev) -> ModelLedger:
    """What the ledger must hold once each op is applied exactly once, in any order.

    Written from the op payloads directly, not through the rules: a bin's quantity is its latest
    count (by HLC, then device; a 0 counts only when marked empty) plus every movement after it;
    staging, cash and deliveries are sums.
    """
    events: dict[tuple[str, str, str], list[tuple[str, str, int]]] = defaultdict(list)
    cash: dict[str, int] = defaultdict(int)
    delivered: set[str] = set()
    for op in ops:
        name, _, _ = op.type.partition("@")
        if name == "device.seq_skipped":
            continue
        p = parse_payload(op.type, op.payload).payload
        at = event_key(op.hlc, op.dev)

        def move(wh: str, bin: str, sku: str, qty: int, at: str = at) -> None:
            events[(wh, bin, sku)].append((at, "delta", qty))

        match name:
            case "stock.received" | "return.received":
                move(p.wh, p.bin, p.sku, p.qty)
            case "stock.put_away":
                move(p.wh, p.from_bin, p.sku, -p.qty)
                move(p.wh, p.to_bin, p.sku, p.qty)
            case "stock.picked":
                move(p.wh, p.bin, p.sku, -p.qty)
                move(p.wh, STAGING, p.sku, p.qty)
            case "stock.short_picked":
                move(p.wh, p.bin, p.sku, -p.found)
                move(p.wh, STAGING, p.sku, p.found)
            case "stock.put_back":
                move(p.wh, STAGING, p.sku, -p.qty)
                move(p.wh, p.bin, p.sku, p.qty)
            case "parcel.handed_over":
                for line in p.lines:
                    move(p.wh, STAGING, line.sku, -line.qty)
            case "stock.counted":
                # A 0 without the empty mark is not a count (PROTOCOL.md R7: flagged
                # count_zero_unmarked, nothing applied); only an explicit empty mark zeroes a bin.
                if p.counted or p.empty:
                    events[(p.wh, p.bin, p.sku)].append((at, "count", p.counted))
            case "cash.collected":
                cash[actor(op.dev)] += p.amount
            case "remittance.handed_in":
                cash[actor(op.dev)] -= p.amount
                cash[p.to] += p.amount
            case "delivery.attempted":
                if p.outcome == "delivered":
                    delivered.add(p.waybill)
            case _:
                pass
    bins: dict[tuple[str, str, str], int] = {}
    for key, evs in events.items():
        value = 0
        for _, what, n in sorted(evs):
            value = n if what == "count" else value + n
        if value:
            bins[key] = value
    return ModelLedger(bins, {h: c for h, c in cash.items() if c}, delivered)
