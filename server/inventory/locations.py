"""Warehouses and their bins: services and HTTP endpoints. Staff read them; only admins change them.

No `from __future__ import annotations`: Litestar resolves the handler signatures at runtime.
"""

from collections.abc import Sequence
from typing import Any

import anyio
from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from msgspec import UNSET
from sqlalchemy import Select, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.address import region_code
from server.auth.principal import ADMIN, STAFF, Principal, check_warehouse
from server.db import Database
from server.db.orm import orm_session
from server.db.touched import touched
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.inventory.bin_labels import MAX_BINS, render_bin_labels
from server.inventory.entities import location_entities
from server.inventory.location_schemas import (
    BinIn,
    BinOut,
    BinPatch,
    BinsOut,
    NewBins,
    WarehouseIn,
    WarehouseOut,
    WarehousePatch,
)
from server.inventory.models import Bin, Warehouse
from server.pagination import PAGINATION, Page, PageParams, TextFilter, UrlKey, fetch_page

# ---------------------------------------------------------------------------------------------
# Warehouses


def _region(value: str, field: str) -> str:
    """The PSGC code for a region code or name; "" stays "" (not set)."""
    if not value:
        return ""
    code = region_code(value)
    if code is None:
        raise InvalidInput(
            f"{value!r} is not a Philippine region",
            [
                FieldError(
                    field, f"{value!r} is not a Philippine region; use a PSGC code such as NCR, VII or IV-A"
                )
            ],
        )
    return code


def _regions(values: Sequence[str]) -> list[str]:
    codes = [_region(value, f"serves_regions[{i}]") for i, value in enumerate(values)]
    return list(dict.fromkeys(codes))  # "VII" and "Central Visayas" are one region


def _warehouse_out(warehouse: Warehouse) -> WarehouseOut:
    return WarehouseOut(
        id=warehouse.id,
        code=warehouse.code,
        name=warehouse.name,
        city=warehouse.city,
        province=warehouse.province,
        region=warehouse.region,
        priority=warehouse.priority,
        serves_regions=list(warehouse.serves_regions),
        active=warehouse.active,
        created_at=warehouse.created_at,
    )


def find_warehouse(session: Session, code: str) -> Warehouse | None:
    return session.scalar(select(Warehouse).where(Warehouse.code == code))


def _warehouse_or_404(session: Session, code: str) -> Warehouse:
    warehouse = find_warehouse(session, code)
    if warehouse is None:
        raise NotFound(
            f"no warehouse has the code {code}", [FieldError("code", "no warehouse has this code")]
        )
    return warehouse


def _check_warehouse_code_free(session: Session, code: str) -> None:
    if find_warehouse(session, code) is not None:
        raise Conflict(
            f"warehouse {code} already exists", [FieldError("code", f"warehouse {code} already exists")]
        )


async def list_warehouses(
    db: Database, page: PageParams, *, active: bool | None = None
) -> Page[WarehouseOut]:
    """In allocation order: lowest priority number first, then by code."""
    stmt = select(Warehouse).order_by(Warehouse.priority, Warehouse.code)
    if active is not None:
        stmt = stmt.where(Warehouse.active == active)
    return await db.run_read(_warehouse_page, stmt, page)


def _warehouse_page(conn: Connection, stmt: Select[Warehouse], page: PageParams) -> Page[WarehouseOut]:
    with orm_session(conn) as session:
        warehouses, total = fetch_page(session, stmt, page)
        return page.of([_warehouse_out(w) for w in warehouses], total)


async def create_warehouse(db: Database, data: WarehouseIn) -> WarehouseOut:
    region, serves_regions = _region(data.region, "region"), _regions(data.serves_regions)
    try:
        return await db.run_write(_create_warehouse, data, region, serves_regions)
    except IntegrityError as exc:
        await db.run_read(_recheck_warehouse_code, data.code)
        raise Conflict("the warehouse changed at the same moment", [FieldError("code", "try again")]) from exc


def _create_warehouse(
    conn: Connection, data: WarehouseIn, region: str, serves_regions: list[str]
) -> WarehouseOut:
    with orm_session(conn) as session:
        _check_warehouse_code_free(session, data.code)
        warehouse = Warehouse(
            code=data.code,
            name=data.name,
            city=data.city,
            province=data.province,
            region=region,
            priority=data.priority,
            serves_regions=serves_regions,
            active=data.active,
        )
        session.add(warehouse)
        session.flush()
        return _warehouse_out(warehouse)


def _recheck_warehouse_code(conn: Connection, code: str) -> None:
    with orm_session(conn) as session:
        _check_warehouse_code_free(session, code)


