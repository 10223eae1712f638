"""HTTP endpoints for stock: receipts, adjustments, balances, the movement ledger, safety buffers."""

from typing import Any

from litestar import Controller, Request, get, post, put

from server.auth.principal import ADMIN, MANAGERS, STAFF, Principal, check_warehouse, warehouse_filter
from server.db import Database
from server.inventory import services
from server.inventory.schemas import (
    AdjustmentIn,
    BalanceOut,
    BufferIn,
    MovementOut,
    PostedOut,
    ReceiptIn,
    TransferIn,
)
from server.pagination import PAGINATION, Page, PageParams, TextFilter, UrlKey


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
        return await services.list_balances(db, page, warehouse=warehouse, sku=sku, q=q, low=low)

    @post("/receipts", opt=STAFF, summary="Receive stock into a warehouse (goods in)")
    async def receive(
        self, request: Request[Principal, Any, Any], db: Database, data: ReceiptIn
    ) -> PostedOut:
        check_warehouse(request.user, data.warehouse)
        return await services.receive(db, data, request.user.actor)

    @post("/adjustments", opt=ADMIN, summary="Correct stock by a signed quantity, with a reason")
    async def adjust(
        self, request: Request[Principal, Any, Any], db: Database, data: AdjustmentIn
    ) -> PostedOut:
        check_warehouse(request.user, data.warehouse)
        return await services.adjust(db, data, request.user.actor)

    @post("/transfers", opt=MANAGERS, summary="Move free stock from one warehouse to another")
    async def move_between(
        self, request: Request[Principal, Any, Any], db: Database, data: TransferIn
    ) -> PostedOut:
        check_warehouse(request.user, data.from_warehouse, "from_warehouse")
        check_warehouse(request.user, data.to_warehouse, "to_warehouse")
        return await services.move_between(db, data, request.user.actor)

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
        return await services.change_buffer(db, warehouse, sku, data.safety_buffer, request.user.actor)

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
        return await services.list_movements(db, page, warehouse=warehouse, sku=sku, kind=kind, ref_id=ref_id)


stock_routes: list[Any] = [StockController]
