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
from sqlalchemy.engine import Connection

from server.changes.scopes import bin_key, wh_scope
from server.cod.cash import cash_entry, post_cash
from server.cod.deliveries import link_proofs, record_attempts
from server.db.base import utcnow
from server.db.bulk import insert_rows
from server.db.touched import touched
from server.exceptions.raising import exception_row, raise_exceptions
from server.inventory.counts import record_counts
from server.inventory.ledger import Movement, post_movements
from server.inventory.models import Bin
from server.orders.transitions import Transitions
from server.sync_api.models import SyncOp, SyncRefused
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
        record_attempts(conn, self.deliveries)
        link_proofs(conn, self.proofs)
        raise_exceptions(conn, self.exceptions)
        insert_rows(conn, SyncOp, self.journal)
        insert_rows(conn, SyncRefused, self.refused)
        # The phones hear of every bin this push moved, with the value the world holds now.
        note = touched(conn)
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
        ):
            rows.clear()
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
    evidence = {
        "op": str(info.op_id),
        "device": info.device,
        "seq": info.seq,
        "order": f.order,
        "wh": f.wh,
        "bin": f.bin,
        "sku": f.sku,
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
