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
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from server.db.base import new_id, utcnow
from server.db.bulk import in_values, insert_rows, update_rows, uuid_order
from server.exceptions.models import ExceptionRecord
from server.inventory.ledger import Key as StockKey
from server.inventory.ledger import Movement, add_reserved, post_movements
from server.inventory.models import Bin, Reservation
from server.orders.lifecycle import TRANSITIONS
from server.orders.models import Order, OrderStatusChange
from server.sync_api.changelog import Changes
from server.sync_api.models import (
    BinCount,
    CashBalance,
    CashLedgerEntry,
    DeliveryAttempt,
    ProofLink,
    SyncOp,
    SyncRefused,
)
from server.sync_api.projector import order_entities, orders_on_runs
from server.sync_api.scopes import EXCEPTIONS, TASK_STATUSES, bin_key, cash_scope, exception_value, wh_scope
from server.sync_api.sql import upsert_rows
from server.sync_api.world import DbWorld, Key
from sync import (
    BinCounted,
    CashEntry,
    Decision,
    DeliveryRecord,
    Flag,
    Note,
    OpStatus,
    OrderEvent,
    StockDelta,
)
from sync import ProofLink as ProofEffect

MESSAGE = 500
# Statuses an order may be walked through when a fact reports a later one.
_FACT_STEPS = frozenset({"picking", "packed", "shipped", "return_to_sender"})


def status_path(current: str, target: str) -> list[str]:
    """The statuses to move through from current to target (empty: no way, or already there)."""
    if target == current:
        return []
    if target in TRANSITIONS.get(current, frozenset()):
        return [target]
    seen = {current}
    queue: deque[list[str]] = deque([[current]])
    while queue:
        path = queue.popleft()
        for nxt in sorted(TRANSITIONS.get(path[-1], frozenset())):
            if nxt == target:
                return [*path[1:], nxt]
            if nxt in _FACT_STEPS and nxt not in seen:
                seen.add(nxt)
                queue.append([*path, nxt])
    return []


class OpInfo(NamedTuple):
    op_id: uuid.UUID
    device: str  # the device id as the op states it
    device_id: uuid.UUID
    seq: int
    actor: str  # the username: who holds cash
    by: str  # how histories name the actor ("user:<username>")


@dataclass
class Pending:
    # One timestamp for every row of the transaction: they were all written at once.
    now: datetime = field(default_factory=utcnow)
    journal: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    refused: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    movements: list[Movement] = field(default_factory=list[Movement])
    counts: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = field(
        default_factory=dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]]
    )
    cash_entries: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    deliveries: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    proofs: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    exceptions: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    order_status: dict[uuid.UUID, str] = field(default_factory=dict[uuid.UUID, str])
    history: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    shipped: set[uuid.UUID] = field(default_factory=set[uuid.UUID])
    # What the change log must hear about once the rows are written.
    bins: set[Key] = field(default_factory=set[Key])
    holders: set[str] = field(default_factory=set[str])
    orders: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict[uuid.UUID, tuple[str, str]])
    raised: Changes = field(default_factory=dict[tuple[str, str, str], Any])
    count_warehouses: set[uuid.UUID] = field(default_factory=set[uuid.UUID])  # counts taken here

    def touched_from(self, other: Pending) -> None:
        self.bins |= other.bins
        self.holders |= other.holders
        for oid, (was, now) in other.orders.items():
            self.orders[oid] = (self.orders.get(oid, (was, now))[0], now)
        self.raised.update(other.raised)
        self.count_warehouses |= other.count_warehouses

    def flush(self, conn: Connection, world: DbWorld) -> None:
        """Write everything queued, parents before children. Leaves only the touched sets."""
        now = self.now
        insert_rows(conn, Bin, world.created_bins)
        world.created_bins = []
        post_movements(conn, self.movements, now=now)
        upsert_rows(
            conn,
            BinCount,
            ("bin_id", "sku_id"),
            list(self.counts.values()),
            update=("counted_at", "counted", "op_id", "updated_at"),
        )
        insert_rows(conn, CashLedgerEntry, self.cash_entries)
        if self.cash_entries:
            # Absolute values from the world: exact, because the rows are locked (PostgreSQL) or the
            # whole database is (SQLite) from the moment they were read.
            holders = sorted({e["holder"] for e in self.cash_entries})
            upsert_rows(
                conn,
                CashBalance,
                ("holder",),
                [{"holder": h, "amount": world.cash(h), "updated_at": now} for h in holders],
                update=("amount", "updated_at"),
            )
        self._write_orders(conn, now)
        insert_rows(conn, DeliveryAttempt, self.deliveries)
        insert_rows(conn, ProofLink, self.proofs)
        insert_rows(conn, ExceptionRecord, self.exceptions)
        insert_rows(conn, SyncOp, self.journal)
        insert_rows(conn, SyncRefused, self.refused)
        for rows in (
            self.journal,
            self.refused,
            self.movements,
            self.cash_entries,
            self.deliveries,
            self.proofs,
            self.exceptions,
            self.history,
        ):
            rows.clear()
        self.counts.clear()
        self.order_status.clear()
        self.shipped.clear()

    def _write_orders(self, conn: Connection, now: datetime) -> None:
        update_rows(
            conn,
            Order,
            ("id",),
            [
                {"id": oid, "status": s, "updated_at": now}
                for oid, s in sorted(self.order_status.items(), key=lambda i: i[0].int)
            ],
        )
        insert_rows(conn, OrderStatusChange, self.history)
        if not self.shipped:
            return
        # The parcel left: its reservations close as shipped. The stock itself left through the
        # handover op's own movements (from staging), so no movement is posted here.
        ids = sorted(self.shipped, key=uuid_order)
        rows = conn.execute(
            select(Reservation.sku_id, Reservation.warehouse_id, Reservation.qty).where(
                in_values(conn, Reservation.order_id, ids), Reservation.status == "active"
            )
        ).all()
        freed: dict[StockKey, int] = {}
        for sku_id, wh_id, qty in rows:
            freed[(sku_id, wh_id)] = freed.get((sku_id, wh_id), 0) - int(qty)
        conn.execute(
            update(Reservation)
            .where(in_values(conn, Reservation.order_id, ids), Reservation.status == "active")
            .values(status="shipped", closed_at=now)
        )
        add_reserved(conn, freed, now=now)

    def changes(self, conn: Connection, world: DbWorld) -> Changes:
        """The new value of every entity this transaction touched (after flush)."""
        out: Changes = dict(self.raised)
        for key in self.bins:
            wh, bin, sku = key
            out[(wh_scope(wh), "bin", bin_key(bin, sku))] = world.qty(key) or None
        for holder in self.holders:
            out[(cash_scope(holder), "cash", holder)] = world.cash(holder) or None
        # Only orders that are or were a warehouse task, or are on an open run, feed an entity.
        moved = {oid for oid, statuses in self.orders.items() if TASK_STATUSES.intersection(statuses)}
        out.update(order_entities(conn, moved | orders_on_runs(conn, self.orders)))
        return out


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
    for effect in decision.effects:
        match effect:
            case StockDelta() | BinCounted():
                problem = _stock(world, pending, info, effect)
                if problem is not None and problem.kind not in {f.kind for f in extra}:
                    extra.append(problem)
            case CashEntry():
                _cash(world, pending, info, effect)
            case OrderEvent():
                _order_event(world, pending, info, effect)
            case DeliveryRecord():
                _delivery(world, pending, info, effect)
            case ProofEffect():
                _proof(world, pending, info, effect)
            case Flag():
                pass
    for flag in (*flags, *extra):
        _raise(world, pending, info, flag)
    notes = [Note(f.kind, f.message[:MESSAGE]) for f in (*flags, *extra)]
    return ("flagged" if notes else "applied"), notes


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


