"""HTTP endpoints for inbound: suppliers, purchase orders, shipments through customs, receiving,
variances, dated incoming stock and the landed-cost report. Supervisors and admins: the warehouse
receives through its phones (stock.received ops naming the shipment)."""

# No `from __future__ import annotations`: Litestar resolves these signatures at runtime.
import uuid
from typing import Any, Literal

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

import server.inbound.jobs  # noqa: F401  # pyright: ignore[reportUnusedImport]  (registers the overdue job)
from server.auth.principal import MANAGERS, Principal
from server.db import Database
from server.inbound import report, services, views
from server.inbound.schemas import (
    CostIn,
    DecisionIn,
    IncomingOut,
    MilestoneIn,
    PurchaseOrderIn,
    PurchaseOrderOut,
    ShipmentIn,
    ShipmentOut,
    ShipmentReceiptIn,
    ShipmentSummary,
    SupplierIn,
    SupplierOut,
    VarianceOut,
)
from server.inventory.models import Warehouse
from server.pagination import PAGINATION, Page, PageParams, TextFilter, UrlKey, require_known

Db = NamedDependency[Database]
Req = Request[Principal, Any, Any]
ShipmentStatus = Literal[
    "planned", "in_transit", "at_port", "in_customs", "held", "released", "delivered", "receiving", "closed"
]
VarianceStatus = Literal["open", "accept", "reject", "return_to_supplier"]


