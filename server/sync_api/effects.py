"""Effects -> rows: what the judging rules decided, written into the ledgers.

`apply_decision` resolves the phone's codes to the server's ids, updates the in-transaction world
(so the next op sees this one) and queues rows; `Pending.flush` writes the queued rows with bulk
statements; `Pending.changes` says which entities of which scopes changed, for the change log.

Two things a rule cannot know are settled here, each turning `applied` into `flagged`:
- a stock fact about a warehouse or SKU the server does not know stays in the journal but cannot
  enter the stock ledger (`unknown_warehouse`, `unknown_sku`);
- an order event the order state machine cannot reach is recorded in the journal only; a fact that
  skips steps (a delivery reported while the order still says packed) walks the steps in between.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.changes.scopes import bin_key, wh_scope
from server.cod.cash import cash_entry, post_cash
from server.cod.deliveries import link_proofs, record_attempts
from server.db.base import utcnow
from server.db.bulk import insert_rows
from server.db.touched import restore, snapshot, touched
from server.errors import BodegaError
from server.exceptions.actions import act
from server.exceptions.raising import exception_row, raise_exceptions
from server.inbound.phone import receive_from_phone
from server.inventory.counts import HeldCount, hold_count, note_exception, record_counts
from server.inventory.ledger import Movement, post_movements
from server.inventory.models import Bin
from server.orders.transitions import Transitions
from server.picking.picks import Short, follow_short_picks, pick_row, record_picks
from server.shipping.handover import admit_scan, batch_for, record_scan
from server.shipping.models import DispatchBatch, Parcel
from server.shipping.packing import PackDetails, pack, summed
from server.shipping.put_backs import count_put_back
from server.shipping.refusals import ShippingRefused
from server.sync_api.models import SyncOp, SyncRefused
from server.sync_api.world import DbWorld, Key
from sync import (
    QUARANTINE,
    AgainstRef,
    BinCounted,
    CashEntry,
    CountHeld,
    CountTaskOpen,
    Decision,
    DeliveryRecord,
    ExceptionAct,
    Flag,
    Note,
    OpStatus,
    OrderEvent,
    ParcelHandover,
    ParcelRecord,
    Picked,
    PutBackUnits,
    StockDelta,
)
from sync import ProofLink as ProofEffect

MESSAGE = 500


class OpInfo(NamedTuple):
    op_id: uuid.UUID
    device: str  # the device id as the op states it
    device_id: uuid.UUID
    seq: int
    actor: str  # the username: who holds cash
    by: str  # how histories name the actor ("user:<username>")


@dataclass
class Pending:
    """The rows one push transaction (or one op's savepoint) will write, queued while its ops are
    judged and written by the domains' writers in `flush`."""

    # One timestamp for every row of the transaction: they were all written at once.
    now: datetime = field(default_factory=utcnow)
    journal: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    refused: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    movements: list[Movement] = field(default_factory=list[Movement])
    counts: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = field(
        default_factory=dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]]
    )
    count_warehouses: set[uuid.UUID] = field(default_factory=set[uuid.UUID])  # counts taken here
    cash_entries: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    deliveries: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    proofs: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    exceptions: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    picks: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    shorts: list[Short] = field(default_factory=list[Short])  # followed up after the rows are in
    # Order moves: the stock of a handover or a return moved by the op's own stock facts.
    moves: Transitions = field(default_factory=lambda: Transitions("sync", stock_by_facts=True))
    bins: set[Key] = field(default_factory=set[Key])  # bins whose units changed, for the phones

    def flush(self, conn: Connection, world: DbWorld) -> None:
        """Write everything queued through the domains' writers, parents before children."""
        now = self.now
        self.moves.now = now
        insert_rows(conn, Bin, world.created_bins)
        world.created_bins = []
        post_movements(conn, self.movements, now=now)
        record_counts(conn, list(self.counts.values()), self.count_warehouses)
        # Absolute balances from the world: exact, because the rows are locked (PostgreSQL) or the
        # whole database is (SQLite) from the moment they were read.
        holders = {e["holder"] for e in self.cash_entries}
        post_cash(conn, self.cash_entries, {h: world.cash(h) for h in holders}, now=now)
        self.moves.flush(conn)
        record_picks(conn, self.picks)
        # After the stock and the orders are written: the follow-up reads the bins and locks the order.
        follow_short_picks(conn, self.shorts, now)
        record_attempts(conn, self.deliveries)
        link_proofs(conn, self.proofs)
        raise_exceptions(conn, self.exceptions)
        insert_rows(conn, SyncOp, self.journal)
        insert_rows(conn, SyncRefused, self.refused)
        # The phones hear of every bin this push moved, with the value the world holds now.
        note = touched(conn)
        note.orders.update(s.order_id for s in self.shorts)  # their pick task names the short pick
        for key in self.bins:
            wh, bin, sku = key
            note.changes[(wh_scope(wh), "bin", bin_key(bin, sku))] = world.qty(key) or None
        for rows in (
            self.journal,
            self.refused,
            self.movements,
            self.cash_entries,
            self.deliveries,
            self.proofs,
            self.exceptions,
            self.picks,
        ):
            rows.clear()
        self.shorts.clear()
        self.counts.clear()
        self.count_warehouses.clear()
        self.bins.clear()