async def update_warehouse(db: Database, code: str, data: WarehousePatch) -> WarehouseOut:
    return await db.run_write(_update_warehouse, code, data)


def _update_warehouse(conn: Connection, code: str, data: WarehousePatch) -> WarehouseOut:
    with orm_session(conn) as session:
        warehouse = _warehouse_or_404(session, code)
        if data.name is not UNSET:
            warehouse.name = data.name
        if data.city is not UNSET:
            warehouse.city = data.city
        if data.province is not UNSET:
            warehouse.province = data.province
        if data.region is not UNSET:
            warehouse.region = _region(data.region, "region")
        if data.priority is not UNSET:
            warehouse.priority = data.priority
        if data.serves_regions is not UNSET:
            warehouse.serves_regions = _regions(data.serves_regions)
        if data.active is not UNSET:
            warehouse.active = data.active
        session.flush()
        return _warehouse_out(warehouse)


# ---------------------------------------------------------------------------------------------
# Bins


def _bin_out(warehouse: Warehouse, row: Bin) -> BinOut:
    return BinOut(
        id=row.id,
        warehouse=warehouse.code,
        code=row.code,
        zone=row.zone,
        active=row.active,
        created_at=row.created_at,
    )


async def list_bins(
    db: Database,
    warehouse_code: str,
    page: PageParams,
    *,
    zone: str | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> Page[BinOut]:
    """Bins by code, which is also walking order when labels run aisle-shelf-level (A-01-03)."""
    return await db.run_read(_bin_page, warehouse_code, page, zone, active, q)


def _bin_page(
    conn: Connection,
    warehouse_code: str,
    page: PageParams,
    zone: str | None,
    active: bool | None,
    q: str | None,
) -> Page[BinOut]:
    with orm_session(conn) as session:
        warehouse = _warehouse_or_404(session, warehouse_code)
        stmt = select(Bin).where(Bin.warehouse_id == warehouse.id).order_by(Bin.code)
        if zone is not None:
            stmt = stmt.where(Bin.zone == zone)
        if active is not None:
            stmt = stmt.where(Bin.active == active)
        if q:
            stmt = stmt.where(Bin.code.icontains(q, autoescape=True))
        bins, total = fetch_page(session, stmt, page)
        return page.of([_bin_out(warehouse, b) for b in bins], total)


def _bins_to_add(data: NewBins) -> tuple[list[tuple[str, BinIn]], bool]:
    """(field name, bin) for each bin in the request, and whether it was the bulk form."""
    if data.bins is not UNSET:
        if data.code is not UNSET:
            raise InvalidInput(
                "send one bin or a list of bins, not both", [FieldError("bins", "send code or bins")]
            )
        if not data.bins:
            raise InvalidInput("no bins to add", [FieldError("bins", "give at least one bin")])
        return [(f"bins[{i}].code", b) for i, b in enumerate(data.bins)], True
    if data.code is UNSET:
        raise InvalidInput("no bin to add", [FieldError("code", "give the bin's code, or a list of bins")])
    return [("code", BinIn(code=data.code, zone=data.zone, active=data.active))], False


def _check_bin_codes_free(session: Session, warehouse: Warehouse, bins: list[tuple[str, BinIn]]) -> None:
    codes = [b.code for _, b in bins]
    stmt = select(Bin.code).where(Bin.warehouse_id == warehouse.id, Bin.code.in_(codes))
    taken = set(session.scalars(stmt))
    clashes = [
        FieldError(field, f"bin {b.code} already exists in {warehouse.code}")
        for field, b in bins
        if b.code in taken
    ]
    if clashes:
        raise Conflict(f"some bins already exist in {warehouse.code}", clashes)


async def add_bins(db: Database, warehouse_code: str, data: NewBins) -> BinOut | BinsOut:
    bins, bulk = _bins_to_add(data)
    seen: set[str] = set()
    twice: list[FieldError] = []
    for field, b in bins:
        if b.code in seen:
            twice.append(FieldError(field, f"bin {b.code} is listed twice"))
        seen.add(b.code)
    if twice:
        raise InvalidInput("some bins are listed twice", twice)
    try:
        added = await db.run_write(_add_bins, warehouse_code, bins)
    except IntegrityError as exc:
        await db.run_read(_recheck_bin_codes, warehouse_code, bins)
        raise Conflict("the bins changed at the same moment", [FieldError(bins[0][0], "try again")]) from exc
    return BinsOut(bins=added) if bulk else added[0]


def _add_bins(conn: Connection, warehouse_code: str, bins: list[tuple[str, BinIn]]) -> list[BinOut]:
    with orm_session(conn) as session:
        warehouse = _warehouse_or_404(session, warehouse_code)
        _check_bin_codes_free(session, warehouse, bins)
        rows = [Bin(warehouse_id=warehouse.id, code=b.code, zone=b.zone, active=b.active) for _, b in bins]
        session.add_all(rows)
        session.flush()
        return [_bin_out(warehouse, row) for row in rows]


def _recheck_bin_codes(conn: Connection, warehouse_code: str, bins: list[tuple[str, BinIn]]) -> None:
    with orm_session(conn) as session:
        _check_bin_codes_free(session, _warehouse_or_404(session, warehouse_code), bins)


async def update_bin(db: Database, warehouse_code: str, bin_code: str, data: BinPatch) -> BinOut:
    return await db.run_write(_update_bin, warehouse_code, bin_code, data)


def _update_bin(conn: Connection, warehouse_code: str, bin_code: str, data: BinPatch) -> BinOut:
    with orm_session(conn) as session:
        warehouse = _warehouse_or_404(session, warehouse_code)
        row = session.scalar(select(Bin).where(Bin.warehouse_id == warehouse.id, Bin.code == bin_code))
        if row is None:
            raise NotFound(
                f"no bin {bin_code} in {warehouse.code}",
                [FieldError("bin_code", "no bin has this code here")],
            )
        if data.zone is not UNSET:
            row.zone = data.zone
        if data.active is not UNSET:
            row.active = data.active
        session.flush()
        # The phones hear of it when the transaction ends (a bin switched off leaves their bin list).
        touched(conn).changes.update(location_entities(conn, [row.id]))
        return _bin_out(warehouse, row)


# ---------------------------------------------------------------------------------------------
# HTTP

Db = NamedDependency[Database]


class WarehouseController(Controller):
    path = "/api/v1/warehouses"
    tags = ["warehouses"]

    @get("/", opt=STAFF, dependencies=PAGINATION, summary="List warehouses in allocation order")
    async def get_warehouses(
        self, db: Db, page: NamedDependency[PageParams], active: FromQuery[bool | None] = None
    ) -> Page[WarehouseOut]:
        return await list_warehouses(db, page, active=active)

    @post("/", opt=ADMIN, summary="Add a warehouse")
    async def post_warehouse(self, db: Db, data: JSONBody[WarehouseIn]) -> WarehouseOut:
        return await create_warehouse(db, data)

    @patch("/{code:str}", opt=ADMIN, summary="Change a warehouse; the code stays")
    async def patch_warehouse(self, db: Db, code: UrlKey, data: JSONBody[WarehousePatch]) -> WarehouseOut:
        return await update_warehouse(db, code, data)

    @get("/{code:str}/bins", opt=STAFF, dependencies=PAGINATION, summary="List a warehouse's bins by code")
    async def get_bins(
        self,
        request: Request[Principal, Any, Any],
        db: Db,
        code: UrlKey,
        page: NamedDependency[PageParams],
        zone: TextFilter = None,
        active: FromQuery[bool | None] = None,
        q: TextFilter = None,
    ) -> Page[BinOut]:
        check_warehouse(request.user, code, "code")
        return await list_bins(db, code, page, zone=zone, active=active, q=q)

    @get(
        "/{code:str}/bins/labels.pdf",
        opt=STAFF,
        media_type="application/pdf",
        summary="Printable bin labels (A4, 24 a sheet): the bin code over its Code128 barcode",
    )
    async def get_bin_labels(
        self,
        request: Request[Principal, Any, Any],
        db: Db,
        code: UrlKey,
        zone: TextFilter = None,
        q: TextFilter = None,
    ) -> Response[bytes]:
        check_warehouse(request.user, code, "code")
        page = PageParams(limit=MAX_BINS, offset=0)
        bins = await list_bins(db, code, page, zone=zone, active=True, q=q)
        rows = [(b.code, b.zone or "") for b in bins.items]
        content = await anyio.to_thread.run_sync(render_bin_labels, code, rows)
        headers = {"Content-Disposition": f'inline; filename="bins-{code}.pdf"'}
        return Response(content, media_type="application/pdf", headers=headers)

    @post("/{code:str}/bins", opt=ADMIN, summary="Add one bin, or many with {'bins': [...]}")
    async def post_bins(self, db: Db, code: UrlKey, data: JSONBody[NewBins]) -> BinOut | BinsOut:
        return await add_bins(db, code, data)

    @patch("/{code:str}/bins/{bin_code:str}", opt=ADMIN, summary="Change a bin's zone or active flag")
    async def patch_bin(self, db: Db, code: UrlKey, bin_code: UrlKey, data: JSONBody[BinPatch]) -> BinOut:
        return await update_bin(db, code, bin_code, data)


location_routes: list[Any] = [WarehouseController]
