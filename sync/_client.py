"""The reference client: the state machine a phone runs, with the network injected.

Pure: no I/O of its own. The transport is any object with `sync` and `put_blob`; tests give it one
that drops, duplicates and delays messages, the device simulator one that speaks HTTP. A real app
persists this state (IndexedDB) and wraps each step below in one local transaction.

What it guarantees, whatever the network does:
- every recorded op is uploaded until the server confirms it (by result or by high-water mark), in
  seq order, in batches; a dropped response just means the next round is answered `duplicate`;
- a gap answer (`resume_from`) makes it upload again from there; ops it no longer holds are
  declared lost with a `device.seq_skipped` filler, so one lost op cannot block the queue forever;
- a page of changes and its cursor are applied together, so a crash never applies half a page;
- a new epoch (restored server) drops the replica, re-uploads confirmed ops the server no longer
  has (from the retained tail), and downloads the scope again;
- an op the server refuses at the request level even alone (too large) is set aside locally and
  its slot filled, so a poison op never blocks the ops behind it.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from ._checksum import blob_hash, scope_checksum
from ._codec import ProtocolError
from ._hlc import HLC, wall_clock_ms
from ._ops import SeqSkipped, op_type_of
from ._protocol import PROTOCOL_VERSION, Note, Op, OpResult, SyncRequest, SyncResponse
from ._sequence import SKIP_OP_NAME

__all__ = ["Client", "SyncReport", "Transport", "TransportError"]


class TransportError(Exception):
    """The request may or may not have reached the server. Safe to retry: everything is idempotent."""


class Transport(Protocol):
    def sync(self, request: SyncRequest, /) -> SyncResponse:
        """Send one request; raise TransportError (network) or ProtocolError (a problem answer)."""
        ...

    def put_blob(self, blob_id: str, data: bytes, /) -> None: ...


Replica = dict[str, dict[tuple[str, str], Any]]  # scope -> (kind, key) -> value


@dataclass
class SyncReport:
    rounds: int = 0
    pushed: int = 0
    changes: int = 0
    resets: int = 0
    done: bool = False  # outbox empty and replica at the end marker
    error: str = ""


@dataclass
class _Outbox:
    """Unconfirmed ops sorted by seq, and confirmed ones retained for a restored server."""

    pending: list[Op] = field(default_factory=list[Op])
    retained: dict[int, Op] = field(default_factory=dict[int, Op])

    def add(self, op: Op) -> None:
        if self.pending and op.seq < self.pending[-1].seq:
            bisect.insort(self.pending, op, key=lambda o: o.seq)
        else:
            self.pending.append(op)

    def confirm(self, op: Op, retain: int) -> None:
        self.pending.remove(op)
        self.retained[op.seq] = op
        while len(self.retained) > retain:  # oldest confirmed first (dicts keep insertion order)
            del self.retained[next(iter(self.retained))]

    def requeue_after(self, seq: int) -> None:
        """The server lost what it had confirmed after `seq`: upload those again."""
        for s in sorted(s for s in self.retained if s > seq):
            self.add(self.retained.pop(s))


class Client:
    def __init__(
        self,
        device_id: str,
        transport: Transport,
        *,
        clock: HLC | None = None,
        new_id: Callable[[], uuid.UUID] = uuid.uuid4,
        now_ms: Callable[[], int] = wall_clock_ms,
        batch_size: int = 500,
        page_size: int = 0,
        retain: int = 10_000,
    ) -> None:
        self.device_id = device_id
        self.transport = transport
        self.clock = clock or HLC(now_ms)
        self._new_id = new_id
        self._now = now_ms
        self.batch_size = batch_size
        self._max_batch = batch_size
        self.page_size = page_size
        self.retain = retain
        self.next_seq = 1
        self.box = _Outbox()
        self.confirmed = 0  # the server's high-water mark for this device, as last heard
        self.epoch: str | None = None
        self.cursor: str | None = None
        self.replica: Replica = {}
        self.flagged: list[tuple[Op, list[Note]]] = []  # the server raised exceptions for these
        self.dead: list[tuple[Op, str]] = []  # rejected by the server, or unsendable: kept, shown
        self.blobs: dict[str, bytes] = {}  # waiting for upload
        self.must_update = False  # the server no longer speaks our protocol version
        self.failures = 0  # consecutive failed rounds, for backoff
        self.drift_resets = 0

    # -- recording -----------------------------------------------------------------------------

    @property
    def outbox(self) -> list[Op]:
        return self.box.pending

    def record(self, payload: msgspec.Struct) -> Op:
        """Record a fact now. It is durable on the phone from here; sync uploads it later."""
        return self.record_raw(op_type_of(payload), msgspec.to_builtins(payload))

    def record_raw(self, op_type: str, payload: dict[str, Any]) -> Op:
        op = Op(
            self._new_id(), self.device_id, self.next_seq, self._now(), self.clock.send(), op_type, payload
        )
        self.next_seq += 1
        self.box.add(op)
        return op

    def adopt(self, ops: Iterable[Op]) -> None:
        """Take over unconfirmed ops recorded on this phone under another device id: a new login
        after a logout or a revocation, or an outbox exported before the app was reinstalled.

        Each op keeps its id and takes this device's next seq (PROTOCOL.md §1.1): the server
        answers `duplicate` for one it already journalled, which fills the slot, and judges the
        rest, so every fact is applied exactly once. Fillers stay behind: they declared the old
        device's slots lost, and this device has no such slots.
        """
        for op in sorted(ops, key=lambda o: o.seq):
            if op.type.startswith(SKIP_OP_NAME + "@"):
                continue
            self.box.add(Op(op.id, self.device_id, self.next_seq, op.wall, op.hlc, op.type, op.payload))
            self.next_seq += 1

    def attach_blob(self, data: bytes) -> str:
        """Keep a photo or signature for upload; returns the id for proof.attached. Never blocks ops."""
        key = blob_hash(data)
        self.blobs[key] = data
        return key

    # -- syncing -------------------------------------------------------------------------------

    def backoff_seconds(self, jitter: float = 0.5) -> float:
        """When to try again after failures: the app retries on a timer, not only on the next scan."""
        return min(300.0, 2.0 ** min(self.failures, 9)) * (0.5 + jitter / 2) if self.failures else 0.0

    def sync(self, max_rounds: int = 100) -> SyncReport:
        """Upload blobs, then push and pull until both are done, or the network fails."""
        report = SyncReport()
        self._upload_blobs()
        while report.rounds < max_rounds and not self.must_update:
            report.rounds += 1
            more = self.sync_round(report)
            if report.error:
                return report
            if not more:
                report.done = True
                return report
        return report

    def sync_round(self, report: SyncReport | None = None) -> bool:
        """One request/response. Returns True when there is more to do right away."""
        report = report if report is not None else SyncReport()
        batch = self.box.pending[: self.batch_size]
        request = SyncRequest(v=PROTOCOL_VERSION, ops=batch, cur=self.cursor, lim=self.page_size)
        try:
            response = self.transport.sync(request)
        except TransportError as exc:
            self.failures += 1
            report.error = f"network: {exc}"
            return False
        except ProtocolError as exc:
            self.failures += 1
            return self._refused(exc, batch, report)
        self.failures = 0
        report.pushed += len(batch)
        if len(batch) == self.batch_size and self.batch_size < self._max_batch:
            self.batch_size = min(self._max_batch, self.batch_size * 2)
        more_pages = self._absorb(response, report)
        return more_pages or bool(self.box.pending)

    def _refused(self, exc: ProtocolError, batch: list[Op], report: SyncReport) -> bool:
        code = exc.problem.code
        report.error = f"{code}: {exc.problem.detail}"
        if code == "sync-unsupported-version":
            self.must_update = True
            return False
        if code in ("sync-batch-too-large", "sync-body-too-large", "sync-malformed") and batch:
            if len(batch) > 1:
                self.batch_size = max(1, len(batch) // 2)
            else:
                self._set_aside(batch[0], f"the server cannot take this op: {code}")
            report.error = ""
            return True
        return False

    def _set_aside(self, op: Op, why: str) -> None:
        # Keep the op where a person can see it, and fill its slot so the queue moves on.
        self.dead.append((op, why))
        self.box.pending.remove(op)
        self._fill(op.seq, op.seq, why)

    def _fill(self, first: int, last: int, why: str) -> None:
        payload = msgspec.to_builtins(SeqSkipped(to=last, why=why[:500]))
        op_type = op_type_of(SeqSkipped(to=last))
        filler = Op(self._new_id(), self.device_id, first, self._now(), self.clock.send(), op_type, payload)
        self.box.add(filler)

    def _absorb(self, r: SyncResponse, report: SyncReport) -> bool:
        if r.hlc:
            self.clock.receive(r.hlc)
        new_epoch = self.epoch is not None and r.ep != self.epoch
        if new_epoch:
            # A restored or reset server: what it confirmed after r.hwm is gone, so upload it again.
            self._forget_replica(report)
            self.confirmed = r.hwm
            self.box.requeue_after(r.hwm)
        self.epoch = r.ep
        self._take_results(r.res)
        self._take_hwm(r.hwm)
        if r.resume_from is not None:
            self._resume(r.resume_from)
        if r.reset is not None:
            if not new_epoch:
                self._forget_replica(report)
            return True  # pull again from the beginning
        return self._take_page(r, report)

    def _forget_replica(self, report: SyncReport) -> None:
        report.resets += 1
        self.replica = {}
        self.cursor = None

    def _take_results(self, results: list[OpResult]) -> None:
        by_seq = {op.seq: op for op in self.box.pending}
        for result in results:
            op = by_seq.pop(result.seq, None)
            if op is None:
                continue  # already confirmed by an earlier answer
            if result.st == "flagged":
                self.flagged.append((op, list(result.notes)))
            elif result.st == "rejected":
                reason = "; ".join(f"{n.code}: {n.msg}" for n in result.notes) or "rejected"
                self.dead.append((op, reason))
            self.box.confirm(op, self.retain)

    def _take_hwm(self, hwm: int) -> None:
        if hwm < self.confirmed:
            # Same epoch but the server forgot ops it had confirmed (restored without a new epoch).
            self.box.requeue_after(hwm)
        self.confirmed = hwm
        while self.box.pending and self.box.pending[0].seq <= hwm:
            self.box.confirm(self.box.pending[0], self.retain)

    def _resume(self, resume_from: int) -> None:
        self.box.requeue_after(resume_from - 1)
        self.confirmed = min(self.confirmed, resume_from - 1)
        first = self.box.pending[0].seq if self.box.pending else self.next_seq
        if first > resume_from:
            self._fill(resume_from, first - 1, "the server asked for ops this phone no longer holds")

    def _take_page(self, r: SyncResponse, report: SyncReport) -> bool:
        if r.cur is None:
            return False  # push only
        # Build the new replica first, then swap it in with the cursor: all of the page or none.
        touched: Replica = {}
        for ch in r.ch:
            scope = touched.get(ch.scope)
            if scope is None:
                scope = touched[ch.scope] = dict(self.replica.get(ch.scope, {}))
            if ch.val is None:
                scope.pop((ch.kind, ch.key), None)
            else:
                scope[(ch.kind, ch.key)] = ch.val
        self.replica = {**self.replica, **touched}
        self.cursor = r.cur
        report.changes += len(r.ch)
        if not r.more and r.sums and not self._sums_match(r.sums):
            # Drift (a bug somewhere, or local tampering): the cure is a clean download.
            self.drift_resets += 1
            self._forget_replica(report)
            return True
        return r.more

    def _sums_match(self, sums: dict[str, str]) -> bool:
        return all(self.scope_checksum(scope) == expected for scope, expected in sums.items())

    def scope_checksum(self, scope: str) -> str:
        entries = self.replica.get(scope, {})
        return scope_checksum((kind, key, val) for (kind, key), val in entries.items())

    def _upload_blobs(self) -> None:
        for key, data in list(self.blobs.items()):
            try:
                self.transport.put_blob(key, data)
            except TransportError:
                continue  # try again next sync; the op referring to it is not held back
            except ProtocolError:
                pass  # refused for good (too large): nothing more to do but drop it
            del self.blobs[key]