def _cash(world: DbWorld, pending: Pending, info: OpInfo, e: CashEntry) -> None:
    pending.cash_entries.append(
        {
            "holder": e.holder[:64],
            "amount": e.amount,
            "kind": e.kind,
            "order_ref": e.order[:64],
            "ref": e.ref[:64],
            "op_id": info.op_id,
            "created_at": pending.now,
        }
    )
    world.cash_moved(e.holder[:64], e.amount)
    pending.holders.add(e.holder[:64])


def _order_event(world: DbWorld, pending: Pending, info: OpInfo, e: OrderEvent) -> None:
    state = world.order_state(e.order)
    if state is None:
        return
    now = pending.now
    reason = (e.reason or f"sync op {info.op_id}")[:255]
    path = status_path(state.status, e.status)
    if path:
        pending.orders[state.id] = (pending.orders.get(state.id, (state.status, ""))[0], path[-1])
    for step in path:
        pending.history.append(
            {
                "order_id": state.id,
                "from_status": state.status,
                "to_status": step,
                "actor": info.by[:64],
                "reason": reason if step == e.status else f"implied by sync op {info.op_id}"[:255],
                "at": now,
            }
        )
        if step == "shipped":
            pending.shipped.add(state.id)
        state.status = step
        pending.order_status[state.id] = step


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
            "note": "",
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
    sku_id = world.skus.get(f.sku) if f.sku else None
    details = {
        k: v
        for k, v in {
            "op": str(info.op_id),
            "device": info.device,
            "seq": info.seq,
            "order": f.order,
            "wh": f.wh,
            "bin": f.bin,
            "sku": f.sku,
        }.items()
        if v
    }
    exception_id = new_id()
    message = f.message[:MESSAGE]
    pending.exceptions.append(
        {
            "id": exception_id,
            "kind": f.kind[:48],
            "status": "open",
            "message": message,
            "order_id": state.id if state is not None else None,
            "sku_id": sku_id,
            "warehouse_id": world.warehouses.get(f.wh) if f.wh else None,
            "details": details,
            "created_at": pending.now,
            "resolved_at": None,
            "resolved_by": None,
            "resolution": None,
            "logged_at": pending.now,  # logged with this push (pending.raised): not the projector's
        }
    )
    pending.raised[(EXCEPTIONS, "exception", str(exception_id))] = exception_value(f.kind, message, f.order)
