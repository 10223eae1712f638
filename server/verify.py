"""`bodega verify`: recompute every balance from its ledger, and check what must always hold.

on hand must equal the sum of the movements; reserved must equal the active reservations; and
only orders that still hold stock may have active reservations. The invariants: on hand is never
below zero unless a phone's fact explains it (a physical fact is recorded even when the books
disagree), reserved never exceeds on hand, and every order that holds stock holds all of it.
Bin balances, rider cash and the sync change log are checked against theirs
(server/sync_api/verify.py). `--repair` rewrites the cached balances
from the ledger (the ledger itself is never touched) and writes an audit entry saying so.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from server.audit.models import AuditEntry
from server.catalog.models import Sku
from server.db.base import utcnow
from server.inventory.models import Bin, Reservation, StockBalance, StockMovement, Warehouse
from server.orders.allocator import needs_of
from server.orders.lifecycle import HOLDS_STOCK
from server.orders.models import Order
from server.orders.repository import load_allocation_inputs
from server.sync_api.verify import check_sync
from sync import QUARANTINE

Key = tuple[uuid.UUID, uuid.UUID]


@dataclass(frozen=True)
class Drift:
    sku: str
    warehouse: str
    field: str
    cached: int
    ledger: int

    def __str__(self) -> str:
        where = f"{self.sku} @ {self.warehouse}"
        return f"{where}: {self.field} is {self.cached} in balances but {self.ledger} by the ledger"


@dataclass
class VerifyReport:
    drift: list[Drift]
    orphan_reservations: list[str]  # active reservations of orders that no longer hold stock
    balances_checked: int
    # Bin balances, rider cash and the sync change log against their ledgers (server/sync_api/verify.py).
    sync: list[str] = field(default_factory=list[str])
    broken: list[str] = field(default_factory=list[str])  # invariants that do not hold

    @property
    def ok(self) -> bool:
        return not self.drift and not self.orphan_reservations and not self.sync and not self.broken


def verify(conn: Connection) -> VerifyReport:
    on_hand = {
        (r[0], r[1]): int(r[2])
        for r in (
            conn.execute(
                select(
                    StockMovement.sku_id, StockMovement.warehouse_id, func.sum(StockMovement.qty)
                ).group_by(StockMovement.sku_id, StockMovement.warehouse_id)
            )
        ).all()
    }
    reserved = {
        (r[0], r[1]): int(r[2])
        for r in (
            conn.execute(
                select(Reservation.sku_id, Reservation.warehouse_id, func.sum(Reservation.qty))
                .where(Reservation.status == "active")
                .group_by(Reservation.sku_id, Reservation.warehouse_id)
            )
        ).all()
    }
    # Units in quarantine bins (damaged returns): on hand, never sellable; cached as `quarantined`.
    quarantined = {
        (r[0], r[1]): int(r[2])
        for r in conn.execute(
            select(StockMovement.sku_id, StockMovement.warehouse_id, func.sum(StockMovement.qty))
            .join(Bin, Bin.id == StockMovement.bin_id)
            .where(Bin.code == QUARANTINE)
            .group_by(StockMovement.sku_id, StockMovement.warehouse_id)
        ).all()
    }
    cached_quarantined = dict(
        ((r[0], r[1]), int(r[2]))
        for r in conn.execute(
            select(StockBalance.sku_id, StockBalance.warehouse_id, StockBalance.quarantined).where(
                StockBalance.quarantined != 0
            )
        ).all()
    )
    cached = {
        (r[0], r[1]): (int(r[2]), int(r[3]))
        for r in (
            conn.execute(
                select(
                    StockBalance.sku_id,
                    StockBalance.warehouse_id,
                    StockBalance.on_hand,
                    StockBalance.reserved,
                )
            )
        ).all()
    }
    sku_codes = dict((conn.execute(select(Sku.id, Sku.code))).all())
    wh_codes = dict((conn.execute(select(Warehouse.id, Warehouse.code))).all())
    drift: list[Drift] = []
    for key in sorted(set(on_hand) | set(reserved) | set(cached)):
        c_on, c_res = cached.get(key, (0, 0))
        names = (sku_codes.get(key[0], str(key[0])), wh_codes.get(key[1], str(key[1])))
        if c_on != on_hand.get(key, 0):
            drift.append(Drift(*names, "on_hand", c_on, on_hand.get(key, 0)))
        if c_res != reserved.get(key, 0):
            drift.append(Drift(*names, "reserved", c_res, reserved.get(key, 0)))
        if cached_quarantined.get(key, 0) != quarantined.get(key, 0):
            drift.append(
                Drift(*names, "quarantined", cached_quarantined.get(key, 0), quarantined.get(key, 0))
            )
    orphans = (
        conn.execute(
            select(Order.external_id, Order.status)
            .join(Reservation, Reservation.order_id == Order.id)
            .where(Reservation.status == "active", Order.status.not_in(HOLDS_STOCK))
            .distinct()
        )
    ).all()
    return VerifyReport(
        drift,
        [f"order {ext} is {status} but still holds stock" for ext, status in orphans],
        len(cached),
        check_sync(conn),
        _stock_invariants(conn, cached, sku_codes, wh_codes) + _orders_hold_all(conn),
    )


def _stock_invariants(
    conn: Connection,
    cached: dict[Key, tuple[int, int]],
    sku_codes: dict[uuid.UUID, str],
    wh_codes: dict[uuid.UUID, str],
) -> list[str]:
    explained = {
        (r[0], r[1])
        for r in conn.execute(
            select(StockMovement.sku_id, StockMovement.warehouse_id)
            .where(StockMovement.ref_type == "op")
            .distinct()
        ).all()
    }
    broken: list[str] = []
    for key, (on_hand, reserved) in sorted(cached.items()):
        where = f"{sku_codes.get(key[0], key[0])} @ {wh_codes.get(key[1], key[1])}"
        if on_hand < 0 and key not in explained:
            broken.append(f"{where}: on hand is {on_hand}, and no phone's fact explains it")
        if reserved > max(on_hand, 0):
            broken.append(f"{where}: {reserved} reserved but only {on_hand} on hand")
    return broken


def _orders_hold_all(conn: Connection) -> list[str]:
    """Every order that holds stock holds exactly the units its current lines need."""
    ids = list(conn.execute(select(Order.id).where(Order.status.in_(HOLDS_STOCK))).scalars())
    held: dict[uuid.UUID, int] = dict(
        conn.execute(
            select(Reservation.order_id, func.sum(Reservation.qty))
            .where(Reservation.status == "active")
            .group_by(Reservation.order_id)
        ).all()
    )
    broken: list[str] = []
    for start in range(0, len(ids), 500):
        for item in load_allocation_inputs(conn, ids[start : start + 500]):
            need = sum(needs_of(item.lines).values())
            has = int(held.get(item.order_id, 0))
            if has != need:
                broken.append(f"order {item.external_id} holds {has} units but its lines need {need}")
    return broken


def repair(conn: Connection, report: VerifyReport, actor: str) -> int:
    """Rewrite drifted balances from the ledger; returns how many balance rows changed."""
    if not report.drift:
        return 0
    sku_ids = {code: sid for sid, code in (conn.execute(select(Sku.id, Sku.code))).all()}
    wh_ids = {code: wid for wid, code in (conn.execute(select(Warehouse.id, Warehouse.code))).all()}
    fixes: dict[Key, dict[str, int]] = {}
    for d in report.drift:
        key = (sku_ids[d.sku], wh_ids[d.warehouse])
        fixes.setdefault(key, {})[d.field] = d.ledger
    now = utcnow()
    for (sku_id, wh_id), values in sorted(fixes.items()):
        result = conn.execute(
            update(StockBalance)
            .where(StockBalance.sku_id == sku_id, StockBalance.warehouse_id == wh_id)
            .values(**values, updated_at=now)
        )
        if result.rowcount == 0:
            conn.execute(
                insert(StockBalance).values(
                    sku_id=sku_id,
                    warehouse_id=wh_id,
                    on_hand=values.get("on_hand", 0),
                    reserved=values.get("reserved", 0),
                    safety_buffer=0,
                    updated_at=now,
                )
            )
    conn.execute(
        insert(AuditEntry).values(
            action="verify.repair",
            actor=actor,
            details={"fixed": [str(d) for d in report.drift]},
            at=now,
        )
    )
    return len(fixes)
