"""Reading inbound for the console, the reports and the channels: shipments with their landed
costs, purchase orders, variances, and dated incoming stock."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from server.catalog.models import Sku
from server.errors import FieldError, NotFound
from server.inbound.landed import landed_costs, rate_text, to_centavos
from server.inbound.models import (
    InboundReceipt,
    InboundShipment,
    InboundVariance,
    PurchaseOrder,
    PurchaseOrderLine,
    ShipmentCost,
    ShipmentLine,
    ShipmentMilestone,
    Supplier,
)
from server.inbound.schemas import (
    CostOut,
    IncomingOut,
    MilestoneOut,
    PoLineOut,
    PurchaseOrderOut,
    ShipmentLineOut,
    ShipmentOut,
    ShipmentSummary,
    SupplierOut,
    VarianceOut,
)
from server.inventory.models import Warehouse
from server.pagination import Page, PageParams

MILESTONE_ORDER = {
    m: i
    for i, m in enumerate(
        (
            "shipped",
            "arrived_at_port",
            "customs_lodged",
            "assessed",
            "held",
            "duties_paid",
            "released",
            "delivered_to_warehouse",
        )
    )
}


def _orm(conn: Connection) -> Session:
    """Entity selects (whole rows as objects) read through a session on the caller's connection."""
    return Session(bind=conn, expire_on_commit=False)


def _page(conn: Connection, stmt: Select[uuid.UUID], page: PageParams) -> tuple[list[uuid.UUID], int]:
    total = conn.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    ids = [r[0] for r in conn.execute(stmt.limit(page.limit).offset(page.offset)).all()]
    return ids, int(total)


def list_suppliers(conn: Connection, page: PageParams, q: str | None) -> Page[SupplierOut]:
    stmt = select(Supplier).order_by(Supplier.code)
    if q:
        stmt = stmt.where(Supplier.code.contains(q) | Supplier.name.contains(q))
    total = conn.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = _orm(conn).scalars(stmt.limit(page.limit).offset(page.offset)).all()
    return page.of([SupplierOut(r.id, r.code, r.name, r.country, r.currency) for r in rows], int(total))


def supplier(conn: Connection, code: str) -> SupplierOut:
    r = _orm(conn).scalars(select(Supplier).where(Supplier.code == code)).first()
    if r is None:
        raise NotFound(f"no supplier {code!r}", [FieldError("code", "no supplier has this code")])
    return SupplierOut(r.id, r.code, r.name, r.country, r.currency)


def purchase_order(conn: Connection, po_id: uuid.UUID) -> PurchaseOrderOut:
    head = (
        _orm(conn)
        .execute(
            select(PurchaseOrder, Supplier.code.label("supplier"), Warehouse.code.label("wh"))
            .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
            .join(Warehouse, Warehouse.id == PurchaseOrder.warehouse_id)
            .where(PurchaseOrder.id == po_id)
        )
        .first()
    )
    if head is None:
        raise NotFound("no such purchase order", [FieldError("number", "unknown")])
    shipped = dict(
        conn.execute(
            select(ShipmentLine.po_line_id, func.sum(ShipmentLine.expected_qty))
            .join(PurchaseOrderLine, PurchaseOrderLine.id == ShipmentLine.po_line_id)
            .where(PurchaseOrderLine.po_id == po_id)
            .group_by(ShipmentLine.po_line_id)
        ).all()
    )
    lines = [
        PoLineOut(r[1], r[2], r[3], r[4], int(shipped.get(r[0], 0)))
        for r in conn.execute(
            select(PurchaseOrderLine.id, PurchaseOrderLine.line_no, Sku.code, PurchaseOrderLine.qty)
            .add_columns(PurchaseOrderLine.unit_cost)
            .join(Sku, Sku.id == PurchaseOrderLine.sku_id)
            .where(PurchaseOrderLine.po_id == po_id)
            .order_by(PurchaseOrderLine.line_no)
        ).all()
    ]
    po = head[0]
    return PurchaseOrderOut(
        po.id, po.number, head.supplier, head.wh, po.currency, po.status, lines, po.created_at
    )


def po_id_of(conn: Connection, number: str) -> uuid.UUID:
    found = conn.execute(select(PurchaseOrder.id).where(PurchaseOrder.number == number)).scalar()
    if found is None:
        raise NotFound(
            f"no purchase order {number!r}", [FieldError("number", "no purchase order has this number")]
        )
    return found


def list_purchase_orders(
    conn: Connection, page: PageParams, supplier_code: str | None
) -> Page[PurchaseOrderOut]:
    stmt = select(PurchaseOrder.id).order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.number)
    if supplier_code:
        stmt = stmt.join(Supplier, Supplier.id == PurchaseOrder.supplier_id).where(
            Supplier.code == supplier_code
        )
    ids, total = _page(conn, stmt, page)
    return page.of([purchase_order(conn, i) for i in ids], total)


def shipment_id_of(conn: Connection, code: str) -> uuid.UUID:
    found = conn.execute(select(InboundShipment.id).where(InboundShipment.code == code)).scalar()
    if found is None:
        raise NotFound(f"no shipment {code!r}", [FieldError("code", "no shipment has this code")])
    return found


