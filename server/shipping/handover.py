"""Handover: parcels scanned into a dispatch batch (one courier pickup, or one rider's run) leave
the warehouse; the batch's manifest is what the courier or rider signs.

One writer for both paths. At the console (REST) a scan is refused with a clear reason: a parcel
already in another batch, a parcel that is not packed, an order cancelled since it was packed. A
phone's `parcel.handed_over` fact is recorded whatever (the goods left), and the same reasons
raise exceptions instead (sync/PROTOCOL.md R6). Closing the batch checks the parcels it expected
(the carrier's packed parcels when it was opened): a missing one is refused unless the closer says
to leave it for the next pickup, which raises an exception so it is looked for.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from server.changes.scopes import wh_scope
from server.db.base import new_id
from server.db.touched import touched
from server.errors import FieldError, InvalidInput, NotFound
from server.exceptions.raising import exception_row, raise_exceptions
from server.inventory.models import Warehouse
from server.orders.models import Order
from server.orders.transitions import Transitions, lock_order
from server.shipping.models import DispatchBatch, Parcel
from server.shipping.packing import parcel_entity
from server.shipping.refusals import (
    BatchClosed,
    OrderCancelled,
    ParcelInAnotherBatch,
    ParcelNotPacked,
    ParcelsMissing,
)
from server.shipping.waybills import OWN


@dataclass(frozen=True)
class ScannedParcel:
    order_id: uuid.UUID
    waybill: str
    status: str  # the order's status before the scan
    again: bool  # already in this batch: the scan changes nothing


def batch_entity(wh_code: str, batch_id: uuid.UUID) -> tuple[str, str, str]:
    return (wh_scope(wh_code), "batch", str(batch_id))


def open_batch(
    conn: Connection, wh_code: str, kind: str, carrier: str, actor: str, now: datetime
) -> uuid.UUID:
    """A new pickup for a courier (kind courier, carrier = courier code) or a rider's run (kind
    rider, carrier = username): it expects every packed parcel of that carrier not yet handed over."""
    wh_id = conn.execute(select(Warehouse.id).where(Warehouse.code == wh_code)).scalar()
    if wh_id is None:
        raise InvalidInput(f"no warehouse has the code {wh_code}", [FieldError("warehouse", "unknown")])
    courier = carrier if kind == "courier" else OWN
    expected = sorted(
        conn.execute(
            select(Parcel.waybill)
            .join(Order, Order.id == Parcel.order_id)
            .where(
                Parcel.warehouse_id == wh_id,
                Parcel.courier == courier,
                Parcel.batch_id.is_(None),
                Order.status == "packed",
            )
        ).scalars()
    )
    batch_id = new_id()
    conn.execute(
        insert(DispatchBatch).values(
            id=batch_id,
            warehouse_id=wh_id,
            kind=kind,
            carrier=carrier[:64],
            status="open",
            expected=expected,
            created_by=actor[:64],
            created_at=now,
        )
    )
    _note_batch(conn, wh_code, batch_id)
    return batch_id


def batch_for(
    conn: Connection, wh_code: str, carrier: str, courier: str, actor: str, now: datetime
) -> uuid.UUID:
    """The open batch of this carrier at this warehouse (a phone's handover names only who took the
    parcel); a new one when there is none."""
    found = conn.execute(
        select(DispatchBatch.id)
        .join(Warehouse, Warehouse.id == DispatchBatch.warehouse_id)
        .where(Warehouse.code == wh_code, DispatchBatch.carrier == carrier, DispatchBatch.status == "open")
        .order_by(DispatchBatch.created_at)
    ).first()
    if found is not None:
        return found[0]
    kind = "courier" if courier and courier == carrier else "rider"
    return open_batch(conn, wh_code, kind, carrier, actor, now)


def _batch(conn: Connection, batch_id: uuid.UUID) -> tuple[str, str, str, list[str]]:
    """(status, warehouse code, carrier, expected) of a batch, locked on PostgreSQL."""
    stmt = (
        select(DispatchBatch.status, Warehouse.code, DispatchBatch.carrier, DispatchBatch.expected)
        .join(Warehouse, Warehouse.id == DispatchBatch.warehouse_id)
        .where(DispatchBatch.id == batch_id)
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=DispatchBatch)
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"no dispatch batch has the id {batch_id}", [FieldError("batch_id", "unknown")])
    return row[0], row[1], row[2], list(row[3] or [])


def admit_scan(conn: Connection, batch_id: uuid.UUID, waybill: str) -> ScannedParcel:
    """Whether this parcel may go into this batch; raises a ShippingRefused saying why not."""
    status, wh_code, _, _ = _batch(conn, batch_id)
    if status != "open":
        raise BatchClosed(f"dispatch batch {batch_id} is closed", [FieldError("batch_id", "closed")])
    row = conn.execute(
        select(Parcel.order_id, Parcel.batch_id, Order.status, Warehouse.code)
        .join(Order, Order.id == Parcel.order_id)
        .join(Warehouse, Warehouse.id == Parcel.warehouse_id)
        .where(Parcel.waybill == waybill)
    ).first()
    if row is None:
        raise ParcelNotPacked(
            f"no packed parcel has the waybill {waybill}", [FieldError("waybill", "not a packed parcel")]
        )
    order_id, in_batch, order_status, parcel_wh = row
    if parcel_wh != wh_code:
        raise ParcelNotPacked(
            f"parcel {waybill} was packed in warehouse {parcel_wh}, not {wh_code}",
            [FieldError("waybill", f"packed in {parcel_wh}")],
        )
    if in_batch is not None and in_batch != batch_id:
        raise ParcelInAnotherBatch(
            f"parcel {waybill} is already in dispatch batch {in_batch}; it cannot leave twice",
            [FieldError("waybill", f"already in batch {in_batch}")],
        )
    if order_status == "cancelled":
        raise OrderCancelled(
            f"order of parcel {waybill} was cancelled: take the parcel out and put its items back",
            [FieldError("waybill", "order cancelled")],
        )
    if in_batch is None and order_status != "packed":
        raise ParcelNotPacked(
            f"the order of parcel {waybill} is {order_status}, not packed",
            [FieldError("waybill", order_status)],
        )
    return ScannedParcel(order_id, waybill, order_status, again=in_batch == batch_id)


def record_scan(
    conn: Connection, batch_id: uuid.UUID, parcel: ScannedParcel, wh_code: str, actor: str, now: datetime
) -> None:
    """The parcel is in the batch: it left with the batch's carrier."""
    conn.execute(
        update(Parcel)
        .where(Parcel.waybill == parcel.waybill)
        .values(batch_id=batch_id, handed_over_at=now, handed_over_by=actor[:64])
    )
    note = touched(conn)
    note.changes[parcel_entity(wh_code, parcel.order_id)] = None  # left the warehouse: off the phones
    _note_batch(conn, wh_code, batch_id)


