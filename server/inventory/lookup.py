"""Stock look-up: a warehouse phone scans an item or a bin and sees what is where; and a returned
parcel, to see what should be in it.

One read endpoint, `GET /api/v1/lookup?code=...&warehouse=...`. The code is read as a bin of the
warehouse first (labels are printed upper case), else as a SKU code or one of its barcodes. The
answer says, for an item: the bins holding it, on hand and reserved in the warehouse and for which
orders; for a bin: every SKU in it with the warehouse's on hand and reserved; and, for both, the
latest movements. Warehouse staff see only their own warehouse; a manager names one.

`GET /api/v1/lookup/parcel?code=...` reads a returned parcel's label (the order number, or a
waybill a rider reported an attempt with) and answers the order's lines, for returns intake.

Orders and delivery attempts sit above inventory in the house: they are read here as plain tables
(as server/auth/principal.py reads warehouses), never through their domains' modules.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get
from litestar.params import QueryParameter
from sqlalchemy import String, Uuid, column, select, table
from sqlalchemy.engine import Connection

from server.auth.principal import STAFF, Principal, check_warehouse, warehouse_filter
from server.catalog.models import Barcode, Sku
from server.db import Database
from server.errors import FieldError, InvalidInput, NotFound
from server.inventory.models import Bin, BinBalance, Reservation, StockBalance, StockMovement, Warehouse

ORDERS = table(
    "orders",
    column("id", Uuid),
    column("external_id", String),
    column("status", String),
    column("warehouse_id", Uuid),
)
ORDER_LINES = table(
    "order_lines", column("order_id", Uuid), column("line_no"), column("sku_id", Uuid), column("qty")
)
ATTEMPTS = table("delivery_attempts", column("id"), column("order_ref", String), column("waybill", String))

# A code that names nothing is a 404 (server/openapi.py documents it for `looks_up` routes).
LOOKS_UP = {**STAFF, "looks_up": True}
RECENT = 15  # movements shown: the last few are what a person checks ("was it picked already?")

LookupCode = Annotated[
    str,
    QueryParameter(
        min_length=1,
        max_length=64,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="A bin label, SKU code or barcode",
    ),
]
WarehouseCode = Annotated[str | None, QueryParameter(max_length=32, pattern=r"^[^\x00-\x1f\x7f]*$")]


class BinQty(msgspec.Struct):
    bin: str
    sku: str
    name: str
    qty: int


class SkuStock(msgspec.Struct):
    sku: str
    name: str
    on_hand: int  # in the warehouse
    reserved: int  # held for orders not yet shipped


class ReservedFor(msgspec.Struct):
    order: str  # the channel's order number
    sku: str
    qty: int


class RecentMovement(msgspec.Struct):
    at: datetime
    kind: str
    sku: str
    bin: str | None
    qty: int
    reason: str
    ref: str
    actor: str


class LookupOut(msgspec.Struct):
    code: str
    kind: Literal["bin", "sku"]
    warehouse: str
    bins: list[BinQty]  # where the item is, or what the bin holds (units > 0 or < 0 first)
    stock: list[SkuStock]  # warehouse totals of each SKU shown
    reserved_for: list[ReservedFor]
    movements: list[RecentMovement]  # newest first
    sku: str | None = None
    name: str | None = None
    bin: str | None = None


def _warehouse(conn: Connection, code: str) -> uuid.UUID:
    found = conn.execute(select(Warehouse.id).where(Warehouse.code == code)).scalar()
    if found is None:
        raise InvalidInput(
            f"unknown warehouse {code!r}", [FieldError("warehouse", f"no warehouse has the code {code!r}")]
        )
    return found


def _find_sku(conn: Connection, code: str) -> tuple[uuid.UUID, str, str] | None:
    row = conn.execute(select(Sku.id, Sku.code, Sku.name).where(Sku.code == code)).first()
    if row is None:
        row = conn.execute(
            select(Sku.id, Sku.code, Sku.name)
            .join(Barcode, Barcode.sku_id == Sku.id)
            .where(Barcode.code == code)
        ).first()
    return (row[0], row[1], row[2]) if row else None


def look_up(conn: Connection, wh_code: str, code: str) -> LookupOut:
    wh = _warehouse(conn, wh_code)
    code = code.strip()
    bin_row = conn.execute(
        select(Bin.id, Bin.code).where(Bin.warehouse_id == wh, Bin.code == code.upper())
    ).first()
    if bin_row is not None:
        return _bin(conn, wh, wh_code, bin_row[0], bin_row[1], code)
    sku = _find_sku(conn, code)
    if sku is None:
        raise NotFound(
            f"no bin of {wh_code} and no SKU or barcode is {code!r}",
            [FieldError("code", "not a bin of this warehouse, a SKU code or a barcode")],
        )
    return _sku(conn, wh, wh_code, sku, code)


def _totals(conn: Connection, wh: uuid.UUID, sku_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    rows = conn.execute(
        select(StockBalance.sku_id, StockBalance.on_hand, StockBalance.reserved).where(
            StockBalance.warehouse_id == wh, StockBalance.sku_id.in_(sku_ids)
        )
    ).all()
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def _reserved_for(conn: Connection, wh: uuid.UUID, sku_ids: list[uuid.UUID]) -> list[ReservedFor]:
    rows = conn.execute(
        select(ORDERS.c.external_id, Sku.code, Reservation.qty)
        .join(ORDERS, ORDERS.c.id == Reservation.order_id)
        .join(Sku, Sku.id == Reservation.sku_id)
        .where(
            Reservation.warehouse_id == wh, Reservation.sku_id.in_(sku_ids), Reservation.status == "active"
        )
        .order_by(Reservation.created_at, Reservation.id)
        .limit(50)
    ).all()
    return [ReservedFor(order=r[0], sku=r[1], qty=int(r[2])) for r in rows]


def _movements(
    conn: Connection, wh: uuid.UUID, *, sku_id: uuid.UUID | None = None, bin_id: uuid.UUID | None = None
) -> list[RecentMovement]:
    m = StockMovement
    stmt = (
        select(m.created_at, m.kind, Sku.code, Bin.code, m.qty, m.reason, m.ref_type, m.ref_id, m.actor)
        .join(Sku, Sku.id == m.sku_id)
        .outerjoin(Bin, Bin.id == m.bin_id)
        .where(m.warehouse_id == wh)
    )
    if sku_id is not None:
        stmt = stmt.where(m.sku_id == sku_id)
    if bin_id is not None:
        stmt = stmt.where(m.bin_id == bin_id)
    rows = conn.execute(stmt.order_by(m.id.desc()).limit(RECENT)).all()
    return [
        RecentMovement(
            at=at,
            kind=kind,
            sku=sku,
            bin=bin_code,
            qty=int(qty),
            reason=reason,
            ref=f"{ref_type}:{ref_id}" if ref_id else ref_type,
            actor=actor,
        )
        for at, kind, sku, bin_code, qty, reason, ref_type, ref_id, actor in rows
    ]


def _sku(
    conn: Connection, wh: uuid.UUID, wh_code: str, sku: tuple[uuid.UUID, str, str], code: str
) -> LookupOut:
    sku_id, sku_code, name = sku
    held = conn.execute(
        select(Bin.code, BinBalance.qty)
        .join(Bin, Bin.id == BinBalance.bin_id)
        .where(Bin.warehouse_id == wh, BinBalance.sku_id == sku_id, BinBalance.qty != 0)
        .order_by(Bin.code)
    ).all()
    on_hand, reserved = _totals(conn, wh, [sku_id]).get(sku_id, (0, 0))
    return LookupOut(
        code=code,
        kind="sku",
        warehouse=wh_code,
        sku=sku_code,
        name=name,
        bins=[BinQty(bin=b, sku=sku_code, name=name, qty=int(q)) for b, q in held],
        stock=[SkuStock(sku=sku_code, name=name, on_hand=on_hand, reserved=reserved)],
        reserved_for=_reserved_for(conn, wh, [sku_id]),
        movements=_movements(conn, wh, sku_id=sku_id),
    )


def _bin(
    conn: Connection, wh: uuid.UUID, wh_code: str, bin_id: uuid.UUID, bin_code: str, code: str
) -> LookupOut:
    held = conn.execute(
        select(Sku.id, Sku.code, Sku.name, BinBalance.qty)
        .join(Sku, Sku.id == BinBalance.sku_id)
        .where(BinBalance.bin_id == bin_id, BinBalance.qty != 0)
        .order_by(Sku.code)
    ).all()
    ids = [r[0] for r in held]
    totals = _totals(conn, wh, ids)
    return LookupOut(
        code=code,
        kind="bin",
        warehouse=wh_code,
        bin=bin_code,
        bins=[BinQty(bin=bin_code, sku=r[1], name=r[2], qty=int(r[3])) for r in held],
        stock=[
            SkuStock(
                sku=r[1], name=r[2], on_hand=totals.get(r[0], (0, 0))[0], reserved=totals.get(r[0], (0, 0))[1]
            )
            for r in held
        ],
        reserved_for=_reserved_for(conn, wh, ids) if ids else [],
        movements=_movements(conn, wh, bin_id=bin_id),
    )


class ParcelLine(msgspec.Struct):
    sku: str
    name: str
    qty: int


class ParcelOut(msgspec.Struct):
    code: str
    order: str  # the channel's order number
    status: str
    warehouse: str | None  # where it was allocated, if anywhere
    lines: list[ParcelLine]


def parcel(conn: Connection, code: str) -> tuple[ParcelOut, str | None]:
    """The order a parcel label names (order number, else a reported waybill) and its lines."""
    code = code.strip()
    o = ORDERS.c
    cols = (o.id, o.external_id, o.status, Warehouse.code)
    base = select(*cols).outerjoin(Warehouse, Warehouse.id == o.warehouse_id)
    row = conn.execute(base.where(o.external_id == code).limit(1)).first()
    if row is None:
        # A waybill a rider reported an attempt with: the order number it was reported for.
        reported = conn.execute(
            select(ATTEMPTS.c.order_ref)
            .where(ATTEMPTS.c.waybill == code)
            .order_by(ATTEMPTS.c.id.desc())
            .limit(1)
        ).scalar()
        if reported is not None:
            row = conn.execute(base.where(o.external_id == reported).limit(1)).first()
    if row is None:
        raise NotFound(
            f"no order and no reported waybill is {code!r}",
            [FieldError("code", "not an order number or a waybill the server knows")],
        )
    order_id, external_id, status, wh_code = row
    lines = conn.execute(
        select(Sku.code, Sku.name, ORDER_LINES.c.qty)
        .join(Sku, Sku.id == ORDER_LINES.c.sku_id)
        .where(ORDER_LINES.c.order_id == order_id)
        .order_by(ORDER_LINES.c.line_no)
    ).all()
    out = ParcelOut(
        code=code,
        order=external_id,
        status=status,
        warehouse=wh_code,
        lines=[ParcelLine(sku=s, name=n, qty=int(q)) for s, n, q in lines],
    )
    return out, wh_code


class LookupController(Controller):
    path = "/api/v1/lookup"
    tags = ["stock"]

    @get("/", opt=LOOKS_UP, summary="What is where: an item's bins, or a bin's items, with recent movements")
    async def lookup(
        self,
        request: Request[Principal, Any, Any],
        db: Database,
        code: LookupCode,
        warehouse: WarehouseCode = None,
    ) -> LookupOut:
        wh = warehouse_filter(request.user, warehouse or None)
        if not wh:
            raise InvalidInput(
                "name the warehouse to look in", [FieldError("warehouse", "required for your role")]
            )
        return await db.run_read(look_up, wh, code)

    @get("/parcel", opt=LOOKS_UP, summary="A returned parcel's order and lines, by order number or waybill")
    async def parcel(
        self, request: Request[Principal, Any, Any], db: Database, code: LookupCode
    ) -> ParcelOut:
        found, wh = await db.run_read(parcel, code)
        if wh is not None:
            check_warehouse(request.user, wh, "code")  # staff see their own warehouse's parcels
        return found


lookup_routes: list[Any] = [LookupController]
