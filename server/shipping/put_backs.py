"""Put-backs: an order cancelled while it was being picked or packed leaves units in staging (and
maybe a packed parcel on the table). The warehouse phones are told at their next sync — a
`put_back` entity in the warehouse's scope, keyed by the order, replaces the order's pick task —
and the units go back to a bin as `stock.put_back` facts (a phone's, item by item, or the console's
`done` for all that is left), which `count_put_back` counts against the put-back. Nothing of the
order ships: packing and handover refuse a cancelled order (server/shipping/packing.py, handover.py).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from server.catalog.models import Sku
from server.changes.scopes import order_ref, wh_scope
from server.db.bulk import in_values, uuid_order
from server.db.touched import touched
from server.inventory.models import Reservation, Warehouse
from server.shipping.models import Parcel, PutBack


def put_back_entity(wh_code: str, order_id: uuid.UUID) -> tuple[str, str, str]:
    return (wh_scope(wh_code), "put_back", order_ref(order_id))


def put_back_value(lines: Sequence[Sequence[Any]], waybill: str) -> dict[str, Any]:
    value: dict[str, Any] = {"status": "cancelled", "lines": [[str(s), int(q)] for s, q in lines]}
    if waybill:
        value["waybill"] = waybill  # a parcel was already packed: open it, do not hand it over
    return value


def open_put_backs(conn: Connection, order_ids: Collection[uuid.UUID], now: datetime) -> None:
    """Orders cancelled in the middle of picking or packing: a put-back each, for the units the
    order held (what may be in staging), in the warehouse it was being worked in."""
    ids = sorted(set(order_ids), key=uuid_order)
    if not ids:
        return
    rows = conn.execute(
        select(
            Reservation.order_id,
            Reservation.warehouse_id,
            Warehouse.code,
            Sku.code,
            Reservation.qty,
            Reservation.closed_at,
        )
        .join(Sku, Sku.id == Reservation.sku_id)
        .join(Warehouse, Warehouse.id == Reservation.warehouse_id)
        .where(in_values(conn, Reservation.order_id, ids), Reservation.status == "released")
    ).all()
    # Only what the cancel released (an order re-allocated earlier has older released rows too).
    last = {r[0]: r[5] for r in sorted(rows, key=lambda r: r[5] or now)}
    units: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    where: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
    for order_id, wh_id, wh_code, sku, qty, closed_at in rows:
        if closed_at != last[order_id]:
            continue
        units[order_id][sku] += int(qty)
        where[order_id] = (wh_id, wh_code)
    have = set(conn.execute(select(PutBack.order_id).where(in_values(conn, PutBack.order_id, ids))).scalars())
    waybills = dict(
        conn.execute(
            select(Parcel.order_id, Parcel.waybill).where(in_values(conn, Parcel.order_id, ids))
        ).all()
    )
    note = touched(conn)
    for order_id in ids:
        if order_id in have or order_id not in where:
            continue
        lines = [[s, q] for s, q in sorted(units[order_id].items())]
        wh_id, wh_code = where[order_id]
        conn.execute(
            insert(PutBack).values(
                order_id=order_id, warehouse_id=wh_id, lines=lines, status="open", created_at=now
            )
        )
        note.changes[put_back_entity(wh_code, order_id)] = put_back_value(lines, waybills.get(order_id, ""))


def put_back_units_left(lines: Sequence[Sequence[Any]]) -> dict[str, int]:
    """What is still to go back, by SKU: a line is [sku, qty] or, once some went back, [sku, qty, back]."""
    return {str(line[0]): int(line[1]) - (int(line[2]) if len(line) > 2 else 0) for line in lines}


def put_back_left(conn: Connection, order_id: uuid.UUID) -> tuple[str, dict[str, int]] | None:
    """(warehouse code, SKU -> units still to go back) of an open put-back; None when there is none."""
    row = conn.execute(
        select(PutBack.lines, Warehouse.code)
        .join(Warehouse, Warehouse.id == PutBack.warehouse_id)
        .where(PutBack.order_id == order_id, PutBack.status == "open")
    ).first()
    if row is None:
        return None
    return row[1], {s: q for s, q in put_back_units_left(row[0]).items() if q > 0}


def count_put_back(
    conn: Connection, order_id: uuid.UUID, sku: str, qty: int, bin_code: str, actor: str, now: datetime
) -> str | None:
    """The one writer of a put-back's progress, whichever path put the units back (a phone's
    `stock.put_back` op, or the console's "done" for the whole order, which records the same
    facts): `qty` of `sku` of this cancelled order are back on bin `bin_code` (the op moved the
    stock). The put-back is done once every unit is back, and the phones forget it; until then
    they see what is left. Returns why the units were not expected (nothing counted then), or None."""
    stmt = select(PutBack.status, PutBack.lines, Warehouse.code).join(
        Warehouse, Warehouse.id == PutBack.warehouse_id
    )
    stmt = stmt.where(PutBack.order_id == order_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=PutBack)
    row = conn.execute(stmt).first()
    if row is None or row[0] != "open":
        why = "no put-back" if row is None else "a put-back that is already done"
        return (
            f"{qty} x {sku} put back into bin {bin_code} for order {order_id}, which has {why}: the "
            "order may still need those units; check its tote"
        )
    status, lines, wh_code = row
    left = put_back_units_left(lines)
    if left.get(sku, 0) < qty:
        return (
            f"{qty} x {sku} put back into bin {bin_code} for order {order_id}, whose put-back has "
            f"{max(left.get(sku, 0), 0)} of it left: nothing counted; check the order's tote"
        )
    counted = [[s, q, q - left[str(s)] + (qty if str(s) == sku else 0)] for s, q, *_ in lines]
    remaining = [[s, q - back] for s, q, back in counted if q > back]
    values: dict[str, Any] = {"lines": counted, "bin_code": bin_code}
    if not remaining:
        status = "done"
        values |= {"status": status, "done_by": actor[:64], "done_at": now}
    conn.execute(update(PutBack).where(PutBack.order_id == order_id).values(**values))
    entity = put_back_entity(wh_code, order_id)
    if status == "done":
        touched(conn).changes[entity] = None
    else:
        waybill = conn.execute(select(Parcel.waybill).where(Parcel.order_id == order_id)).scalar() or ""
        touched(conn).changes[entity] = put_back_value(remaining, waybill)
    return None