def scan(
    conn: Connection, moves: Transitions, batch_id: uuid.UUID, waybill: str, actor: str, now: datetime
) -> ScannedParcel:
    """The console's (REST) scan: refused with a reason, or the parcel leaves and its order ships
    (the reserved units leave the warehouse's stock with it)."""
    # The order's row first, then the batch's: the lock order every path keeps (orders before the
    # rest), so a phone's handover of the same parcel in a push cannot wait on us in a cycle.
    order_id = conn.execute(select(Parcel.order_id).where(Parcel.waybill == waybill)).scalar()
    if order_id is not None:
        lock_order(conn, order_id)
    parcel = admit_scan(conn, batch_id, waybill)
    if parcel.again:
        return parcel
    _, wh_code, carrier, _ = _batch(conn, batch_id)
    record_scan(conn, batch_id, parcel, wh_code, actor, now)
    moves.move(parcel.order_id, "packed", "shipped", reason=f"handed over to {carrier}", actor=actor, at=now)
    return parcel


def close_batch(
    conn: Connection, batch_id: uuid.UUID, actor: str, now: datetime, *, leave_missing: bool = False
) -> list[str]:
    """Close the batch; returns the waybills left behind. A parcel expected and not scanned (still
    packed, in no batch) refuses the close unless `leave_missing`, which raises an exception for each."""
    status, wh_code, carrier, expected = _batch(conn, batch_id)
    if status != "open":
        raise BatchClosed(f"dispatch batch {batch_id} is already closed", [FieldError("batch_id", "closed")])
    missing = missing_parcels(conn, expected)
    if missing and not leave_missing:
        raise ParcelsMissing(
            f"{len(missing)} parcel(s) expected on this pickup were not scanned: {', '.join(missing[:20])}; "
            "find and scan them, or close leaving them for the next pickup",
            [FieldError("expected", f"not scanned: {w}") for w in missing],
        )
    if missing:
        wh_id = conn.execute(select(Warehouse.id).where(Warehouse.code == wh_code)).scalar()
        orders = dict(
            conn.execute(select(Parcel.waybill, Parcel.order_id).where(Parcel.waybill.in_(missing))).all()
        )
        raise_exceptions(
            conn,
            [
                exception_row(
                    "parcel_missing_at_handover",
                    f"parcel {w} was expected on {carrier}'s pickup and not scanned; {actor} closed the "
                    "batch without it: find the parcel",
                    now=now,
                    order_id=orders.get(w),
                    warehouse_id=wh_id,
                    details={"batch": str(batch_id), "waybill": w},
                )
                for w in missing
            ],
        )
    conn.execute(
        update(DispatchBatch)
        .where(DispatchBatch.id == batch_id)
        .values(status="closed", closed_by=actor[:64], closed_at=now)
    )
    touched(conn).changes[batch_entity(wh_code, batch_id)] = None
    return missing


def missing_parcels(conn: Connection, expected: list[str]) -> list[str]:
    """Of the expected waybills, the parcels still packed and in no batch (a cancelled order's
    parcel is not missing: it must not leave)."""
    if not expected:
        return []
    return sorted(
        conn.execute(
            select(Parcel.waybill)
            .join(Order, Order.id == Parcel.order_id)
            .where(Parcel.waybill.in_(expected), Parcel.batch_id.is_(None), Order.status == "packed")
        ).scalars()
    )


def _note_batch(conn: Connection, wh_code: str, batch_id: uuid.UUID) -> None:
    """The batch as the warehouse phones see it while it is open: who takes it, what it expects and
    what is already scanned."""
    row = conn.execute(
        select(DispatchBatch.kind, DispatchBatch.carrier, DispatchBatch.expected).where(
            DispatchBatch.id == batch_id
        )
    ).one()
    scanned = sorted(conn.execute(select(Parcel.waybill).where(Parcel.batch_id == batch_id)).scalars())
    value: dict[str, Any] = {
        "kind": row[0],
        "carrier": row[1],
        "expected": list(row[2] or []),
        "scanned": scanned,
    }
    touched(conn).changes[batch_entity(wh_code, batch_id)] = value
