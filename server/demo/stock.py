"""Opening stock: what each warehouse holds when the demo starts, and where it sits."""

from __future__ import annotations

import random
from collections.abc import Sequence

from server.demo.records import DemoBin, DemoSku, DemoStock, DemoWarehouse

# Zone A holds small items on shelves; anything heavier goes to zone B's pallet racks.
BULKY_GRAMS = 500
SOLD_OUT = 0.02  # share of SKUs with no stock anywhere: their orders go on hold
LOW = 0.05  # share with a handful of units, which the first few orders use up
SECONDARY_RANGE = 0.7  # share of SKUs the smaller hub bothers to carry


def opening_stock(
    skus: Sequence[DemoSku], warehouses: Sequence[DemoWarehouse], rng: random.Random
) -> tuple[DemoStock, ...]:
    main = min(warehouses, key=lambda w: w.priority)
    # Bundles are assembled at packing from their components and never stocked themselves.
    goods = [s for s in skus if not s.is_bundle]
    slots = {w.code: slotting(goods, w.bins) for w in warehouses}
    rows: list[DemoStock] = []
    for sku in goods:
        roll = rng.random()
        if roll < SOLD_OUT:
            continue
        low = roll < SOLD_OUT + LOW
        for warehouse in warehouses:
            if warehouse is main:
                qty = rng.randint(0, 3) if low else rng.randint(20, 150)
            elif rng.random() < SECONDARY_RANGE:
                qty = rng.randint(0, 2) if low else rng.randint(10, 80)
            else:
                qty = 0
            if qty:
                rows.append(
                    DemoStock(
                        sku=sku.code,
                        warehouse=warehouse.code,
                        bin=slots[warehouse.code][sku.code],
                        on_hand=qty,
                    )
                )
    return tuple(rows)


def slotting(goods: Sequence[DemoSku], bins: Sequence[DemoBin]) -> dict[str, str]:
    """SKU code -> bin code. Small items share zone A's shelves, bulky ones zone B's racks, each
    in catalogue order so a product's variants sit in neighbouring bins."""
    shelves = [b.code for b in bins if b.zone == "A"] or [b.code for b in bins]
    racks = [b.code for b in bins if b.zone != "A"] or shelves
    placed: dict[str, str] = {}
    for group, where in (
        ([s for s in goods if s.weight_grams < BULKY_GRAMS], shelves),
        ([s for s in goods if s.weight_grams >= BULKY_GRAMS], racks),
    ):
        for index, sku in enumerate(group):
            placed[sku.code] = where[index * len(where) // max(len(group), 1)]
    return placed
