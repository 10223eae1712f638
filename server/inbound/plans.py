"""Writers for the paper side of an import: suppliers, purchase orders, shipments (ASNs), their
milestones through customs and their costs. One function per fact; every path (the console API,
the demo seed) calls these."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from server.catalog.models import Sku
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.exceptions.raising import exception_row, raise_exceptions
from server.inbound.entities import publish
from server.inbound.landed import rate_micros, to_centavos
from server.inbound.models import (
    InboundShipment,
    PurchaseOrder,
    PurchaseOrderLine,
    ShipmentCost,
    ShipmentLine,
    ShipmentMilestone,
    Supplier,
)
from server.inbound.schemas import CostIn, MilestoneIn, PurchaseOrderIn, ShipmentIn, SupplierIn
from server.inventory.stock import warehouse_id

# A customs hold with no new date given pushes the expected arrival back by this much: about what
# a Bureau of Customs hold for documents or examination takes.
HOLD_DAYS = 7
# What a milestone's actual date moves the shipment to.
STATUS_AFTER = {
    "shipped": "in_transit",
    "arrived_at_port": "at_port",
    "customs_lodged": "in_customs",
    "assessed": "in_customs",
    "duties_paid": "in_customs",
    "held": "held",
    "released": "released",
    "delivered_to_warehouse": "delivered",
}


def create_supplier(conn: Connection, data: SupplierIn, now: datetime) -> uuid.UUID:
    if conn.execute(select(Supplier.id).where(Supplier.code == data.code)).first() is not None:
        raise Conflict(f"supplier {data.code!r} exists", [FieldError("code", "already used")])
    sid = uuid.uuid4()
    conn.execute(
        insert(Supplier).values(
            id=sid,
            code=data.code,
            name=data.name,
            country=data.country,
            currency=data.currency,
            created_at=now,
        )
    )
    return sid


def create_purchase_order(conn: Connection, data: PurchaseOrderIn, actor: str, now: datetime) -> uuid.UUID:
    errors: list[FieldError] = []
    supplier = conn.execute(
        select(Supplier.id, Supplier.currency).where(Supplier.code == data.supplier)
    ).first()
    if supplier is None:
        errors.append(FieldError("supplier", f"no supplier {data.supplier!r}"))
    wh = warehouse_id(conn, data.warehouse)
    if conn.execute(select(PurchaseOrder.id).where(PurchaseOrder.number == data.number)).first() is not None:
        raise Conflict(f"purchase order {data.number!r} exists", [FieldError("number", "already used")])
    skus = _skus(conn, {ln.sku for ln in data.lines})
    seen: set[str] = set()
    for i, ln in enumerate(data.lines):
        if ln.sku not in skus:
            errors.append(FieldError(f"lines[{i}].sku", f"unknown SKU {ln.sku!r}"))
        elif skus[ln.sku][1]:
            errors.append(FieldError(f"lines[{i}].sku", f"{ln.sku!r} is a bundle; order its components"))
        if ln.sku in seen:
            errors.append(
                FieldError(f"lines[{i}].sku", f"{ln.sku!r} is on the order twice: one line per SKU")
            )
        seen.add(ln.sku)
    if errors or supplier is None:
        raise InvalidInput(f"{len(errors)} invalid field(s)", errors)
    po_id = uuid.uuid4()
    conn.execute(
        insert(PurchaseOrder).values(
            id=po_id,
            number=data.number,
            supplier_id=supplier[0],
            warehouse_id=wh,
            currency=data.currency or supplier[1],
            status="open",
            created_at=now,
            created_by=actor[:64],
        )
    )
    conn.execute(
        insert(PurchaseOrderLine),
        [
            {"id": uuid.uuid4(), "po_id": po_id, "line_no": i + 1, "sku_id": skus[ln.sku][0]}
            | {"qty": ln.qty, "unit_cost": ln.unit_cost}
            for i, ln in enumerate(data.lines)
        ],
    )
    return po_id


def _skus(conn: Connection, codes: set[str]) -> dict[str, tuple[uuid.UUID, bool]]:
    rows = conn.execute(select(Sku.code, Sku.id, Sku.is_bundle).where(Sku.code.in_(codes))).all()
    return {r[0]: (r[1], bool(r[2])) for r in rows}


def create_shipment(conn: Connection, data: ShipmentIn, now: datetime) -> uuid.UUID:
    """An ASN: lines of one or more open POs of the same currency, for one warehouse. A PO line may
    be split over shipments, never shipped beyond what was ordered."""
    wh = warehouse_id(conn, data.warehouse)
    if conn.execute(select(InboundShipment.id).where(InboundShipment.code == data.code)).first() is not None:
        raise Conflict(f"shipment {data.code!r} exists", [FieldError("code", "already used")])
    micros = rate_micros(data.rate)
    errors: list[FieldError] = []
    if micros is None:
        errors.append(FieldError("rate", "a positive rate with at most six decimal places"))
    numbers = {ln.po for ln in data.lines}
    pos = {
        r[0]: r[1:]
        for r in conn.execute(
            select(
                PurchaseOrder.number, PurchaseOrder.id, PurchaseOrder.currency, PurchaseOrder.warehouse_id
            ).where(PurchaseOrder.number.in_(numbers))
        ).all()
    }
    po_lines = {
        (r[0], r[1]): (r[2], r[3], r[4])
        for r in conn.execute(
            select(PurchaseOrderLine.po_id, PurchaseOrderLine.line_no, PurchaseOrderLine.id)
            .add_columns(PurchaseOrderLine.sku_id, PurchaseOrderLine.qty)
            .where(PurchaseOrderLine.po_id.in_([p[0] for p in pos.values()]))
        ).all()
    }
    shipped = _shipped(conn, [v[0] for v in po_lines.values()])
    currencies: set[str] = set()
    rows: list[dict[str, object]] = []
    taken: dict[uuid.UUID, int] = defaultdict(int)
    for i, ln in enumerate(data.lines):
        po = pos.get(ln.po)
        if po is None:
            errors.append(FieldError(f"lines[{i}].po", f"no purchase order {ln.po!r}"))
            continue
        if po[2] != wh:
            errors.append(FieldError(f"lines[{i}].po", f"{ln.po} is for another warehouse"))
        currencies.add(po[1])
        line = po_lines.get((po[0], ln.line_no))
        if line is None:
            errors.append(FieldError(f"lines[{i}].line_no", f"{ln.po} has no line {ln.line_no}"))
            continue
        taken[line[0]] += ln.qty
        left = line[2] - shipped.get(line[0], 0)
        if taken[line[0]] > left:
            errors.append(FieldError(f"lines[{i}].qty", f"{ln.po} line {ln.line_no} has {left} left to ship"))
        rows.append({"po_line_id": line[0], "sku_id": line[1], "expected_qty": ln.qty})
    if len(currencies) > 1:
        errors.append(FieldError("lines", "every PO on one shipment must be in one currency (one rate)"))
    if len({r["po_line_id"] for r in rows}) != len(rows):
        errors.append(FieldError("lines", "a PO line appears twice"))
    if errors:
        raise InvalidInput(f"{len(errors)} invalid field(s)", errors)
    sid = uuid.uuid4()
    conn.execute(
        insert(InboundShipment).values(
            id=sid,
            code=data.code,
            warehouse_id=wh,
            mode=data.mode,
            container_no=data.container_no,
            bill_of_lading=data.bill_of_lading,
            airway_bill=data.airway_bill,
            currency=currencies.pop() if currencies else "PHP",
            rate_micros=micros,
            status="planned",
            expected_on=data.expected_on,
            hold_reason="",
            created_at=now,
        )
    )
    conn.execute(
        insert(ShipmentLine),
        [r | {"id": uuid.uuid4(), "shipment_id": sid, "received_qty": 0, "settled": False} for r in rows],
    )
    conn.execute(
        insert(ShipmentMilestone).values(
            id=uuid.uuid4(),
            shipment_id=sid,
            milestone="delivered_to_warehouse",
            expected_on=data.expected_on,
            actual_on=None,
            note="",
            recorded_by="",
            recorded_at=now,
        )
    )
    publish(conn, sid)
    return sid


def _shipped(conn: Connection, po_line_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not po_line_ids:
        return {}
    rows = conn.execute(
        select(ShipmentLine.po_line_id, func.sum(ShipmentLine.expected_qty))
        .where(ShipmentLine.po_line_id.in_(po_line_ids))
        .group_by(ShipmentLine.po_line_id)
    ).all()
    return {r[0]: int(r[1]) for r in rows}


def shipment_by_code(conn: Connection, code: str, *, lock: bool = False) -> InboundShipmentRow:
    stmt = (
        select(InboundShipment.id, InboundShipment.status, InboundShipment.expected_on)
        .add_columns(InboundShipment.warehouse_id, InboundShipment.code)
        .where(InboundShipment.code == code)
    )
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise NotFound(f"no shipment {code!r}", [FieldError("code", "no shipment has this code")])
    return InboundShipmentRow(row[0], row[1], row[2], row[3], row[4])


class InboundShipmentRow:
    __slots__ = ("code", "expected_on", "id", "status", "warehouse_id")

    def __init__(
        self, id: uuid.UUID, status: str, expected_on: date, warehouse_id: uuid.UUID, code: str
    ) -> None:
        self.id, self.status, self.expected_on, self.warehouse_id, self.code = (
            id,
            status,
            expected_on,
            warehouse_id,
            code,
        )


def record_milestone(
    conn: Connection, code: str, data: MilestoneIn, actor: str, now: datetime, today: date
) -> None:
    """Record a milestone's expected and/or actual date. An actual date moves the shipment on; a
    hold moves the expected arrival and raises an exception; the delivered milestone's expected
    date is the shipment's expected date (dated availability follows it)."""
    ship = shipment_by_code(conn, code, lock=True)
    if ship.status == "closed":
        raise Conflict(f"shipment {code} is closed", [FieldError("milestone", "the shipment is closed")])
    if data.actual_on is None and data.expected_on is None:
        raise InvalidInput("say when", [FieldError("actual_on", "give actual_on, expected_on or both")])
    if data.actual_on is not None and data.actual_on > today:
        raise InvalidInput(
            "an actual date is not in the future",
            [FieldError("actual_on", f"{data.actual_on} is after today ({today})")],
        )
    if data.milestone == "held" and data.actual_on is not None and not data.note.strip():
        raise InvalidInput("a hold needs its reason", [FieldError("note", "why customs holds it")])
    if data.new_expected_on is not None and data.milestone != "held":
        raise InvalidInput("only a hold moves the date this way", [FieldError("new_expected_on", "for held")])
    values: dict[str, object] = {"recorded_by": actor[:64], "recorded_at": now, "note": data.note}
    if data.expected_on is not None:
        values["expected_on"] = data.expected_on
    if data.actual_on is not None:
        values["actual_on"] = data.actual_on
    found = conn.execute(
        update(ShipmentMilestone)
        .where(ShipmentMilestone.shipment_id == ship.id, ShipmentMilestone.milestone == data.milestone)
        .values(**values)
    ).rowcount
    if not found:
        conn.execute(
            insert(ShipmentMilestone).values(
                {"id": uuid.uuid4(), "shipment_id": ship.id, "milestone": data.milestone}
                | {"expected_on": data.expected_on, "actual_on": data.actual_on}
                | values
            )
        )
    change: dict[str, object] = {}
    if data.milestone == "delivered_to_warehouse" and data.expected_on is not None:
        change["expected_on"] = data.expected_on
    if data.actual_on is not None and ship.status not in ("receiving",):
        change["status"] = STATUS_AFTER[data.milestone]
    if data.milestone == "held" and data.actual_on is not None:
        moved = data.new_expected_on or max(ship.expected_on, today) + timedelta(days=HOLD_DAYS)
        change |= {"hold_reason": data.note[:255], "expected_on": moved}
        _moved_delivery(conn, ship.id, moved)
        raise_exceptions(
            conn,
            [
                exception_row(
                    "inbound_customs_hold",
                    f"shipment {code} is held at customs: {data.note}. Now expected at the warehouse "
                    f"on {moved} (was {ship.expected_on})",
                    now=now,
                    warehouse_id=ship.warehouse_id,
                    details={"shipment": code, "reason": data.note, "expected_on": moved.isoformat()},
                )
            ],
        )
    if data.milestone == "released" and data.actual_on is not None:
        change["hold_reason"] = ""
    if change:
        conn.execute(update(InboundShipment).where(InboundShipment.id == ship.id).values(**change))
    publish(conn, ship.id)