class InboundController(Controller):
    path = "/api/v1/inbound"
    tags = ["inbound"]

    @get("/suppliers", opt=MANAGERS, dependencies=PAGINATION, summary="List suppliers")
    async def list_suppliers(
        self, db: Db, page: NamedDependency[PageParams], q: TextFilter = None
    ) -> Page[SupplierOut]:
        return await db.run_read(views.list_suppliers, page, q)

    @post("/suppliers", opt=MANAGERS, summary="Add a supplier")
    async def add_supplier(self, db: Db, data: JSONBody[SupplierIn]) -> SupplierOut:
        return await services.add_supplier(db, data)

    @get("/suppliers/{code:str}", opt=MANAGERS, summary="One supplier")
    async def get_supplier(self, db: Db, code: UrlKey) -> SupplierOut:
        return await db.run_read(views.supplier, code)

    @get(
        "/purchase-orders",
        opt=MANAGERS,
        dependencies=PAGINATION,
        summary="List purchase orders, newest first",
    )
    async def list_purchase_orders(
        self, db: Db, page: NamedDependency[PageParams], supplier: TextFilter = None
    ) -> Page[PurchaseOrderOut]:
        return await db.run_read(views.list_purchase_orders, page, supplier)

    @post("/purchase-orders", opt=MANAGERS, summary="Raise a purchase order")
    async def add_purchase_order(
        self, request: Req, db: Db, data: JSONBody[PurchaseOrderIn]
    ) -> PurchaseOrderOut:
        return await services.add_purchase_order(db, data, request.user.actor)

    @get("/purchase-orders/{number:str}", opt=MANAGERS, summary="One purchase order, with what has shipped")
    async def get_purchase_order(self, db: Db, number: UrlKey) -> PurchaseOrderOut:
        po_id = await db.run_read(views.po_id_of, number)
        return await db.run_read(views.purchase_order, po_id)

    @get("/shipments", opt=MANAGERS, dependencies=PAGINATION, summary="List shipments by expected date")
    async def list_shipments(
        self,
        db: Db,
        page: NamedDependency[PageParams],
        status: FromQuery[ShipmentStatus | None] = None,
        warehouse: TextFilter = None,
    ) -> Page[ShipmentSummary]:
        async with db.read() as session:
            await require_known(session, Warehouse.code, warehouse, "warehouse")
        return await db.run_read(views.list_shipments, page, status, warehouse)

    @post("/shipments", opt=MANAGERS, summary="Record an inbound shipment (ASN) carrying PO lines")
    async def add_shipment(self, db: Db, data: JSONBody[ShipmentIn]) -> ShipmentOut:
        return await services.add_shipment(db, data)

    @get(
        "/shipments/{code:str}",
        opt=MANAGERS,
        summary="One shipment: lines, landed cost, milestones, variances",
    )
    async def get_shipment(self, db: Db, code: UrlKey) -> ShipmentOut:
        return await services.shipment(db, code)

    @post(
        "/shipments/{code:str}/milestones",
        opt=MANAGERS,
        summary="Record a milestone's expected or actual date",
    )
    async def add_milestone(
        self, request: Req, db: Db, code: UrlKey, data: JSONBody[MilestoneIn]
    ) -> ShipmentOut:
        return await services.milestone(db, code, data, request.user.actor)

    @post("/shipments/{code:str}/costs", opt=MANAGERS, summary="Record duties, brokerage or freight")
    async def add_cost(self, request: Req, db: Db, code: UrlKey, data: JSONBody[CostIn]) -> ShipmentOut:
        return await services.cost(db, code, data, request.user.actor)

    @post("/shipments/{code:str}/receipts", opt=MANAGERS, summary="Receive goods against the shipment")
    async def add_receipt(
        self, request: Req, db: Db, code: UrlKey, data: JSONBody[ShipmentReceiptIn]
    ) -> ShipmentOut:
        return await services.receive(db, code, data, request.user.actor)

    @post(
        "/shipments/{code:str}/finish-receiving",
        opt=MANAGERS,
        summary="Nothing more is coming: short lines become variances",
    )
    async def finish_receiving(self, db: Db, code: UrlKey) -> ShipmentOut:
        return await services.finish(db, code)

    @get(
        "/variances", opt=MANAGERS, dependencies=PAGINATION, summary="List receiving variances, newest first"
    )
    async def list_variances(
        self, db: Db, page: NamedDependency[PageParams], status: FromQuery[VarianceStatus | None] = None
    ) -> Page[VarianceOut]:
        return await db.run_read(views.list_variances, page, status)

    @post("/variances/{variance_id:uuid}/decide", opt=MANAGERS, summary="Accept, reject or return a variance")
    async def decide(
        self, request: Req, db: Db, variance_id: FromPath[uuid.UUID], data: JSONBody[DecisionIn]
    ) -> VarianceOut:
        return await services.decide(db, variance_id, data, request.user.actor)

    @get("/incoming", opt=MANAGERS, summary="Units on the way, by expected date, SKU and warehouse")
    async def incoming(
        self, db: Db, sku: TextFilter = None, warehouse: TextFilter = None
    ) -> list[IncomingOut]:
        async with db.read() as session:
            await require_known(session, Warehouse.code, warehouse, "warehouse")
        return await db.run_read(views.incoming, sku, warehouse)

    @post(
        "/overdue-check", opt=MANAGERS, summary="Raise exceptions for shipments past their expected date now"
    )
    async def overdue(self, db: Db) -> list[str]:
        return await services.check_overdue(db)

    @get("/report.csv", opt=MANAGERS, summary="Inbound status and landed cost, CSV", media_type="text/csv")
    async def report_csv(self, db: Db, status: FromQuery[ShipmentStatus | None] = None) -> Response[str]:
        shipments = await db.run_read(report.shipments_for_report, status)
        return Response(
            report.render_csv(shipments),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="inbound.csv"'},
        )

    @get(
        "/report.pdf",
        opt=MANAGERS,
        summary="Inbound status and landed cost, PDF",
        media_type="application/pdf",
    )
    async def report_pdf(self, db: Db, status: FromQuery[ShipmentStatus | None] = None) -> Response[bytes]:
        shipments = await db.run_read(report.shipments_for_report, status)
        pdf = await anyio.to_thread.run_sync(report.render_pdf, shipments)  # reportlab blocks
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="inbound.pdf"'},
        )


inbound_routes: list[Any] = [InboundController]
