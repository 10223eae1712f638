"""Test helpers for the sync engine: a simulated flaky network, deterministic ids and clocks,
and an independent model of what the ledger must hold once every op has been applied once.

Named sync_testkit (not helpers) because tests/ has no __init__.py: module names are global.
"""

from __future__ import annotations

import contextlib
import gzip
import random
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
    TransportError,
    decode,
    encode,
    event_key,
    gzip_body,
    parse_payload,
)


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
class Faults:
    """Probabilities of what the network does to one request."""

    drop_request: float = 0.0  # the server never sees it
    drop_response: float = 0.0  # the server applied it; the phone never hears back
    duplicate: float = 0.0  # the server gets it twice (a retrying proxy)
    delay: float = 0.0  # held in the network, delivered later (reordered), phone times out

    @classmethod
    def none(cls) -> Faults:
        return cls()


@dataclass
class Net:
    server: ReferenceServer
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    faults: Faults = field(default_factory=Faults)
    partitioned: set[str] = field(default_factory=set[str])
    delayed: list[tuple[str, SyncRequest]] = field(default_factory=list[tuple[str, SyncRequest]])
    bytes_up: int = 0
    bytes_down: int = 0
    requests: int = 0

    def transport(self, device: str) -> FlakyTransport:
        return FlakyTransport(self, device)

    def deliver(self, device: str, request: SyncRequest, fmt: Format = "msgpack") -> SyncResponse:
        """Through the wire format, both ways: what the real server's endpoint will do."""
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

    def replay_delayed(self, count: int | None = None) -> int:
        """Deliver held requests (in a shuffled order): their answers go nowhere."""
        self.rng.shuffle(self.delayed)
        n = len(self.delayed) if count is None else min(count, len(self.delayed))
        batch, self.delayed = self.delayed[:n], self.delayed[n:]
        for device, request in batch:
            with contextlib.suppress(ProtocolError):  # e.g. a revoked device: answer goes nowhere
                self.deliver(device, request)
        return len(batch)


@dataclass
class FlakyTransport:
    net: Net
    device: str
    blob_failures: int = 0

    def sync(self, request: SyncRequest, /) -> SyncResponse:
        net, f = self.net, self.net.faults
        if self.device in net.partitioned:
            raise TransportError("no signal")
        if net.rng.random() < f.drop_request:
            raise TransportError("request lost")
        if net.rng.random() < f.delay:
            net.delayed.append((self.device, request))
            raise TransportError("timed out (request still in the network)")
        fmt: Format = "msgpack" if net.rng.random() < 0.5 else "json"
        response = net.deliver(self.device, request, fmt)
        if net.rng.random() < f.duplicate:
            net.deliver(self.device, request, fmt)
        if net.rng.random() < f.drop_response:
            raise TransportError("response lost")
        return response

    def put_blob(self, blob_id: str, data: bytes, /) -> None:
        if self.device in self.net.partitioned or self.blob_failures:
            self.blob_failures = max(0, self.blob_failures - 1)
            raise TransportError("upload failed")
        self.net.server.put_blob(blob_id, data)


# -- an independent model of the ledger ------------------------------------------------------------


@dataclass
class ModelLedger:
    bins: dict[tuple[str, str, str], int]
    cash: dict[str, int]
    delivered: set[str]


def model_ledger(ops: Iterable[Op], actor: Callable[[str], str] = lambda dev: dev) -> ModelLedger:
    """What the ledger must hold once each op is applied exactly once, in any order.

    Written from the op payloads directly, not through the rules: a bin's quantity is its latest
    count (by HLC, then device) plus every movement after it; staging, cash and deliveries are sums.
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
            case "parcel.handed_over":
                for line in p.lines:
                    move(p.wh, STAGING, line.sku, -line.qty)
            case "stock.counted":
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