def _moved_delivery(conn: Connection, shipment_id: uuid.UUID, moved: date) -> None:
    conn.execute(
        update(ShipmentMilestone)
        .where(
            ShipmentMilestone.shipment_id == shipment_id,
            ShipmentMilestone.milestone == "delivered_to_warehouse",
        )
        .values(expected_on=moved)
    )


def record_cost(conn: Connection, code: str, data: CostIn, actor: str, now: datetime) -> uuid.UUID:
    """Duties, brokerage or freight, converted to centavos once at the rate given with it."""
    ship = shipment_by_code(conn, code, lock=True)
    micros = rate_micros(data.rate)
    if micros is None:
        raise InvalidInput(
            "bad rate", [FieldError("rate", "a positive rate with at most six decimal places")]
        )
    if data.currency == "PHP" and micros != 1_000_000:
        raise InvalidInput("pesos are pesos", [FieldError("rate", "a PHP amount has rate 1")])
    cid = uuid.uuid4()
    conn.execute(
        insert(ShipmentCost).values(
            id=cid,
            shipment_id=ship.id,
            kind=data.kind,
            amount=data.amount,
            currency=data.currency,
            rate_micros=micros,
            centavos=to_centavos(data.amount, micros),
            ref=data.ref,
            recorded_by=actor[:64],
            recorded_at=now,
        )
    )
    return cid