def journal_row(
    info: OpInfo, op: Any, last_seq: int, status: str, notes: list[Note], payload_json: str, now: datetime
) -> dict[str, Any]:
    return {
        "op_id": info.op_id,
        "device_id": info.device_id,
        "seq": info.seq,
        "last_seq": last_seq,
        "wall": op.wall,
        "hlc": op.hlc,
        "type": op.type[:64],
        "payload": payload_json,
        "actor": info.actor[:64],
        "status": status,
        "notes": _notes_json(notes),
        "received_at": now,
    }


def _notes_json(notes: list[Note]) -> str:
    if not notes:
        return "[]"
    return msgspec.json.encode([[n.code, n.msg] for n in notes]).decode()


def apply_decision(
    world: DbWorld, pending: Pending, info: OpInfo, decision: Decision
) -> tuple[OpStatus, list[Note]]:
    """Write the decision's effects; returns the op's final status and notes."""
    if decision.outcome == "rejected":
        return "rejected", [Note(decision.reason, decision.message[:MESSAGE])]
    flags = [e for e in decision.effects if isinstance(e, Flag)]
    extra: list[Flag] = []
    told: list[Note] = []  # what an action did, for the op's notes (not a flag)
    packed_here: set[str] = set()  # orders the packing writer moved (or refused): no second move
    raised: list[Flag] = []  # exceptions a domain writer raised itself: noted on the op, not raised again
    for effect in decision.effects:
        match effect:
            case ParcelRecord():
                packed_here.add(effect.order)
                refused = _parcel(world, pending, info, effect)
                if refused is not None:
                    extra.append(refused)
            case ParcelHandover():
                refused = _handover(world, info, effect)
                if refused is not None:
                    extra.append(refused)
            case OrderEvent() if effect.status == "packed" and effect.order in packed_here:
                pass
            case CountHeld():
                _held(world, pending, info, effect)
            case StockDelta() | BinCounted():
                problem = _stock(world, pending, info, effect)
                if problem is not None and problem.kind not in {f.kind for f in extra}:
                    extra.append(problem)
            case CashEntry():
                _cash(world, pending, info, effect)
            case OrderEvent():
                _order_event(world, pending, info, effect)
            case Picked():
                _picked(world, pending, info, effect)
            case DeliveryRecord():
                _delivery(world, pending, info, effect)
            case ProofEffect():
                _proof(world, pending, info, effect)
            case ExceptionAct():
                refused, note = _exception_act(world, pending, info, effect)
                if refused is not None:
                    extra.append(refused)
                if note is not None:
                    told.append(note)
            case CountTaskOpen():
                refused = _count_task(world, pending, info, effect)
                if refused is not None:
                    extra.append(refused)
            case AgainstRef():
                raised += _against(world, pending, info, effect)
            case PutBackUnits():
                refused = _put_back(world, pending, info, effect)
                if refused is not None:
                    extra.append(refused)
            case Flag():
                pass
    for flag in (*flags, *extra):
        _raise(world, pending, info, flag)
    notes = [Note(f.kind, f.message[:MESSAGE]) for f in (*flags, *extra, *raised)]
    return ("flagged" if notes else "applied"), notes + told