def shipment(conn: Connection, shipment_id: uuid.UUID) -> ShipmentOut:
    orm = _orm(conn)
    s, wh = orm.execute(
        select(InboundShipment, Warehouse.code)
        .join(Warehouse, Warehouse.id == InboundShipment.warehouse_id)
        .where(InboundShipment.id == shipment_id)
    ).one()
    rows = conn.execute(
        select(PurchaseOrder.number, PurchaseOrderLine.line_no, Sku.code, ShipmentLine.expected_qty)
        .add_columns(ShipmentLine.received_qty, ShipmentLine.settled, PurchaseOrderLine.unit_cost)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == ShipmentLine.po_line_id)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.po_id)
        .join(Sku, Sku.id == ShipmentLine.sku_id)
        .where(ShipmentLine.shipment_id == shipment_id)
        .order_by(PurchaseOrder.number, PurchaseOrderLine.line_no)
    ).all()
    costs = orm.execute(
        select(ShipmentCost).where(ShipmentCost.shipment_id == shipment_id).order_by(ShipmentCost.recorded_at)
    ).all()
    extra = sum(c[0].centavos for c in costs)
    # Goods value: the invoiced quantity at the PO's unit cost, converted once at the shipment's rate.
    landed = landed_costs([(r[3], to_centavos(r[3] * r[6], s.rate_micros)) for r in rows], extra)
    lines = [
        ShipmentLineOut(r[0], r[1], r[2], r[3], r[4], bool(r[5]), lc.goods, lc.added, lc.landed, lc.unit)
        for r, lc in zip(rows, landed, strict=True)
    ]
    milestones = sorted(
        (
            MilestoneOut(m.milestone, m.expected_on, m.actual_on, m.note)
            for (m,) in orm.execute(
                select(ShipmentMilestone).where(ShipmentMilestone.shipment_id == shipment_id)
            )
        ),
        key=lambda m: MILESTONE_ORDER.get(m.milestone, 99),
    )
    return ShipmentOut(
        id=s.id,
        code=s.code,
        warehouse=wh,
        mode=s.mode,
        container_no=s.container_no,
        bill_of_lading=s.bill_of_lading,
        airway_bill=s.airway_bill,
        currency=s.currency,
        rate=rate_text(s.rate_micros),
        status=s.status,
        expected_on=s.expected_on,
        hold_reason=s.hold_reason,
        lines=lines,
        milestones=milestones,
        costs=[
            CostOut(c.kind, c.amount, c.currency, rate_text(c.rate_micros), c.centavos, c.ref)
            for (c,) in costs
        ],
        variances=variances_of(conn, shipment_id),
        costs_centavos=extra,
        closed_at=s.closed_at,
        created_at=s.created_at,
    )


def _variance_select() -> Select[InboundVariance, str, str]:
    return (
        select(InboundVariance, InboundShipment.code, Sku.code)
        .join(InboundShipment, InboundShipment.id == InboundVariance.shipment_id)
        .join(Sku, Sku.id == InboundVariance.sku_id)
    )


def _variance_out(v: InboundVariance, shipment_code: str, sku: str) -> VarianceOut:
    return VarianceOut(
        v.id,
        shipment_code,
        sku,
        v.kind,
        v.qty,
        v.status,
        v.note,
        v.exception_id,
        v.decided_by,
        v.decided_at,
        v.created_at,
    )


def variances_of(conn: Connection, shipment_id: uuid.UUID) -> list[VarianceOut]:
    rows = (
        _orm(conn)
        .execute(
            _variance_select()
            .where(InboundVariance.shipment_id == shipment_id)
            .order_by(InboundVariance.created_at)
        )
        .all()
    )
    return [_variance_out(*r) for r in rows]


def variance(conn: Connection, variance_id: uuid.UUID) -> VarianceOut:
    row = _orm(conn).execute(_variance_select().where(InboundVariance.id == variance_id)).first()
    if row is None:
        raise NotFound(f"no variance {variance_id}", [FieldError("variance_id", "unknown")])
    return _variance_out(*row)


def list_variances(conn: Connection, page: PageParams, status: str | None) -> Page[VarianceOut]:
    stmt = _variance_select()
    if status:
        stmt = stmt.where(InboundVariance.status == status)
    total = conn.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = (
        _orm(conn)
        .execute(
            stmt.order_by(InboundVariance.created_at.desc(), InboundVariance.id)
            .limit(page.limit)
            .offset(page.offset)
        )
        .all()
    )
    return page.of([_variance_out(*r) for r in rows], int(total))


