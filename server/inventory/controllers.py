"""HTTP endpoints for stock: receipts, adjustments, balances, the movement ledger, safety buffers."""

from collections.abc import Callable
from functools import partial
from typing import Any

from litestar import Controller, Request, get, post, put
from sqlalchemy import select
from sqlalchemy.orm import aliased

from server.auth.principal import ADMIN, MANAGERS, STAFF, Principal, check_warehouse, warehouse_filter
from server.catalog.models import Sku
from server.db import Database
from server.inventory.ledger import Movement
from server.inventory.models import Bin, StockBalance, StockMovement, Warehouse
from server.inventory.schemas import (
    AdjustmentIn,
    BalanceOut,
    BufferIn,
    MovementOut,
    PostedOut,
    ReceiptIn,
    TransferIn,
)
from server.inventory.stock import (
    balance_out,
    balance_query,
    post_lines,
    posted,
    set_buffer,
    transfer,
)
from server.pagination import PAGINATION, Page, PageParams, TextFilter, UrlKey, count, require_known


class StockController(Controller):
    path = "/api/v1/stock"
    tags = ["stock"]

    @get(
        "/",
        opt=STAFF,
        dependencies=PAGINATION,
        summary="Balances per SKU and warehouse: on hand, reserved, available",
    )
    async def balances(
        self,
        request: Request[Principal, Any, Any],
        db: Database,
        page: PageParams,
        warehouse: TextFilter = None,
        sku: TextFilter = None,
        q: TextFilter = None,
        low: bool = False,
    ) -> Page[BalanceOut]:
        warehouse = warehouse_filter(request.user, warehouse)
        stmt = balance_query()
        if warehouse:
            stmt = stmt.where(Warehouse.code == warehouse)
        if sku:
            stmt = stmt.where(Sku.code == sku)
        if q:
            stmt = stmt.where(Sku.code.contains(q) | Sku.name.contains(q))
        if low:
            stmt = stmt.where(StockBalance.on_hand - StockBalance.reserved - StockBalance.safety_buffer <= 0)
        async with db.reader.connect() as conn:
            await require_known(conn, Warehouse.code, warehouse, "warehouse")
            total = await count(conn, stmt)
            rows = (
                await conn.execute(
                    stmt.order_by(Sku.code, Warehouse.code).limit(page.limit).offset(page.offset)
                )
            ).all()
        return page.of([balance_out(r) for r in rows], total)

    @post("/receipts", opt=STAFF, summary="Receive stock into a warehouse (goods in)")
    async def receive(
        self, request: Request[Principal, Any, Any], db: Database, data: ReceiptIn
    ) -> PostedOut:
        check_warehouse(request.user, data.warehouse)
        post = partial(
            post_lines,
            warehouse=data.warehouse,
            lines=data.lines,
            kind="receive",
            signed=False,
            reason="received",
            ref_type="receipt",
            ref_id=data.reference[:64],
            actor=request.user.actor,
        )
        return await _posted(db, post)

    @post("/adjustments", opt=ADMIN, summary="Correct stock by a signed quantity, with a reason")
    async def adjust(
        self, request: Request[Principal, Any, Any], db: Database, data: AdjustmentIn
    ) -> PostedOut:
        check_warehouse(request.user, data.warehouse)
        post = partial(
            post_lines,
            warehouse=data.warehouse,
            lines=data.lines,
            kind="adjust",
            signed=True,
            reason=data.reason,
            ref_type="adjustment",
            ref_id="",
            actor=request.user.actor,
        )
        return await _posted(db, post)

    @post("/transfers", opt=MANAGERS, summary="Move free stock from one warehouse to another")
    async def move_between(
        self, request: Request[Principal, Any, Any], db: Database, data: TransferIn
    ) -> PostedOut:
        check_warehouse(request.user, data.from_warehouse, "from_warehouse")
        check_warehouse(request.user, data.to_warehouse, "to_warehouse")
        return await _posted(db, transfer, data, request.user.actor)

    @put(
        "/{warehouse:str}/{sku:str}/buffer",
        opt=ADMIN,
        summary="Units of a SKU held back from sale in a warehouse",
    )
    async def buffer(
        self,
        request: Request[Principal, Any, Any],
        db: Database,
        warehouse: UrlKey,
        sku: UrlKey,
        data: BufferIn,
    ) -> BalanceOut:
        check_warehouse(request.user, warehouse)
        return await db.run_write(set_buffer, warehouse, sku, data.safety_buffer)

    @get("/movements", opt=STAFF, dependencies=PAGINATION, summary="The stock ledger, newest first")
    async def movements(
        self,
        request: Request[Principal, Any, Any],
        db: Database,
        page: PageParams,
        warehouse: TextFilter = None,
        sku: TextFilter = None,
        kind: TextFilter = None,
        ref_id: TextFilter = None,
    ) -> Page[MovementOut]:
        warehouse = warehouse_filter(request.user, warehouse)
        bin_ = aliased(Bin)
        stmt = (
            select(StockMovement, Sku.code, Warehouse.code, bin_.code)
            .join(Sku, Sku.id == StockMovement.sku_id)
            .join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
            .outerjoin(bin_, bin_.id == StockMovement.bin_id)
        )
        if warehouse:
            stmt = stmt.where(Warehouse.code == warehouse)
        if sku:
            stmt = stmt.where(Sku.code == sku)
        if kind:
            stmt = stmt.where(StockMovement.kind == kind)
        if ref_id:
            stmt = stmt.where(StockMovement.ref_id == ref_id)
        async with db.read() as conn:
            await require_known(conn, Warehouse.code, warehouse, "warehouse")
            total = await count(conn, stmt)
            rows = (
                await conn.execute(
                    stmt.order_by(StockMovement.id.desc()).limit(page.limit).offset(page.offset)
                )
            ).all()
        items = [
            MovementOut(
                id=m.id,
                sku=s,
                warehouse=w,
                bin=b,
                kind=m.kind,
                qty=m.qty,
                reason=m.reason,
                ref_type=m.ref_type,
                ref_id=m.ref_id,
                actor=m.actor,
                created_at=m.created_at,
            )
            for m, s, w, b in rows
        ]
        return page.of(items, total)


stock_routes: list[Any] = [StockController]


async def _posted(db: Database, fn: Callable[..., list[Movement]], *args: Any) -> PostedOut:
    """Post, then answer with the balances as they stand after the reactions (held orders that
    the stock let through have taken theirs)."""
    moves, reactions = await db.run_write_reacting(fn, *args)
    return await db.run_read(posted, moves, reactions.allocated if reactions else [])