def _exception_act(
    world: DbWorld, pending: Pending, info: OpInfo, e: ExceptionAct
) -> tuple[Flag | None, Note | None]:
    """A supervisor's decision from the phone, through the same writer as the console's button
    (server/exceptions/actions.py). What this push judged before is written first, so the
    action's domain writer reads it; the world forgets what it cached, since the action may have
    moved stock, orders or cash behind it. A refused action is rolled back and shown to a person."""
    try:
        exception_id = uuid.UUID(e.exception)
    except ValueError:
        return Flag("exception_action_refused", f"{e.exception[:64]} is not an exception id"), None
    conn = world.conn
    pending.flush(conn, world)
    savepoint = conn.begin_nested()
    noted = snapshot(conn)
    try:
        acted = act(
            conn, exception_id, e.action, e.note, dict(e.params), info.by, now=pending.now, via="phone"
        )
        savepoint.commit()
    except BodegaError as exc:
        savepoint.rollback()
        restore(conn, noted)
        world.forget()
        why = f"{info.actor} chose {e.action} for exception {e.exception} on the phone; not done: {exc}"
        return Flag("exception_action_refused", why[:MESSAGE]), None
    world.forget()
    if acted.outcome == "already_resolved":
        by, how = acted.resolved_by or "someone", acted.action or "resolved"
        said = f"already resolved by {by} ({how}): nothing done"
        return None, Note("already_resolved", said[:MESSAGE])
    return None, Note("exception_acted", acted.resolution[:MESSAGE])


def _count_task(world: DbWorld, pending: Pending, info: OpInfo, e: CountTaskOpen) -> Flag | None:
    """A supervisor's count task from the phone, through the count tasks' writer, as the console's
    POST /api/v1/count-tasks (the phone's id makes a second sending open nothing new). One the
    writer refuses (an unknown bin or SKU) is rolled back and shown to a person."""
    from server.inventory.count_tasks import CountTaskIn, create_task

    conn = world.conn
    pending.flush(conn, world)  # a bin this push made is there for the writer to find
    savepoint = conn.begin_nested()
    noted = snapshot(conn)
    try:
        asked = {
            "id": e.task,
            "warehouse": e.wh,
            "bin": e.bin or None,
            "skus": list(e.skus),
            "title": e.title,
        }
        create_task(conn, msgspec.convert(asked, CountTaskIn), info.by)
        savepoint.commit()
    except (BodegaError, msgspec.ValidationError) as exc:
        savepoint.rollback()
        restore(conn, noted)
        what = f"bin {e.bin}" if e.bin else ", ".join(e.skus)
        why = f"{info.actor} asked on the phone for a count of {what} in {e.wh}; not opened: {exc}"
        return Flag("count_task_refused", why[:MESSAGE], wh=e.wh, bin=e.bin)
    return None


def _stock(world: DbWorld, pending: Pending, info: OpInfo, e: StockDelta | BinCounted) -> Flag | None:
    key = (e.wh, e.bin, e.sku)
    ids = world.ids_of(key)
    if ids is None:
        if e.wh not in world.warehouses:
            return Flag(
                "unknown_warehouse",
                f"stock fact for warehouse {e.wh}, which the server does not know: kept in the op "
                "journal, not in the stock ledger",
                wh=e.wh,
                bin=e.bin,
                sku=e.sku,
            )
        return Flag(
            "unknown_sku",
            f"stock fact for SKU {e.sku}, which the catalog does not have: kept in the op journal, "
            "not in the stock ledger",
            wh=e.wh,
            bin=e.bin,
            sku=e.sku,
        )
    wid, sid, bid = ids
    bin_id = bid if bid is not None else world.ensure_bin(wid, e.bin)
    if isinstance(e, StockDelta):
        pending.movements.append(
            Movement(
                sid,
                wid,
                e.kind,
                e.qty,
                reason=e.note[:255],
                ref_type="op",
                ref_id=str(info.op_id),
                actor=info.by[:64],
                bin_id=bin_id,
                at=e.at,
                quarantine=e.bin == QUARANTINE,
            )
        )
        world.moved(key, e.qty, e.at)
        pending.bins.add(key)
        return None
    world.counted(key, e.at)
    pending.count_warehouses.add(wid)
    if world.last_count_at(*key) == e.at:  # this count is now the latest one for the bin
        pending.counts[(bin_id, sid)] = {
            "bin_id": bin_id,
            "sku_id": sid,
            "counted_at": e.at,
            "counted": e.counted,
            "op_id": info.op_id,
            "updated_at": pending.now,
        }
    return None


