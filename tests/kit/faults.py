"""The network between phones and a sync server, and what it does to a request: one set of fault
rules for every test that syncs through a bad network (the reference server's stateful machine in
tests/sync/, the real server's in tests/sync_api/, the client tests).

A concrete network says only how a request reaches its server (`deliver`, `put_blob`); how requests
get lost, answered into the void, duplicated by a retrying proxy or held and delivered late, out of
order, is decided here, the same way for both.
"""

from __future__ import annotations

import contextlib
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from sync import ProtocolError, SyncRequest, SyncResponse, TransportError


@dataclass(frozen=True)
class Faults:
    """Probabilities of what the network does to one request."""

    drop_request: float = 0.0  # the server never sees it
    drop_response: float = 0.0  # the server applied it; the phone never hears back
    duplicate: float = 0.0  # the server gets it twice (a retrying proxy)
    delay: float = 0.0  # held in the network, delivered later (reordered), phone times out

    @classmethod
    def none(cls) -> Faults:
        return cls()


# The profiles the stateful machines draw from: each fault alone, then all of them at once.
FAULT_PROFILES = (
    Faults(),
    Faults(drop_request=0.5),
    Faults(drop_response=0.5),
    Faults(duplicate=0.5),
    Faults(delay=0.5),
    Faults(drop_request=0.2, drop_response=0.2, duplicate=0.2, delay=0.2),
)


@dataclass
class Network(ABC):
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    faults: Faults = field(default_factory=Faults)
    partitioned: set[str] = field(default_factory=set[str])  # phones without signal
    delayed: list[tuple[str, SyncRequest]] = field(default_factory=list[tuple[str, SyncRequest]])

    @abstractmethod
    def deliver(self, device: str, request: SyncRequest) -> SyncResponse:
        """The request reaches the server and its answer comes back (no faults)."""

    @abstractmethod
    def store_blob(self, device: str, blob_id: str, data: bytes) -> None:
        """A photo or signature reaches the server (no faults)."""

    def transport(self, device: str) -> FlakyTransport:
        return FlakyTransport(self, device)

    def replay_delayed(self, count: int | None = None) -> int:
        """Deliver held requests, in a shuffled order: their answers go nowhere."""
        self.rng.shuffle(self.delayed)
        n = len(self.delayed) if count is None else min(count, len(self.delayed))
        batch, self.delayed = self.delayed[:n], self.delayed[n:]
        for device, request in batch:
            with contextlib.suppress(ProtocolError, TransportError):  # e.g. a revoked device
                self.deliver(device, request)
        return len(batch)


@dataclass
class FlakyTransport:
    """A phone's transport (sync.Transport) through the network's faults."""

    net: Network
    device: str
    blob_failures: int = 0  # the next uploads that fail

    def sync(self, request: SyncRequest, /) -> SyncResponse:
        net, f = self.net, self.net.faults
        if self.device in net.partitioned:
            raise TransportError("no signal")
        if net.rng.random() < f.drop_request:
            raise TransportError("request lost")
        if net.rng.random() < f.delay:
            net.delayed.append((self.device, request))
            raise TransportError("timed out (request still in the network)")
        response = net.deliver(self.device, request)
        if net.rng.random() < f.duplicate:
            with contextlib.suppress(ProtocolError, TransportError):  # the copy's answer goes nowhere
                net.deliver(self.device, request)
        if net.rng.random() < f.drop_response:
            raise TransportError("response lost")
        return response

    def put_blob(self, blob_id: str, data: bytes, /) -> None:
        if self.device in self.net.partitioned or self.blob_failures:
            self.blob_failures = max(0, self.blob_failures - 1)
            raise TransportError("upload failed")
        self.net.store_blob(self.device, blob_id, data)
