"""Posting to the stock ledger: movement rows and the balances they move, in one transaction.

Callers pass a connection already inside a write transaction. Balance rows are always touched
in (sku_id, warehouse_id) order so two transactions never wait on each other's rows in a cycle
(no deadlocks on PostgreSQL when several server processes post at once).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Uuid, and_, any_, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from server.clock import server_event_key
from server.db.base import utcnow
from server.db.bulk import (
    in_values,
    insert_rows,
    to_uuid,
    update_rows,
    upsert_rows,
    uuid_list_param,
    uuid_order,
)
from server.db.touched import touched
from server.facts import note_fact
from server.inventory.models import BinBalance, BinCount, Reservation, StockBalance, StockMovement

Key = tuple[uuid.UUID, uuid.UUID]  # (sku_id, warehouse_id)


def _first(item: tuple[Key, int]) -> Any:
    return uuid_order(item[0])


@dataclass(frozen=True)
class Movement:
    sku_id: uuid.UUID
    warehouse_id: uuid.UUID
    kind: str
    qty: int  # signed change to on hand
    reason: str = ""
    ref_type: str = ""
    ref_id: str = ""
    actor: str = ""
    bin_id: uuid.UUID | None = None
    at: str = ""  # event key of a synced fact; "" takes the server's (see StockMovement.at)
    quarantine: bool = False  # in or out of the quarantine bin: the units are not sellable


@dataclass(frozen=True)
class BalanceRow:
    on_hand: int
    reserved: int
    safety_buffer: int
    quarantined: int = 0  # damaged units in the quarantine bin: on hand, never sellable

    @property
    def available(self) -> int:
        return self.on_hand - self.quarantined - self.reserved - self.safety_buffer


_SQLITE_BALANCES = (
    "SELECT sku_id, warehouse_id, on_hand, reserved, safety_buffer, quarantined FROM stock_balances "
    "WHERE sku_id IN (SELECT value FROM json_each(?))"
)


def lock_balances(conn: Connection, keys: Iterable[Key]) -> dict[Key, BalanceRow]:
    """Read (and on PostgreSQL lock, in key order) the balance rows for these keys' SKUs.

    On SQLite the whole transaction already holds the database's write lock (BEGIN IMMEDIATE).
    """
    sku_ids = sorted({k[0] for k in keys})
    if not sku_ids:
        return {}
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(_SQLITE_BALANCES, (uuid_list_param(conn, sku_ids),)).all()
        return {(to_uuid(r[0]), to_uuid(r[1])): BalanceRow(r[2], r[3], r[4], r[5]) for r in rows}
    stmt = (
        select(
            StockBalance.sku_id,
            StockBalance.warehouse_id,
            StockBalance.on_hand,
            StockBalance.reserved,
            StockBalance.safety_buffer,
            StockBalance.quarantined,
        )
        # One array parameter: the same statement text for any number of SKUs, prepared once.
        .where(StockBalance.sku_id == any_(bindparam("sku_ids", sku_ids, type_=ARRAY(Uuid))))
        .order_by(StockBalance.sku_id, StockBalance.warehouse_id)
        .with_for_update()
    )
    return {(r[0], r[1]): BalanceRow(r[2], r[3], r[4], r[5]) for r in conn.execute(stmt).all()}


def post_movements(conn: Connection, movements: Sequence[Movement], *, now: datetime | None = None) -> None:
    """Append movements and add their quantities to on hand.

    A movement that is not a synced fact (at the console, an order's shipment) gets the server's
    event key, so a phone's cycle count of the same bin can tell whether it came before or after."""
    if not movements:
        return
    now = now or utcnow()
    server_at = server_event_key() if any(not m.at for m in movements) else ""
    if server_at:
        movements = [*movements, *_absorbed_by_later_counts(conn, movements, server_at)]
    deltas: dict[Key, int] = defaultdict(int)
    quarantined: dict[Key, int] = defaultdict(int)
    for m in movements:
        deltas[(m.sku_id, m.warehouse_id)] += m.qty
        if m.quarantine:
            quarantined[(m.sku_id, m.warehouse_id)] += m.qty
    upsert_rows(
        conn,
        StockBalance,
        ("sku_id", "warehouse_id"),
        [
            {
                "sku_id": k[0],
                "warehouse_id": k[1],
                "on_hand": deltas[k],
                "reserved": 0,
                "safety_buffer": 0,
                "updated_at": now,
            }
            for k in sorted(deltas, key=uuid_order)
        ],
        update=("on_hand", "updated_at"),
        add=("on_hand",),
    )
    if any(quarantined.values()):
        # The balance rows exist now (just upserted, same lock order): only the counter moves.
        update_rows(
            conn,
            StockBalance,
            ("sku_id", "warehouse_id"),
            [
                {"sku_id": k[0], "warehouse_id": k[1], "quarantined": q}
                for k, q in sorted(quarantined.items(), key=_first)
                if q
            ],
            add=("quarantined",),
        )
    _post_bins(conn, movements, now)
    note = touched(conn)
    note.freed.update(k for k, d in deltas.items() if d > 0)
    note.fell.update(k for k, d in deltas.items() if d < 0)
    note.stock.update(k[0] for k, d in deltas.items() if d != 0)
    for m in movements:  # the ERP feed's facts (server/erp/outbox.py)
        by_order = m.ref_type == "order" and len(m.ref_id) == 36
        note_fact(
            conn,
            "stock.moved",
            f"order:{m.ref_id}" if by_order else f"stock:{m.sku_id}:{m.warehouse_id}",
            {
                "sku_id": str(m.sku_id),
                "warehouse_id": str(m.warehouse_id),
                "kind": m.kind,
                "qty": m.qty,
                "reason": m.reason,
                "ref_type": m.ref_type,
                "ref_id": m.ref_id,
                "actor": m.actor,
            },
            at=now,
        )
    insert_rows(
        conn,
        StockMovement,
        [
            {
                "sku_id": m.sku_id,
                "warehouse_id": m.warehouse_id,
                "bin_id": m.bin_id,
                "kind": m.kind,
                "qty": m.qty,
                "reason": m.reason,
                "ref_type": m.ref_type,
                "ref_id": m.ref_id,
                "actor": m.actor,
                "created_at": now,
                "at": m.at or server_at,
            }
            for m in movements
        ],
    )


def _absorbed_by_later_counts(
    conn: Connection, movements: Sequence[Movement], server_at: str
) -> list[Movement]:
    """The count rule (PROTOCOL.md R7) for the server's own movements at a bin: a bin holds its
    latest count plus every movement after it. A phone's count keyed after this movement (its clock
    a little ahead of ours) already saw the goods on the shelf, so the movement is offset by a count
    correction, exactly as a phone's movement arriving after a later count is. Without it the bin's
    end depends on whether the count or the console receipt reached the server first."""
    binned = {(b, m.sku_id) for m in movements if not m.at and (b := m.bin_id) is not None}
    if not binned:
        return []
    pairs = sorted(binned, key=lambda p: (p[0].int, p[1].int))
    later = {
        (r[0], r[1])
        for r in conn.execute(
            select(BinCount.bin_id, BinCount.sku_id).where(
                or_(*(and_(BinCount.bin_id == b, BinCount.sku_id == s) for b, s in pairs)),
                BinCount.counted_at > server_at,
            )
        ).all()
    }
    return [
        Movement(
            m.sku_id,
            m.warehouse_id,
            "count",
            -m.qty,
            reason="already in a later count",
            ref_type=m.ref_type,
            ref_id=m.ref_id,
            actor=m.actor,
            bin_id=m.bin_id,
            at=server_at,
        )
        for m in movements
        if not m.at and (m.bin_id, m.sku_id) in later
    ]


def _post_bins(conn: Connection, movements: Sequence[Movement], now: datetime) -> None:
    """Keep the per-bin balances of binned movements (after the warehouse rows: same lock order).

    Movements that are not synced facts also stamp `outside_sync_at`: the sync projector looks for
    those to tell the phones (synced ones are told by sync itself)."""
    for synced in (True, False):
        deltas: dict[tuple[uuid.UUID, uuid.UUID], int] = defaultdict(int)
        for m in movements:
            if m.bin_id is not None and (m.ref_type == "op") == synced:
                deltas[(m.bin_id, m.sku_id)] += m.qty
        if not deltas:
            continue
        rows = [
            {"bin_id": b, "sku_id": s, "qty": q, "updated_at": now}
            for (b, s), q in sorted(deltas.items(), key=_first)
        ]
        if not synced:
            rows = [r | {"outside_sync_at": now} for r in rows]
        upsert_rows(
            conn,
            BinBalance,
            ("bin_id", "sku_id"),
            rows,
            update=("qty", "updated_at") if synced else ("qty", "updated_at", "outside_sync_at"),
            add=("qty",),
        )


def add_reserved(
    conn: Connection, deltas: dict[Key, int], *, now: datetime | None = None, frees: bool = True
) -> None:
    """Move the reserved counters by these deltas, in key order.

    A key whose reserved count falls has more free stock, unless the units left with it (`frees`
    false: a shipment): held orders get another try at it when the transaction ends.
    Reservation rows are written beside this, in the same transaction; verify checks they agree.
    """
    at = now or utcnow()
    changes = [
        {"sku_id": k[0], "warehouse_id": k[1], "reserved": d, "updated_at": at}
        for k, d in sorted(deltas.items(), key=_first)
        if d != 0
    ]
    update_rows(conn, StockBalance, ("sku_id", "warehouse_id"), changes, add=("reserved",))
    note = touched(conn)
    note.stock.update(k[0] for k, d in deltas.items() if d != 0)
    if frees:
        note.freed.update(k for k, d in deltas.items() if d < 0)


def reserve(
    conn: Connection, rows: Sequence[dict[str, Any]], deltas: dict[Key, int], *, now: datetime
) -> None:
    """Write new reservation rows and move the counters by `deltas` (which may also carry the
    units given back by reservations closed in the same transaction)."""
    insert_rows(conn, Reservation, rows)
    add_reserved(conn, deltas, now=now)


def close_reservations(
    conn: Connection,
    order_ids: Collection[uuid.UUID],
    *,
    status: str,
    now: datetime | None = None,
    counters: bool = True,
) -> dict[Key, int]:
    """Close every active reservation of these orders: `released` gives the units back to sell,
    `shipped` says they left with the parcel (on hand falls by its own movements). Returns the
    units per (sku, warehouse). The one place reservations close. `counters` false: the caller
    moves the reserved counters itself, with its new reservations (ingestion's `reserve`)."""
    if not order_ids:
        return {}
    now = now or utcnow()
    ids = sorted(order_ids, key=uuid_order)
    rows = conn.execute(
        select(Reservation.sku_id, Reservation.warehouse_id, Reservation.qty).where(
            in_values(conn, Reservation.order_id, ids), Reservation.status == "active"
        )
    ).all()
    units: dict[Key, int] = defaultdict(int)
    for sku_id, warehouse_id, qty in rows:
        units[(sku_id, warehouse_id)] += int(qty)
    if units:
        conn.execute(
            update(Reservation)
            .where(in_values(conn, Reservation.order_id, ids), Reservation.status == "active")
            .values(status=status, closed_at=now)
        )
        if counters:
            add_reserved(conn, {k: -q for k, q in units.items()}, now=now, frees=status == "released")
    return dict(units)


def below_reserved(conn: Connection, keys: Iterable[Key]) -> dict[Key, int]:
    """Of these (sku, warehouse), the ones whose on hand is now below what orders hold: the units
    missing. Read under the transaction's locks (the rows were just written)."""
    balances = lock_balances(conn, keys)
    wanted = set(keys)
    return {
        k: b.reserved - max(b.on_hand - b.quarantined, 0)
        for k, b in balances.items()
        if k in wanted and b.on_hand - b.quarantined < b.reserved
    }