def _against(world: DbWorld, pending: Pending, info: OpInfo, e: AgainstRef) -> list[Flag]:
    """Units received under a reference: when it names an inbound shipment, the receiving writer
    (server/inbound/receiving.py) counts them against it and raises any variance's exception."""
    ids = world.ids_of((e.wh, e.bin, e.sku))
    if ids is None:
        return []  # unknown warehouse or SKU: the stock effect already flagged it
    wid, sid, bid = ids
    bin_id = bid if bid is not None else world.ensure_bin(wid, e.bin)
    insert_rows(world.conn, Bin, world.created_bins)  # the receipt refers to the bin: write it now
    world.created_bins = []
    found = receive_from_phone(world.conn, e.ref, wid, sid, bin_id, e.qty, info.op_id, info.by, pending.now)
    return [Flag(kind, message, wh=e.wh, bin=e.bin, sku=e.sku) for kind, message in found]


def _held(world: DbWorld, pending: Pending, info: OpInfo, e: CountHeld) -> None:
    """A count held for a recount (the phones get a count task) and then a supervisor's approval
    (server/inventory/counts.py); the rule's count_variance flag already tells the supervisors."""
    key = (e.wh, e.bin, e.sku)
    ids = world.ids_of(key)
    if ids is None:
        return  # unknown warehouse or SKU: nothing to hold (the journal keeps the fact)
    wid, sid, bid = ids
    bin_id = bid if bid is not None else world.ensure_bin(wid, e.bin)
    insert_rows(world.conn, Bin, world.created_bins)  # the review refers to the bin: write it now
    world.created_bins = []
    held = HeldCount(wid, bin_id, sid, e.wh, e.bin, e.sku, info.op_id, e.counted, e.believed)
    review_id, what = hold_count(world.conn, held, info.by, pending.now)
    if what == "approval":
        exception = exception_row(
            "count_needs_approval",
            f"bin {e.bin}: {e.sku} was counted again and is still {e.counted} against {e.believed} in "
            "the ledger; approve the count to set the bin, or reject it",
            now=pending.now,
            sku_id=sid,
            warehouse_id=wid,
            details={"review": str(review_id), "wh": e.wh, "bin": e.bin, "sku": e.sku, "op": str(info.op_id)},
        )
        raise_exceptions(world.conn, [exception])
        note_exception(world.conn, review_id, exception["id"])


def _parcel(world: DbWorld, pending: Pending, info: OpInfo, e: ParcelRecord) -> Flag | None:
    """A phone packed a parcel: the same packing writer as the console's (server/shipping/packing.py).
    A pack without lines comes from an app older than packing verification: recorded unchecked."""
    state = world.order_state(e.order)
    if state is None:
        return None
    details = PackDetails(
        summed(e.lines),
        weight_grams=e.weight_g,
        parcel_count=e.parcels,
        courier=e.courier[:32] if e.courier is not None else None,
        waybill=e.waybill,
        check=bool(e.lines),
    )
    try:
        pack(world.conn, pending.moves, state.id, state.status, details, actor=info.by, now=pending.now)
    except ShippingRefused as refused:
        return Flag(refused.kind, f"{refused.detail} (sync op {info.op_id})", order=e.order, wh=e.wh)
    state.status = "packed"
    return None


def _put_back(world: DbWorld, pending: Pending, info: OpInfo, e: PutBackUnits) -> Flag | None:
    """Units of a cancelled order back on a shelf: the put-back writer counts them (the console's
    "done" records the same facts). Units it did not expect stay where they were put, flagged."""
    state = world.order_state(e.order)
    problem = (
        f"{e.qty} x {e.sku} put back into bin {e.bin} for order {e.order}, which the server does not know"
        if state is None
        else count_put_back(world.conn, state.id, e.sku, e.qty, e.bin, info.by, pending.now)
    )
    if problem is None:
        return None
    return Flag("put_back_unexpected", problem[:MESSAGE], order=e.order, wh=e.wh, bin=e.bin, sku=e.sku)


