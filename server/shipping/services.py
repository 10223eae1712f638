"""Shipping services: the REST path's transactions (each ends in server/writes.finish through
Database.run_write) and the reads behind the API and the paper.

Functions passed to run_write are module-level and take picklable arguments (the SQLite writer
process runs them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.auth.principal import Principal, check_warehouse
from server.catalog.models import Sku
from server.db.base import utcnow
from server.db.orm import orm_session
from server.errors import FieldError, NotFound
from server.inventory.models import Warehouse
from server.orders.models import Order, OrderLine
from server.orders.transitions import Transitions, lock_order
from server.shipping.handover import close_batch, missing_parcels, open_batch, scan
from server.shipping.models import DispatchBatch, Parcel, PutBack
from server.shipping.packing import PackDetails, differences, expected_items, pack, summed
from server.shipping.paper import (
    Address,
    LabelData,
    ManifestData,
    ManifestParcel,
    SlipData,
    SlipLine,
    boxes_of,
)
from server.shipping.put_backs import put_back_units_left
from server.shipping.refusals import OrderCancelled
from server.shipping.schemas import (
    BatchIn,
    BatchOut,
    CloseIn,
    ItemIn,
    PackCheckIn,
    PackCheckOut,
    PackIn,
    ParcelOut,
    PutBackOut,
)

COURIERS = {
    "": "Bodega rider",
    "jnt": "J&T Express",
    "flash": "Flash Express",
    "ninjavan": "Ninja Van",
    "lbc": "LBC Express",
    "jrs": "JRS Express",
    "xde": "XDE Logistics",
    "spx": "SPX Express",
    "lex": "LEX PH",
    "grab": "GrabExpress",
    "lalamove": "Lalamove",
}


def courier_name(code: str) -> str:
    return COURIERS.get(code, code.upper())


def _order_warehouse(conn: Connection, order_id: uuid.UUID) -> str | None:
    row = conn.execute(
        select(Warehouse.code).join(Order, Order.warehouse_id == Warehouse.id).where(Order.id == order_id)
    ).first()
    return row[0] if row else None


# ---- writes ----------------------------------------------------------------------------------


def pack_by_hand(conn: Connection, data: PackIn, caller: Principal) -> str:
    """The console's (or an online phone's) packing: checked, recorded, the order packed."""
    current = lock_order(conn, data.order)
    check_warehouse(caller, _order_warehouse(conn, data.order), "order")
    moves = Transitions(caller.actor)
    details = PackDetails(
        summed((i.sku, i.qty) for i in data.lines),
        weight_grams=data.weight_grams,
        parcel_count=data.parcels,
        courier=data.courier,
        waybill=data.waybill,
    )
    packed = pack(conn, moves, data.order, current, details, actor=caller.actor, now=moves.now)
    moves.flush(conn)
    return packed.waybill


def new_batch(conn: Connection, data: BatchIn, caller: Principal) -> uuid.UUID:
    check_warehouse(caller, data.warehouse)
    return open_batch(conn, data.warehouse, data.kind, data.carrier, caller.actor, utcnow())


def _batch_warehouse(conn: Connection, batch_id: uuid.UUID) -> str:
    code = conn.execute(
        select(Warehouse.code)
        .join(DispatchBatch, DispatchBatch.warehouse_id == Warehouse.id)
        .where(DispatchBatch.id == batch_id)
    ).scalar()
    if code is None:
        raise NotFound(f"no dispatch batch has the id {batch_id}", [FieldError("batch_id", "unknown")])
    return code


def scan_by_hand(conn: Connection, batch_id: uuid.UUID, waybill: str, caller: Principal) -> None:
    check_warehouse(caller, _batch_warehouse(conn, batch_id), "batch_id")
    moves = Transitions(caller.actor)
    scan(conn, moves, batch_id, waybill, caller.actor, moves.now)
    moves.flush(conn)


def close_by_hand(conn: Connection, batch_id: uuid.UUID, data: CloseIn, caller: Principal) -> list[str]:
    check_warehouse(caller, _batch_warehouse(conn, batch_id), "batch_id")
    return close_batch(conn, batch_id, caller.actor, utcnow(), leave_missing=data.leave_missing)


# ---- reads (synchronous, run on a reader connection) ----------------------------------------


def pack_check(conn: Connection, data: PackCheckIn, caller: Principal) -> PackCheckOut:
    if conn.execute(select(Order.id).where(Order.id == data.order)).first() is None:
        raise NotFound(f"no order has the id {data.order}", [FieldError("order", "unknown")])
    check_warehouse(caller, _order_warehouse(conn, data.order), "order")
    expected = expected_items(conn, data.order)
    missing, extra = differences(expected, summed((i.sku, i.qty) for i in data.lines))
    return PackCheckOut(data.order, not missing and not extra and bool(expected), expected, missing, extra)


def parcel_out(conn: Connection, order_id: uuid.UUID, caller: Principal) -> ParcelOut:
    with orm_session(conn) as session:
        row = session.execute(
            select(Parcel, Warehouse.code, Order.status)
            .join(Warehouse, Warehouse.id == Parcel.warehouse_id)
            .join(Order, Order.id == Parcel.order_id)
            .where(Parcel.order_id == order_id)
        ).first()
    if row is None:
        raise NotFound(f"order {order_id} has no packed parcel", [FieldError("order_id", "not packed")])
    p, wh, status = row
    check_warehouse(caller, wh, "order_id")
    return ParcelOut(
        order=p.order_id,
        waybill=p.waybill,
        courier=p.courier,
        warehouse=wh,
        weight_grams=p.weight_grams,
        parcels=p.parcel_count,
        lines=[ItemIn(str(s), int(q)) for s, q in (p.lines or [])],  # type: ignore[misc]
        packed_by=p.packed_by,
        packed_at=p.packed_at,
        order_status=status,
        batch=p.batch_id,
        handed_over_at=p.handed_over_at,
    )


def batch_out(conn: Connection, batch_id: uuid.UUID, caller: Principal) -> BatchOut:
    with orm_session(conn) as session:
        row = session.execute(
            select(DispatchBatch, Warehouse.code)
            .join(Warehouse, Warehouse.id == DispatchBatch.warehouse_id)
            .where(DispatchBatch.id == batch_id)
        ).first()
    if row is None:
        raise NotFound(f"no dispatch batch has the id {batch_id}", [FieldError("batch_id", "unknown")])
    b, wh = row
    check_warehouse(caller, wh, "batch_id")
    return _batch_out(conn, b, wh)


def _batch_out(conn: Connection, b: DispatchBatch, wh: str) -> BatchOut:
    scanned = sorted(conn.execute(select(Parcel.waybill).where(Parcel.batch_id == b.id)).scalars())
    expected = list(b.expected or [])
    return BatchOut(
        id=b.id,
        warehouse=wh,
        kind=b.kind,
        carrier=b.carrier,
        status=b.status,
        expected=expected,
        scanned=scanned,
        missing=missing_parcels(conn, expected) if b.status == "open" else [],
        created_by=b.created_by,
        created_at=b.created_at,
        closed_by=b.closed_by,
        closed_at=b.closed_at,
    )


def list_batches(conn: Connection, warehouse: str | None, status: str | None) -> list[BatchOut]:
    stmt = select(DispatchBatch, Warehouse.code).join(Warehouse, Warehouse.id == DispatchBatch.warehouse_id)
    if warehouse is not None:
        stmt = stmt.where(Warehouse.code == warehouse)
    if status is not None:
        stmt = stmt.where(DispatchBatch.status == status)
    with orm_session(conn) as session:
        rows = session.execute(stmt.order_by(DispatchBatch.created_at.desc()).limit(200)).all()
    return [_batch_out(conn, b, wh) for b, wh in rows]


def list_put_backs(conn: Connection, warehouse: str | None, status: str | None) -> list[PutBackOut]:
    stmt = select(PutBack, Warehouse.code).join(Warehouse, Warehouse.id == PutBack.warehouse_id)
    if warehouse is not None:
        stmt = stmt.where(Warehouse.code == warehouse)
    if status is not None:
        stmt = stmt.where(PutBack.status == status)
    with orm_session(conn) as session:
        rows = session.execute(stmt.order_by(PutBack.created_at.desc()).limit(200)).all()
    return [
        PutBackOut(
            order=p.order_id,
            warehouse=wh,
            lines=[ItemIn(str(line[0]), int(line[1])) for line in (p.lines or [])],
            left=[ItemIn(s, q) for s, q in sorted(put_back_units_left(p.lines or []).items()) if q > 0],
            status=p.status,
            created_at=p.created_at,
            bin=p.bin_code,
            done_by=p.done_by,
            done_at=p.done_at,
        )
        for p, wh in rows
    ]


@dataclass(frozen=True)
class _OrderForPaper:
    order: Order
    parcel: Parcel
    warehouse: Warehouse


def _paper_rows(conn: Connection, where: object) -> list[_OrderForPaper]:
    with orm_session(conn) as session:
        rows = session.execute(
            select(Order, Parcel, Warehouse)
            .join(Parcel, Parcel.order_id == Order.id)
            .join(Warehouse, Warehouse.id == Parcel.warehouse_id)
            .where(where)  # type: ignore[arg-type]
            .order_by(Parcel.waybill)
        ).all()
    return [_OrderForPaper(o, p, w) for o, p, w in rows]


def _address(o: Order) -> Address:
    return Address(o.customer_name, o.phone, o.street, o.barangay, o.city, o.province, o.zip_code, o.region)


def label_data(conn: Connection, order_id: uuid.UUID, caller: Principal) -> list[LabelData]:
    rows = _paper_rows(conn, Parcel.order_id == order_id)
    if not rows:
        raise NotFound(f"order {order_id} has no packed parcel", [FieldError("order_id", "not packed")])
    r = rows[0]
    check_warehouse(caller, r.warehouse.code, "order_id")
    if r.order.status == "cancelled":
        raise OrderCancelled(
            f"order {order_id} was cancelled: no label for it", [FieldError("order_id", "cancelled")]
        )
    base = LabelData(
        waybill=r.parcel.waybill,
        order=r.order.external_id,
        order_id=str(order_id),
        carrier=courier_name(r.parcel.courier),
        to=_address(r.order),
        sender=f"{r.warehouse.name}, {r.warehouse.city}",
        cod=r.order.cod_amount if r.order.payment_method == "cod" else 0,
        weight_grams=r.parcel.weight_grams,
        boxes=r.parcel.parcel_count,
    )
    return boxes_of(base)


def slip_data(conn: Connection, order_id: uuid.UUID, caller: Principal) -> SlipData:
    rows = _paper_rows(conn, Parcel.order_id == order_id)
    if not rows:
        raise NotFound(f"order {order_id} has no packed parcel", [FieldError("order_id", "not packed")])
    r = rows[0]
    check_warehouse(caller, r.warehouse.code, "order_id")
    lines = conn.execute(
        select(Sku.code, Sku.name, OrderLine.qty)
        .join(Sku, Sku.id == OrderLine.sku_id)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.line_no)
    ).all()
    o = r.order
    return SlipData(
        order=o.external_id,
        order_id=str(order_id),
        channel=o.channel,
        placed_at=o.placed_at,
        waybill=r.parcel.waybill,
        to=_address(o),
        lines=[SlipLine(c, n, int(q)) for c, n, q in lines],
        cod=o.cod_amount if o.payment_method == "cod" else 0,
        total=o.total_amount,
    )


def manifest_data(conn: Connection, batch_id: uuid.UUID, caller: Principal) -> ManifestData:
    out = batch_out(conn, batch_id, caller)
    rows = _paper_rows(conn, Parcel.batch_id == batch_id)
    return ManifestData(
        batch_id=str(batch_id),
        warehouse=out.warehouse,
        carrier=courier_name(out.carrier) if out.kind == "courier" else out.carrier,
        kind=out.kind,
        closed_at=out.closed_at,
        parcels=[
            ManifestParcel(
                waybill=r.parcel.waybill,
                order=r.order.external_id,
                recipient=r.order.customer_name,
                city=r.order.city,
                boxes=r.parcel.parcel_count,
                weight_grams=r.parcel.weight_grams,
                cod=r.order.cod_amount if r.order.payment_method == "cod" else 0,
            )
            for r in rows
            if r.order.status != "cancelled"  # belt and braces: a cancelled order never ships
        ],
    )