def list_shipments(
    conn: Connection, page: PageParams, status: str | None, warehouse: str | None
) -> Page[ShipmentSummary]:
    units = (
        select(
            ShipmentLine.shipment_id.label("sid"),
            func.sum(ShipmentLine.expected_qty).label("expected"),
            func.sum(ShipmentLine.received_qty).label("received"),
        )
        .group_by(ShipmentLine.shipment_id)
        .subquery()
    )
    stmt = (
        select(InboundShipment, Warehouse.code, units.c.expected, units.c.received)
        .join(Warehouse, Warehouse.id == InboundShipment.warehouse_id)
        .outerjoin(units, units.c.sid == InboundShipment.id)
    )
    if status:
        stmt = stmt.where(InboundShipment.status == status)
    if warehouse:
        stmt = stmt.where(Warehouse.code == warehouse)
    total = conn.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = (
        _orm(conn)
        .execute(
            stmt.order_by(InboundShipment.expected_on, InboundShipment.code)
            .limit(page.limit)
            .offset(page.offset)
        )
        .all()
    )
    return page.of(
        [
            ShipmentSummary(
                s.id, s.code, wh, s.status, s.expected_on, s.hold_reason, int(e or 0), int(r or 0)
            )
            for s, wh, e, r in rows
        ],
        int(total),
    )


def incoming(
    conn: Connection, sku: str | None = None, warehouse: str | None = None, until: date | None = None
) -> list[IncomingOut]:
    """Units still to arrive, by expected date, SKU, warehouse and shipment: what each open
    shipment's lines expect minus what was received. Ordered by date, so the running sum is the
    stock a pre-order may promise by each date."""
    stmt = (
        select(
            Sku.code,
            Warehouse.code,
            InboundShipment.expected_on,
            InboundShipment.code,
            InboundShipment.status,
            func.sum(ShipmentLine.expected_qty - ShipmentLine.received_qty),
        )
        .join(InboundShipment, InboundShipment.id == ShipmentLine.shipment_id)
        .join(Sku, Sku.id == ShipmentLine.sku_id)
        .join(Warehouse, Warehouse.id == InboundShipment.warehouse_id)
        .where(InboundShipment.status != "closed", ShipmentLine.received_qty < ShipmentLine.expected_qty)
        .group_by(
            Sku.code,
            Warehouse.code,
            InboundShipment.expected_on,
            InboundShipment.code,
            InboundShipment.status,
        )
        .order_by(InboundShipment.expected_on, Sku.code, Warehouse.code, InboundShipment.code)
    )
    if sku:
        stmt = stmt.where(Sku.code == sku)
    if warehouse:
        stmt = stmt.where(Warehouse.code == warehouse)
    if until:
        stmt = stmt.where(InboundShipment.expected_on <= until)
    return [IncomingOut(r[0], r[1], r[2], int(r[5]), r[3], r[4]) for r in conn.execute(stmt).all()]


def incoming_by(
    conn: Connection, sku_ids: list[uuid.UUID], warehouse_id: uuid.UUID, until: date
) -> dict[uuid.UUID, int]:
    """For the channels' pre-order read: units of each SKU expected at the warehouse by `until`."""
    if not sku_ids:
        return {}
    rows = conn.execute(
        select(ShipmentLine.sku_id, func.sum(ShipmentLine.expected_qty - ShipmentLine.received_qty))
        .join(InboundShipment, InboundShipment.id == ShipmentLine.shipment_id)
        .where(
            InboundShipment.status != "closed",
            InboundShipment.warehouse_id == warehouse_id,
            InboundShipment.expected_on <= until,
            ShipmentLine.received_qty < ShipmentLine.expected_qty,
            ShipmentLine.sku_id.in_(sku_ids),
        )
        .group_by(ShipmentLine.sku_id)
    ).all()
    out: dict[uuid.UUID, int] = defaultdict(int)
    for sid, qty in rows:
        out[sid] += int(qty)
    return dict(out)


def landed_unit_costs(conn: Connection) -> dict[uuid.UUID, int]:
    """What a unit of each SKU cost landed (goods plus its share of duties, brokerage and freight,
    in centavos), from the latest shipment that brought it in: the latest-cost basis the
    inventory valuation uses. SKUs never received from a shipment are absent."""
    r = InboundReceipt
    latest: dict[uuid.UUID, tuple[datetime, uuid.UUID]] = {}
    for sku_id, shipment_id, at in conn.execute(
        select(r.sku_id, r.shipment_id, func.max(r.received_at))
        .where(r.line_id.is_not(None))  # units the shipment did not list have no cost of their own
        .group_by(r.sku_id, r.shipment_id)
    ).all():
        if sku_id not in latest or at > latest[sku_id][0]:
            latest[sku_id] = (at, shipment_id)
    codes = (
        dict(conn.execute(select(Sku.code, Sku.id).where(Sku.id.in_(list(latest)))).all()) if latest else {}
    )
    lines = {sid: shipment(conn, sid).lines for sid in {s for _, s in latest.values()}}
    out: dict[uuid.UUID, int] = {}
    for code, sku_id in codes.items():
        mine = [ln for ln in lines[latest[sku_id][1]] if ln.sku == code and ln.expected]
        qty = sum(ln.expected for ln in mine)
        if qty:  # several PO lines of one SKU: their landed total over their units, half up
            out[sku_id] = (2 * sum(ln.landed_centavos for ln in mine) + qty) // (2 * qty)
    return out