def _handover(world: DbWorld, info: OpInfo, e: ParcelHandover) -> Flag | None:
    """A phone scanned a parcel into a dispatch batch: the same checks as the console's scan; the
    goods left whatever they say (the op's stock and status effects stand), a refusal is flagged."""
    conn = world.conn
    state = world.order_state(e.order)
    parcel_courier = conn.execute(select(Parcel.courier).where(Parcel.waybill == e.waybill)).scalar()
    if state is None or parcel_courier is None:
        return None  # a parcel packed before waybills were kept: nothing to put in a batch
    batch_id = _batch_id(e.batch)
    if (
        batch_id is None
        or conn.execute(select(DispatchBatch.id).where(DispatchBatch.id == batch_id)).first() is None
    ):
        batch_id = batch_for(conn, e.wh, e.to, parcel_courier, info.by, utcnow())
    try:
        parcel = admit_scan(conn, batch_id, e.waybill)
    except ShippingRefused as refused:
        return Flag(refused.kind, f"{refused.detail} (sync op {info.op_id})", order=e.order, wh=e.wh)
    if not parcel.again:
        record_scan(conn, batch_id, parcel, e.wh, info.by, utcnow())
    return None


def _batch_id(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


def _cash(world: DbWorld, pending: Pending, info: OpInfo, e: CashEntry) -> None:
    entry = cash_entry(
        e.holder, e.amount, e.kind, now=pending.now, order_ref=e.order, ref=e.ref, op_id=info.op_id
    )
    pending.cash_entries.append(entry)
    world.cash_moved(entry["holder"], e.amount)


def _order_event(world: DbWorld, pending: Pending, info: OpInfo, e: OrderEvent) -> None:
    state = world.order_state(e.order)
    if state is None:
        return
    state.status = pending.moves.walk(
        state.id,
        state.status,
        e.status,
        reason=e.reason or f"sync op {info.op_id}",
        implied=f"implied by sync op {info.op_id}",
        actor=info.by,
        at=pending.now,
    )


def _picked(world: DbWorld, pending: Pending, info: OpInfo, e: Picked) -> None:
    state = world.order_state(e.order)
    wid = world.warehouses.get(e.wh)
    pending.picks.append(
        pick_row(
            order_ref=e.order,
            order_id=state.id if state is not None else None,
            warehouse_id=wid,
            sku=e.sku,
            bin=e.bin,
            qty=e.qty,
            wanted=e.wanted,
            problem=e.problem,
            op_id=info.op_id,
            actor=info.by,
            now=pending.now,
        )
    )
    if e.problem != "wrong_item":
        world.picked(e.order, e.sku, e.qty)
    if e.wanted > e.qty and state is not None and wid is not None and e.problem != "wrong_item":
        pending.shorts.append(Short(state.id, wid, e.sku, e.bin, e.wanted - e.qty, info.by))


def _delivery(world: DbWorld, pending: Pending, info: OpInfo, e: DeliveryRecord) -> None:
    state = world.order_state(e.order)
    pending.deliveries.append(
        {
            "op_id": info.op_id,
            "order_ref": e.order[:64],
            "order_id": state.id if state is not None else None,
            "waybill": e.waybill[:64],
            "outcome": e.outcome,
            "reason": e.reason[:32],
            "note": e.note[:500],
            "received_by": e.received_by[:80],
            "reschedule_on": e.reschedule_on[:10],
            "device": e.device[:64],
            "counts": e.counts,
            "at": "",
            "created_at": pending.now,
        }
    )
    if e.outcome == "delivered" and e.counts:
        world.delivered(e.waybill, e.device)


def _proof(world: DbWorld, pending: Pending, info: OpInfo, e: ProofEffect) -> None:
    state = world.order_state(e.order)
    pending.proofs.append(
        {
            "op_id": info.op_id,
            "order_ref": e.order[:64],
            "order_id": state.id if state is not None else None,
            "waybill": e.waybill[:64],
            "blob": e.blob,
            "kind": e.kind[:16],
            "created_at": pending.now,
        }
    )


def _raise(world: DbWorld, pending: Pending, info: OpInfo, f: Flag) -> None:
    state = world.order_state(f.order) if f.order else None
    evidence = {
        "op": str(info.op_id),
        "device": info.device,
        "seq": info.seq,
        "order": f.order,
        "wh": f.wh,
        "bin": f.bin,
        "sku": f.sku,
        "reason": f.reason,
    }
    pending.exceptions.append(
        exception_row(
            f.kind,
            f.message,
            now=pending.now,
            order_id=state.id if state is not None else None,
            sku_id=world.skus.get(f.sku) if f.sku else None,
            warehouse_id=world.warehouses.get(f.wh) if f.wh else None,
            details={k: v for k, v in evidence.items() if v},
        )
    )
