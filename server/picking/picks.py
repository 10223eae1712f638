"""Recorded picks, and what follows a short pick.

`record_picks` is the one writer of pick records (a phone's `stock.picked` / `stock.short_picked`,
or the same fact entered at the console: both are judged by sync/_rules.py and written through
server/sync_api/effects.py). The stock itself moves through the stock ledger, the order's status
through the order transitions; a pick record says which order the units went to and what did not
match (a wrong item, too many, a wrong bin).

A short pick is never left alone (`follow_short_picks`, run in the same transaction):
1. another bin of the same warehouse has the missing units: the order's pick list is re-planned
   to take them from there (walking order), and the phones get the wave's new value;
2. none has: the order is offered to the other warehouses; it moves to one that has the stock
   (`short_pick_reallocated`: units already picked here go back to a bin), or stays where it is
   with `short_pick_unfilled`: the bin must be counted (a count that finds less puts the order on
   hold, server/orders/reallocation.py) or the units found.
The `short_pick` exception itself (the bin needs a count) is raised by the rule, always.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from server.catalog.models import Sku
from server.db.bulk import insert_rows
from server.db.touched import restore, snapshot
from server.exceptions.raising import exception_row, raise_exceptions
from server.inventory.models import Bin, BinBalance, Warehouse
from server.orders.models import Order
from server.orders.reallocation import reallocate
from server.orders.transitions import Transitions, lock_order
from server.picking.models import PickLine, PickRecord, WaveOrder
from server.picking.walk import walk_key
from server.picking.waves import note_wave
from sync import STAGING


def record_picks(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    insert_rows(conn, PickRecord, rows)


def pick_row(
    *,
    order_ref: str,
    order_id: uuid.UUID | None,
    warehouse_id: uuid.UUID | None,
    sku: str,
    bin: str,
    qty: int,
    wanted: int,
    problem: str,
    op_id: uuid.UUID | None,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "order_ref": order_ref[:64],
        "warehouse_id": warehouse_id,
        "sku": sku[:64],
        "bin": bin[:32],
        "qty": qty,
        "wanted": wanted or None,
        "problem": problem,
        "op_id": op_id,
        "actor": actor[:64],
        "created_at": now,
    }


@dataclass(frozen=True)
class Short:
    """A short pick to follow up: `missing` units of a SKU the bin did not have for the order."""

    order_id: uuid.UUID
    warehouse_id: uuid.UUID
    sku: str
    bin: str
    missing: int
    actor: str


def follow_short_picks(conn: Connection, shorts: Sequence[Short], now: datetime) -> None:
    for short in shorts:
        if short.missing > 0:
            _follow(conn, short, now)


def _other_bins(conn: Connection, s: Short, sku_id: uuid.UUID) -> list[tuple[uuid.UUID, str, int]]:
    rows = conn.execute(
        select(Bin.id, Bin.code, BinBalance.qty)
        .join(BinBalance, BinBalance.bin_id == Bin.id)
        .where(
            Bin.warehouse_id == s.warehouse_id,
            Bin.active.is_(True),
            Bin.code.not_in([STAGING, s.bin]),
            BinBalance.sku_id == sku_id,
            BinBalance.qty > 0,
        )
    ).all()
    return sorted(((r[0], r[1], int(r[2])) for r in rows), key=lambda r: walk_key(r[1]))


def _follow(conn: Connection, s: Short, now: datetime) -> None:
    sku_id = conn.execute(select(Sku.id).where(Sku.code == s.sku)).scalar()
    wave_id = conn.execute(select(WaveOrder.wave_id).where(WaveOrder.order_id == s.order_id)).scalar()
    if sku_id is None:
        return  # the rule already raised unknown_sku; nothing to re-plan
    others = _other_bins(conn, s, sku_id)
    if sum(q for _, _, q in others) >= s.missing:
        if wave_id is not None:
            _replan(conn, wave_id, s, sku_id, others)
        return
    _hold_and_reallocate(conn, s, wave_id, now)


def _replan(
    conn: Connection,
    wave_id: uuid.UUID,
    s: Short,
    sku_id: uuid.UUID,
    others: list[tuple[uuid.UUID, str, int]],
) -> None:
    """The order's lines for this SKU at the short bin become lines at the next bins along the walk;
    the wave's lines are numbered along the walk again."""
    lines = conn.execute(
        select(
            PickLine.id, PickLine.order_id, PickLine.sku_id, PickLine.bin_id, PickLine.qty, Bin.code, Sku.code
        )
        .join(Sku, Sku.id == PickLine.sku_id)
        .outerjoin(Bin, Bin.id == PickLine.bin_id)
        .where(PickLine.wave_id == wave_id)
    ).all()
    kept: list[dict[str, Any]] = []
    for _, oid, sid, bid, qty, bin_code, sku_code in lines:
        if oid == s.order_id and sid == sku_id and (bin_code or "") in (s.bin, ""):
            continue  # what the short bin (or no bin) was to give: planned again below
        kept.append(
            {
                "order_id": oid,
                "sku_id": sid,
                "bin_id": bid,
                "qty": int(qty),
                "_bin": bin_code or "",
                "_sku": sku_code,
            }
        )
    left = s.missing
    for bin_id, code, qty in others:
        if left == 0:
            break
        take = min(left, qty)
        left -= take
        kept.append(
            {
                "order_id": s.order_id,
                "sku_id": sku_id,
                "bin_id": bin_id,
                "qty": take,
                "_bin": code,
                "_sku": s.sku,
            }
        )
    kept.sort(key=lambda r: (walk_key(r["_bin"]), r["_sku"], r["order_id"].int))
    conn.execute(delete(PickLine).where(PickLine.wave_id == wave_id))
    insert_rows(
        conn,
        PickLine,
        [
            {k: v for k, v in row.items() if not k.startswith("_")} | {"wave_id": wave_id, "seq": n}
            for n, row in enumerate(kept)
        ],
    )
    note_wave(conn, wave_id)


