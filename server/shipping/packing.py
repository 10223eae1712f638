"""Packing verification: the one writer of a parcel, whichever path packs it (the console's REST
call or a phone's `parcel.packed` op).

Only a complete, correct order is closed as packed: every unit the order holds (its active
reservations, bundles as their components: what was picked) must be scanned, and nothing else.
The packed order gets its waybill (the courier's sequence, or Bodega's own for our riders), its
courier (the packer's choice, else the one its wave was built for, else its shop's), its
weight and box count are kept, and the order moves to packed through the order transitions.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from server.catalog.models import Sku
from server.changes.scopes import order_ref, wh_scope
from server.db.base import new_id
from server.db.touched import touched
from server.errors import FieldError
from server.inventory.models import Reservation, Warehouse
from server.orders.models import Order
from server.orders.transitions import Transitions
from server.picking.waves import couriers_of
from server.shipping.models import Parcel
from server.shipping.refusals import AlreadyPacked, NotReadyToPack, OrderCancelled, PackMismatch
from server.shipping.waybills import OWN, next_waybill

PACKABLE = frozenset({"allocated", "picking"})


@dataclass(frozen=True)
class PackDetails:
    """What the packer did: the items scanned (SKU code -> units), the scale, the boxes, the carrier."""

    scanned: dict[str, int]
    weight_grams: int = 0
    parcel_count: int = 1
    courier: str | None = None  # None: the order's wave's or shop's courier (couriers_of); OWN: our riders
    waybill: str = ""  # scanned off a pre-printed courier label; "" = issue one
    # False only for a phone app older than packing verification (its op carries no items)
    check: bool = True


@dataclass(frozen=True)
class Packed:
    order_id: uuid.UUID
    waybill: str
    warehouse: str


def expected_items(conn: Connection, order_id: uuid.UUID) -> dict[str, int]:
    """The units the order holds, by SKU code: what must be in its parcel."""
    rows = conn.execute(
        select(Sku.code, Reservation.qty)
        .join(Sku, Sku.id == Reservation.sku_id)
        .where(Reservation.order_id == order_id, Reservation.status == "active")
    ).all()
    want: dict[str, int] = defaultdict(int)
    for code, qty in rows:
        want[code] += int(qty)
    return dict(want)


def differences(expected: dict[str, int], scanned: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """(missing, extra) units by SKU code."""
    missing = {s: q - scanned.get(s, 0) for s, q in expected.items() if scanned.get(s, 0) < q}
    extra = {s: q - expected.get(s, 0) for s, q in scanned.items() if q > expected.get(s, 0)}
    return missing, extra


def summed(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for sku, qty in lines:
        out[sku] += qty
    return dict(out)


def pack(
    conn: Connection,
    moves: Transitions,
    order_id: uuid.UUID,
    current: str,
    details: PackDetails,
    *,
    actor: str,
    now: datetime,
) -> Packed:
    """Check the parcel against the order and record it; queue the order's move to packed on
    `moves` (the caller flushes it). `current` is the order's status as the caller holds it
    (locked). Raises a ShippingRefused with the reason; nothing is written then."""
    row = conn.execute(
        select(Order.warehouse_id, Warehouse.code)
        .outerjoin(Warehouse, Warehouse.id == Order.warehouse_id)
        .where(Order.id == order_id)
    ).one()
    warehouse_id, wh_code = row
    if current == "cancelled":
        raise OrderCancelled(
            f"order {order_id} was cancelled; put its items back instead of packing them",
            [FieldError("order", "cancelled")],
        )
    existing = conn.execute(select(Parcel.waybill).where(Parcel.order_id == order_id)).scalar()
    if existing is not None or current == "packed":
        raise AlreadyPacked(
            f"order {order_id} is already packed" + (f" with waybill {existing}" if existing else ""),
            [FieldError("order", f"already packed ({existing or current})")],
        )
    if current not in PACKABLE or warehouse_id is None:
        raise NotReadyToPack(
            f"an order that is {current} cannot be packed; only allocated or picking orders can",
            [FieldError("order", current)],
        )
    missing, extra = differences(expected_items(conn, order_id), details.scanned)
    if details.check and (missing or extra):
        errors = [FieldError("lines", f"missing {q} x {s}") for s, q in sorted(missing.items())]
        errors += [
            FieldError("lines", f"extra {q} x {s}: not in this order") for s, q in sorted(extra.items())
        ]
        said = "; ".join(e.message for e in errors)
        raise PackMismatch(f"order {order_id} is not complete and correct: {said}", errors)
    courier = details.courier
    if courier is None:  # the packer did not choose: the courier the wave was built for
        courier = couriers_of(conn, [order_id]).get(order_id, OWN)
    waybill = details.waybill or next_waybill(conn, courier)
    if conn.execute(select(Parcel.id).where(Parcel.waybill == waybill)).first() is not None:
        raise AlreadyPacked(
            f"waybill {waybill} is already on another parcel", [FieldError("waybill", "already used")]
        )
    lines = [[s, q] for s, q in sorted(details.scanned.items())]
    conn.execute(
        insert(Parcel).values(
            id=new_id(),
            order_id=order_id,
            warehouse_id=warehouse_id,
            waybill=waybill,
            courier=courier,
            weight_grams=details.weight_grams,
            parcel_count=details.parcel_count,
            lines=lines,
            packed_by=actor[:64],
            packed_at=now,
        )
    )
    moves.walk(
        order_id,
        current,
        "packed",
        reason=f"packed and checked, waybill {waybill}",
        implied=f"implied by packing, waybill {waybill}",
        actor=actor,
        at=now,
    )
    touched(conn).changes[parcel_entity(wh_code, order_id)] = parcel_value(waybill, courier, "packed")
    return Packed(order_id, waybill, wh_code)


def parcel_entity(wh_code: str, order_id: uuid.UUID) -> tuple[str, str, str]:
    return (wh_scope(wh_code), "parcel", order_ref(order_id))


def parcel_value(waybill: str, courier: str, status: str, batch: str = "") -> dict[str, Any]:
    """What the warehouse phones know of a parcel (for handover and the label)."""
    value: dict[str, Any] = {"waybill": waybill, "courier": courier, "status": status}
    if batch:
        value["batch"] = batch
    return value
