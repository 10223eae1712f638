"""An in-memory reference server: the journal, admission, judging, change log and pull, over dicts.

It is the executable specification of PROTOCOL.md. The property tests run devices against it, and
the real server's tests can run the same scenarios against both and compare ledgers. It is written
for clarity, not speed: every method is what the real server does inside one transaction.
"""

from __future__ import annotations

import copy
import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from ._checksum import ScopeSum, blob_hash, is_blob_id
from ._codec import (
    Incoming,
    Problem,
    ProtocolError,
    encode,
    format_of,
    gzip_body,
    media_type,
    read_body,
    read_request,
)
from ._effects import (
    AgainstRef,
    BinCounted,
    CashEntry,
    CountHeld,
    CountTaskOpen,
    Decision,
    DeliveryRecord,
    Effect,
    ExceptionAct,
    Flag,
    OrderEvent,
    ParcelHandover,
    ParcelRecord,
    Picked,
    ProofLink,
    PutBackUnits,
    StockDelta,
)
from ._hlc import HLC, wall_clock_ms
from ._protocol import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    PROTOCOL_VERSION,
    Change,
    Cursor,
    CursorError,
    MalformedOp,
    Note,
    Op,
    OpResult,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    Reset,
    SyncRequest,
    SyncResponse,
)
from ._rules import judge, judge_malformed
from ._sequence import Journalled, admit
from ._world import OrderView, PickView

__all__ = ["Ledger", "ReferenceServer", "WireReply"]

BinKey = tuple[str, str, str]  # (warehouse, bin, sku)
Judge = Callable[[Op, "Ledger", str], Decision]

# Order statuses a late fact may not move an order out of: a delivered parcel stays delivered when
# an earlier failed attempt syncs late, and a cancelled order is cleared by a person, not by a phone.
_STICKY = {"cancelled": frozenset[str](), "delivered": frozenset({"returned"}), "returned": frozenset[str]()}


@dataclass
class _Order:
    status: str
    cod_amount: int
    # SKU -> units, when the test gives the order lines to check picks against; picked so far; plan.
    lines: dict[str, int] | None = None
    picked: dict[str, int] = field(default_factory=dict[str, int])
    plan: dict[str, frozenset[str]] = field(default_factory=dict[str, frozenset[str]])


@dataclass
class Ledger:
    """The server's ledger, reduced to what the rules read and the tests compare. A WorldView."""

    orders: dict[str, _Order] = field(default_factory=dict[str, _Order])
    bins: dict[BinKey, int] = field(default_factory=dict[BinKey, int])
    moves: dict[BinKey, list[tuple[str, int]]] = field(default_factory=dict[BinKey, list[tuple[str, int]]])
    counts: dict[BinKey, str] = field(default_factory=dict[BinKey, str])
    cash: dict[str, int] = field(default_factory=dict[str, int])
    delivered: dict[str, str] = field(default_factory=dict[str, str])
    attempts: list[DeliveryRecord] = field(default_factory=list[DeliveryRecord])
    proofs: list[ProofLink] = field(default_factory=list[ProofLink])
    exceptions: list[tuple[str, Flag]] = field(default_factory=list[tuple[str, Flag]])
    applications: Counter[str] = field(
        default_factory=Counter[str]
    )  # op id -> times its effects were written

    # -- WorldView -----------------------------------------------------------------------------

    def order(self, order_id: str, /) -> OrderView | None:
        o = self.orders.get(order_id)
        return None if o is None else OrderView(o.status, o.cod_amount)

    def pick_view(self, order_id: str, /) -> PickView | None:
        o = self.orders.get(order_id)
        if o is None or o.lines is None or o.status == "cancelled":
            return None
        return PickView(dict(o.lines), dict(o.picked), dict(o.plan))

    def delivered_by(self, waybill: str, /) -> str | None:
        return self.delivered.get(waybill)

    def bin_qty(self, wh: str, bin: str, sku: str, /) -> int:
        return self.bins.get((wh, bin, sku), 0)

    def last_count_at(self, wh: str, bin: str, sku: str, /) -> str | None:
        return self.counts.get((wh, bin, sku))

    def moved_after(self, wh: str, bin: str, sku: str, at: str, /) -> int:
        return sum(q for key, q in self.moves.get((wh, bin, sku), ()) if key > at)

    def cash_on_hand(self, holder: str, /) -> int:
        return self.cash.get(holder, 0)

    # -- writing -------------------------------------------------------------------------------

    def apply(self, op_id: str, effects: tuple[Effect, ...]) -> list[tuple[str, str, str, Any]]:
        """Write the effects; return the entities that changed as (scope, kind, key, new value)."""
        self.applications[op_id] += 1
        changed: list[tuple[str, str, str, Any]] = []
        for n, e in enumerate(effects):
            match e:
                case StockDelta(wh=wh, bin=bin, sku=sku, qty=qty, at=at):
                    k = (wh, bin, sku)
                    self.bins[k] = self.bins.get(k, 0) + qty
                    self.moves.setdefault(k, []).append((at, qty))
                    changed.append((f"wh:{wh}", "bin", f"{bin}/{sku}", self.bins[k] or None))
                case BinCounted(wh=wh, bin=bin, sku=sku, at=at):
                    k = (wh, bin, sku)
                    self.counts[k] = max(self.counts.get(k, at), at)
                case CashEntry(holder=holder, amount=amount):
                    self.cash[holder] = self.cash.get(holder, 0) + amount
                    changed.append((f"cash:{holder}", "cash", holder, self.cash[holder] or None))
                case OrderEvent(order=order_id, status=status):
                    o = self.orders.get(order_id)
                    if o is not None and (o.status not in _STICKY or status in _STICKY[o.status]):
                        o.status = status
                        changed.append(("orders", "order", order_id, {"status": status, "cod": o.cod_amount}))
                case Picked(order=order_id, sku=sku, qty=qty, problem=problem):
                    o = self.orders.get(order_id)
                    if o is not None and problem != "wrong_item":
                        o.picked[sku] = o.picked.get(sku, 0) + qty
                case DeliveryRecord(waybill=waybill, outcome=outcome, device=device, counts=counts):
                    self.attempts.append(e)
                    if outcome == "delivered" and counts:
                        self.delivered.setdefault(waybill, device)
                case ProofLink():
                    self.proofs.append(e)
                case (
                    ParcelRecord()
                    | ParcelHandover()
                    | CountHeld()
                    | ExceptionAct()
                    | CountTaskOpen()
                    | AgainstRef()
                    | PutBackUnits()
                ):
                    pass  # shipping records, put-backs, decisions and requests for work are the server's
                case Flag(kind=kind, message=message, order=order_id):
                    self.exceptions.append((op_id, e))
                    value = {"kind": kind, "message": message, "order": order_id}
                    changed.append(("exceptions", "exception", f"{op_id}/{n}", value))
        return changed