def _hold_and_reallocate(conn: Connection, s: Short, wave_id: uuid.UUID | None, now: datetime) -> None:
    """Offer the order to the other warehouses: it gives its units here back (on hold) and is
    allocated where the stock is. When no other warehouse has it, that is undone (a savepoint): a
    held order would be re-allocated here at once, because the ledger still counts the units the
    bin did not have until someone counts it; the order stays, and a person is told."""
    status = lock_order(conn, s.order_id)
    if status not in ("allocated", "picking"):
        return  # packed, cancelled or already held: nothing to give back
    wh_code = conn.execute(select(Warehouse.code).where(Warehouse.id == s.warehouse_id)).scalar() or ""
    external = conn.execute(select(Order.external_id).where(Order.id == s.order_id)).scalar() or ""
    why = f"short pick: no bin in {wh_code} has {s.missing} more of {s.sku}"
    put_back = "; put back what was already picked for it" if status == "picking" else ""
    savepoint = conn.begin_nested()
    noted = snapshot(conn)
    moves = Transitions(s.actor, now=now)
    if status == "picking":
        moves.move(s.order_id, "picking", "allocated", reason=why)
    moves.move(s.order_id, "allocated", "on_hold", reason=why)
    moves.flush(conn)
    moved = reallocate(conn, [s.order_id], s.actor, exclude={s.warehouse_id})
    if moved:
        savepoint.commit()
        if wave_id is not None:
            conn.execute(delete(PickLine).where(PickLine.order_id == s.order_id))
            conn.execute(delete(WaveOrder).where(WaveOrder.order_id == s.order_id))
            note_wave(conn, wave_id)
        row = exception_row(
            "short_pick_reallocated",
            f"Order {external}: {why}; it now ships from {moved[0].warehouse}{put_back}",
            now=now,
            order_id=s.order_id,
            warehouse_id=s.warehouse_id,
            details={"sku": s.sku, "bin": s.bin, "missing": s.missing, "to": moved[0].warehouse},
        )
    else:
        savepoint.rollback()
        restore(conn, noted)
        row = exception_row(
            "short_pick_unfilled",
            f"Order {external}: {why} and no other warehouse has it: count bin {s.bin} (a count that "
            f"finds less puts the order on hold until stock arrives) or find the units",
            now=now,
            order_id=s.order_id,
            warehouse_id=s.warehouse_id,
            details={"sku": s.sku, "bin": s.bin, "missing": s.missing},
        )
    raise_exceptions(conn, [row])
