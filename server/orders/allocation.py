"""Choosing the warehouse for an order. Pure: decides from balances already locked by the caller.

Rules, in order: the shop's default warehouse; then warehouses that serve the customer's region;
then the rest by priority. The first warehouse that can fill the WHOLE order wins; an order is
never split or half-reserved. If none can, the order is held with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Key = tuple[uuid.UUID, uuid.UUID]  # (sku_id, warehouse_id)


@dataclass(frozen=True)
class WarehouseRule:
    id: uuid.UUID
    code: str
    priority: int
    serves_regions: frozenset[str]


@dataclass
class Availability:
    """Units free to reserve per (sku, warehouse), updated as the batch reserves."""

    free: dict[Key, int] = field(default_factory=dict)

    def get(self, sku_id: uuid.UUID, warehouse_id: uuid.UUID) -> int:
        return self.free.get((sku_id, warehouse_id), 0)

    def take(self, needs: Mapping[uuid.UUID, int], warehouse_id: uuid.UUID) -> None:
        for sku_id, qty in needs.items():
            self.free[(sku_id, warehouse_id)] = self.get(sku_id, warehouse_id) - qty

    def give_back(self, needs: Mapping[uuid.UUID, int], warehouse_id: uuid.UUID) -> None:
        for sku_id, qty in needs.items():
            self.free[(sku_id, warehouse_id)] = self.get(sku_id, warehouse_id) + qty


def candidate_order(
    warehouses: Sequence[WarehouseRule], region: str, default_warehouse_id: uuid.UUID | None
) -> list[WarehouseRule]:
    def rank(w: WarehouseRule) -> tuple[int, int, int, str]:
        return (
            0 if w.id == default_warehouse_id else 1,
            0 if region in w.serves_regions else 1,
            w.priority,
            w.code,
        )

    return sorted(warehouses, key=rank)


def choose_warehouse(
    needs: Mapping[uuid.UUID, int],
    candidates: Sequence[WarehouseRule],
    stock: Availability,
) -> WarehouseRule | None:
    for warehouse in candidates:
        if all(stock.get(sku_id, warehouse.id) >= qty for sku_id, qty in needs.items()):
            return warehouse
    return None


def hold_reason(
    needs: Mapping[uuid.UUID, int],
    candidates: Sequence[WarehouseRule],
    stock: Availability,
    sku_codes: Mapping[uuid.UUID, str],
) -> str:
    if not candidates:
        return "no active warehouse"
    short = []
    for sku_id, qty in sorted(needs.items(), key=lambda item: sku_codes.get(item[0], "")):
        best = max(stock.get(sku_id, w.id) for w in candidates)
        if best < qty:
            short.append(
                f"{sku_codes.get(sku_id, str(sku_id))} needs {qty}, best warehouse has {max(best, 0)}"
            )
    if not short:
        return "no single warehouse can fill the whole order"
    return "not enough stock: " + "; ".join(short)