class _Entry(NamedTuple):
    op: Op
    status: Literal["applied", "flagged", "rejected"]
    notes: list[Note]


@dataclass
class _State:
    """Everything a database backup holds: snapshot and restore copy exactly this."""

    ledger: Ledger = field(default_factory=Ledger)
    journal: dict[uuid.UUID, _Entry] = field(default_factory=dict[uuid.UUID, _Entry])
    slots: dict[tuple[str, int], uuid.UUID] = field(default_factory=dict[tuple[str, int], uuid.UUID])
    hwm: dict[str, int] = field(default_factory=dict[str, int])
    kept: list[tuple[str, Any, str]] = field(default_factory=list[tuple[str, Any, str]])  # refused bodies
    log: dict[tuple[str, str, str], tuple[int, Any]] = field(
        default_factory=dict[tuple[str, str, str], tuple[int, Any]]
    )
    sums: dict[str, ScopeSum] = field(default_factory=dict[str, ScopeSum])
    head: int = 0
    served_scopes: dict[str, frozenset[str]] = field(default_factory=dict[str, frozenset[str]])
    blobs: dict[str, bytes] = field(default_factory=dict[str, bytes])


class WireReply(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


def _default_judge(op: Op, ledger: Ledger, actor: str) -> Decision:
    return judge(op, ledger, actor=actor)


class ReferenceServer:
    def __init__(
        self,
        *,
        scopes: Mapping[str, Collection[str]] | None = None,
        actors: Mapping[str, str] | None = None,
        orders: Mapping[str, tuple[str, int]] | None = None,
        clock: HLC | None = None,
        new_epoch: Callable[[], str] = lambda: secrets.token_hex(4),
        judge_op: Judge = _default_judge,
    ) -> None:
        self.scopes = {dev: frozenset(s) for dev, s in (scopes or {}).items()}
        self.actors = dict(actors or {})
        self.clock = clock or HLC(wall_clock_ms, max_forward_ms=5 * 60_000)
        self._new_epoch = new_epoch
        self._judge = judge_op
        self.epoch = new_epoch()
        self.state = _State()
        self.revoked: set[str] = set()
        for order_id, (status, cod) in (orders or {}).items():
            self.state.ledger.orders[order_id] = _Order(status, cod)

    @property
    def ledger(self) -> Ledger:
        return self.state.ledger

    # -- operations outside sync ---------------------------------------------------------------

    def snapshot(self) -> _State:
        return copy.deepcopy(self.state)

    def restore(self, snapshot: _State) -> None:
        """Restore a backup. A restored database is another history: it gets a new epoch."""
        self.state = copy.deepcopy(snapshot)
        self.epoch = self._new_epoch()

    def cancel_order(self, order_id: str) -> None:
        o = self.ledger.orders[order_id]
        o.status = "cancelled"
        self._emit([("orders", "order", order_id, {"status": o.status, "cod": o.cod_amount})])

    def put_blob(self, blob_id: str, data: bytes) -> bool:
        """Store a blob under its hash. Idempotent: True if new, False if it was already there."""
        if not is_blob_id(blob_id):
            raise ProtocolError("blob-bad-id", f"{blob_id[:80]!r} is not a SHA-256 in hex")
        if blob_hash(data) != blob_id:
            raise ProtocolError("blob-hash-mismatch", f"the bytes hash to {blob_hash(data)}, not {blob_id}")
        if blob_id in self.state.blobs:
            return False
        self.state.blobs[blob_id] = data
        return True

    def scope_state(self, scope: str) -> dict[tuple[str, str], Any]:
        return {
            (k, key): val
            for (s, k, key), (_, val) in self.state.log.items()
            if s == scope and val is not None
        }

    def checksum(self, scope: str) -> str:
        return self.state.sums.get(scope, ScopeSum()).hex()

    # -- the endpoints -------------------------------------------------------------------------

    def handle(
        self,
        device: str,
        body: bytes,
        *,
        endpoint: Literal["push", "pull", "sync"] = "sync",
        content_type: str | None = None,
        content_encoding: str | None = None,
        accept: str | None = None,
        accept_encoding: str | None = None,
    ) -> WireReply:
        """The whole HTTP exchange minus HTTP: bytes in, status and bytes out."""
        try:
            fmt = format_of(content_type)
            out_fmt = format_of(accept) if accept else fmt
            message = {"push": PushRequest, "pull": PullRequest, "sync": SyncRequest}[endpoint]
            incoming = read_request(read_body(body, content_encoding), fmt, message)
            push, pull = self.process(device, incoming)
            reply: Any = (
                push if endpoint == "push" else pull if endpoint == "pull" else SyncResponse.of(push, pull)
            )
            out = encode(reply, out_fmt)
            headers = {"content-type": media_type(out_fmt)}
            # Tiny bodies grow under gzip (18 bytes of framing): a no-op sync stays uncompressed.
            if accept_encoding and "gzip" in accept_encoding and len(out) > 512:
                out = gzip_body(out)
                headers["content-encoding"] = "gzip"
            return WireReply(200, headers, out)
        except ProtocolError as exc:
            return _problem_reply(exc.problem)

    def sync(self, device: str, request: SyncRequest) -> SyncResponse:
        push, pull = self.process(device, Incoming(request, list(request.ops)))
        return SyncResponse.of(push, pull)

    def process(self, device: str, incoming: Incoming) -> tuple[PushResponse, PullResponse | None]:
        if device in self.revoked:
            raise ProtocolError("sync-device-revoked", f"device {device} was revoked")
        for item in incoming.items:
            if isinstance(item, Op) and item.dev != device:
                raise ProtocolError(
                    "sync-wrong-device", f"op {item.id} belongs to device {item.dev}, not {device}"
                )
        push = self._push(device, incoming.items)
        pull = self._pull(device, incoming.request) if incoming.request.pull else None
        return push, pull

    # -- push ----------------------------------------------------------------------------------

    def _push(self, device: str, items: list[Op | MalformedOp]) -> PushResponse:
        st = self.state
        hwm = st.hwm.get(device, 0)
        results: list[OpResult] = []
        resume_from: int | None = None
        for item in items:
            by_id = st.journal.get(item.id) if item.id is not None else None
            slot_id = st.slots.get((device, item.seq)) if item.seq <= hwm else None
            at_slot = Journalled.of(st.journal[slot_id].op) if slot_id is not None else None
            verdict, new_hwm = admit(
                item, hwm, by_id=None if by_id is None else Journalled.of(by_id.op), at_slot=at_slot
            )
            if verdict == "gap":
                resume_from = hwm + 1
                break
            if verdict == "duplicate":
                results.append(OpResult(item.seq, "duplicate"))
            elif verdict == "copy":
                # The fact is journalled already (under another device, or another seq): the copy
                # fills this slot, pointing at the original, so the ops behind it can follow.
                assert item.id is not None
                for seq in range(item.seq, new_hwm + 1):
                    st.slots[(device, seq)] = item.id
                results.append(OpResult(item.seq, "duplicate"))
            elif verdict == "seq_taken":
                st.kept.append((device, item, "seq_taken"))  # refused, but kept for a person to inspect
                note = Note("seq_taken", f"seq {item.seq} of this device already holds another op")
                results.append(OpResult(item.seq, "rejected", [note]))
            elif verdict == "unplaced":
                st.kept.append((device, item, "malformed_op"))
                reason = item.reason if isinstance(item, MalformedOp) else "no readable seq"
                results.append(OpResult(0, "rejected", [Note("malformed_op", reason[:500])]))
            else:
                results.append(self._journal_and_judge(device, item, hwm, new_hwm))
            hwm = new_hwm
            st.hwm[device] = hwm
        return PushResponse(
            v=PROTOCOL_VERSION,
            ep=self.epoch,
            hwm=hwm,
            res=results,
            resume_from=resume_from,
            pos=Cursor(self.epoch, st.head).format(),
            hlc=self.clock.send(),
        )

    def _journal_and_judge(self, device: str, item: Op | MalformedOp, hwm: int, new_hwm: int) -> OpResult:
        st = self.state
        if isinstance(item, MalformedOp):
            # Journal what could be read, so the slot is filled and a copy is answered `duplicate`.
            decision = judge_malformed(item)
            op = Op(
                item.id or uuid.uuid4(), device, item.seq, 0, "0" * 16, "malformed@v1", {"why": item.reason}
            )
        else:
            op = item
            self.clock.receive(op.hlc)
            try:
                decision = self._judge(op, self.ledger, self.actors.get(device, device))
            except Exception as exc:  # the judge itself crashed, outside the rules' own guard
                decision = Decision("flagged", (Flag("poison_op", f"judging crashed: {exc!r}"[:500]),))
        if decision.outcome == "rejected":
            notes = [Note(decision.reason, decision.message[:500])]
        else:
            notes = [Note(f.kind, f.message) for f in decision.flags]
            self._emit(self.ledger.apply(str(op.id), decision.effects))
        st.journal[op.id] = _Entry(op, decision.outcome, notes)
        for seq in range(op.seq, max(new_hwm, op.seq) + 1) if op.seq > hwm else (op.seq,):
            st.slots[(device, seq)] = op.id
        return OpResult(op.seq, decision.outcome, notes)

    # -- change log and pull -------------------------------------------------------------------

    def _emit(self, changed: list[tuple[str, str, str, Any]]) -> None:
        st = self.state
        for scope, kind, key, val in changed:
            st.head += 1
            old = st.log.pop((scope, kind, key), None)  # compaction: one row per entity, newest wins
            total = st.sums.setdefault(scope, ScopeSum())
            if old is not None and old[1] is not None:
                total.remove(kind, key, old[1])
            if val is not None:
                total.add(kind, key, val)
            st.log[(scope, kind, key)] = (st.head, val)

    def _pull(self, device: str, request: SyncRequest) -> PullResponse:
        st = self.state
        scopes = self.scopes.get(device, frozenset[str]())
        position = 0
        if request.cur is not None:
            try:
                cursor = Cursor.parse(request.cur)
            except CursorError:
                return self._reset(device, "bad_cursor")
            if cursor.epoch != self.epoch:
                return self._reset(device, "epoch_changed")
            if cursor.position > st.head:
                return self._reset(device, "cursor_ahead")
            if st.served_scopes.get(device, scopes) != scopes:
                return self._reset(device, "scope_changed")
            position = cursor.position
        st.served_scopes[device] = scopes
        limit = min(request.lim or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        rows = sorted(
            (pos, scope, kind, key, val)
            for (scope, kind, key), (pos, val) in st.log.items()
            if pos > position and scope in scopes and (position or val is not None)
        )
        page, more = rows[:limit], len(rows) > limit
        changes = [Change(scope, kind, key, val) for _, scope, kind, key, val in page]
        end = page[-1][0] if more else st.head
        sums = {} if more else {s: self.checksum(s) for s in sorted(scopes)}
        return PullResponse(
            v=PROTOCOL_VERSION,
            ep=self.epoch,
            cur=Cursor(self.epoch, end).format(),
            ch=changes,
            more=more,
            sums=sums,
            hlc=self.clock.send(),
        )

    def _reset(self, device: str, why: str) -> PullResponse:
        self.state.served_scopes.pop(device, None)
        return PullResponse(
            v=PROTOCOL_VERSION,
            ep=self.epoch,
            cur=Cursor(self.epoch, 0).format(),
            more=True,
            reset=Reset(why, self.epoch, self.state.hwm.get(device, 0)),
            hlc=self.clock.send(),
        )


def _problem_reply(problem: Problem) -> WireReply:
    return WireReply(problem.status, {"content-type": "application/problem+json"}, encode(problem, "json"))
