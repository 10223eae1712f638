"""Reserving whole orders against balances locked for this transaction (the rules: allocation.py)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.db.base import new_id
from server.inventory.ledger import Key, lock_balances
from server.inventory.models import Warehouse
from server.orders.allocation import (
    Availability,
    WarehouseRule,
    candidate_order,
    choose_warehouse,
    hold_reason,
)
from server.orders.rows import Writes
from server.orders.validation import CatalogView, LineNeeds


class Allocator:
    """Reserves whole orders against balances locked for this transaction."""

    def __init__(self, warehouses: list[WarehouseRule], stock: Availability, view: CatalogView) -> None:
        self.warehouses = warehouses
        self.stock = stock
        self.view = view
        self.codes = {w.id: w.code for w in warehouses}

    def allocate(
        self,
        order_id: uuid.UUID,
        lines: list[LineNeeds],
        region: str,
        default_warehouse_id: uuid.UUID | None,
        writes: Writes,
        now: datetime,
    ) -> tuple[uuid.UUID | None, str | None]:
        needs = needs_of(lines)
        candidates = candidate_order(self.warehouses, region, default_warehouse_id)
        chosen = choose_warehouse(needs, candidates, self.stock)
        if chosen is None:
            return None, hold_reason(needs, candidates, self.stock, {k: self.view.code_of(k) for k in needs})
        self.stock.take(needs, chosen.id)
        for line in lines:
            for sku_id, qty in line.parts.items():
                writes.reservations[order_id].append(
                    {
                        "id": new_id(),
                        "order_id": order_id,
                        "order_line_id": line.id,
                        "sku_id": sku_id,
                        "warehouse_id": chosen.id,
                        "qty": qty,
                        "status": "active",
                        "created_at": now,
                    }
                )
                writes.reserved[(sku_id, chosen.id)] += qty
        return chosen.id, None


def needs_of(lines: list[LineNeeds]) -> dict[uuid.UUID, int]:
    total: dict[uuid.UUID, int] = defaultdict(int)
    for line in lines:
        for sku_id, qty in line.parts.items():
            total[sku_id] += qty
    return dict(total)


def load_warehouses(conn: Connection) -> list[WarehouseRule]:
    rows = (
        conn.execute(
            select(Warehouse.id, Warehouse.code, Warehouse.priority, Warehouse.serves_regions).where(
                Warehouse.active.is_(True)
            )
        )
    ).all()
    return [WarehouseRule(r[0], r[1], r[2], frozenset(r[3] or ())) for r in rows]


def availability(conn: Connection, keys: set[Key]) -> Availability:
    balances = lock_balances(conn, keys)
    return Availability({k: b.available for k, b in balances.items()})
