"""The shipping API: pack (checked), parcels and their paper, dispatch batches (scan, close,
manifest), put-backs of cancelled orders.

PDFs are rendered in a worker thread (anyio.to_thread): reportlab is CPU work that would stall
every other request on the event loop. No `from __future__ import annotations`: Litestar resolves
the handler signatures at runtime.
"""

import uuid
from collections.abc import Callable
from typing import Any, Literal

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from server.auth.principal import STAFF, Principal, warehouse_filter
from server.db import Database
from server.pagination import TextFilter
from server.shipping import services
from server.shipping.paper import render_labels, render_manifest, render_slip
from server.shipping.schemas import (
    BatchIn,
    BatchOut,
    CloseIn,
    PackCheckIn,
    PackCheckOut,
    PackIn,
    ParcelOut,
    PutBackOut,
    ScanIn,
)

PDF = "application/pdf"


async def _read(db: Database, fn: Any, *args: Any) -> Any:
    async with db.reader.connect() as conn:
        return await conn.run_sync(fn, *args)


async def _paper(
    db: Database,
    read: Callable[..., Any],
    render: Callable[[Any], bytes],
    name: Callable[[Any], str],
    key: uuid.UUID,
    caller: Principal,
) -> Response[bytes]:
    """One piece of shipping paper as a PDF: its data read for `caller`, drawn in a worker thread
    (reportlab would stall the event loop), sent inline, for the phone or browser to open in its
    viewer and print from, named by `name(data)`."""
    data = await _read(db, read, key, caller)
    content = await anyio.to_thread.run_sync(render, data)
    disposition = f'inline; filename="{name(data)}"'
    return Response(content, media_type=PDF, headers={"Content-Disposition": disposition})


class ParcelController(Controller):
    path = "/api/v1/parcels"
    tags = ["shipping"]

    @post(
        "/check",
        opt=STAFF,
        status_code=200,
        summary="What is still missing or extra in a parcel being packed",
    )
    async def check(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        data: JSONBody[PackCheckIn],
    ) -> PackCheckOut:
        return await _read(db, services.pack_check, data, request.user)

    @post(
        "/",
        opt=STAFF,
        summary="Pack an order: every unit scanned and nothing else, weighed; it gets its waybill",
    )
    async def pack(
        self, request: Request[Principal, Any, Any], db: NamedDependency[Database], data: JSONBody[PackIn]
    ) -> ParcelOut:
        await db.run_write(services.pack_by_hand, data, request.user)
        return await _read(db, services.parcel_out, data.order, request.user)

    @get("/{order_id:uuid}", opt=STAFF, summary="An order's parcel: waybill, weight, boxes, batch")
    async def get_parcel(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        order_id: FromPath[uuid.UUID],
    ) -> ParcelOut:
        return await _read(db, services.parcel_out, order_id, request.user)

    @get(
        "/{order_id:uuid}/label.pdf",
        opt=STAFF,
        media_type=PDF,
        summary="The parcel's 4x6 inch label(s): waybill barcode (Code128), QR code, COD amount, address",
    )
    async def label(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        order_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        return await _paper(
            db,
            services.label_data,
            render_labels,
            lambda d: f"label-{d[0].waybill}.pdf",
            order_id,
            request.user,
        )

    @get(
        "/{order_id:uuid}/slip.pdf",
        opt=STAFF,
        media_type=PDF,
        summary="The packing slip that goes in the parcel",
    )
    async def slip(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        order_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        return await _paper(
            db, services.slip_data, render_slip, lambda d: f"slip-{d.waybill}.pdf", order_id, request.user
        )


class DispatchBatchController(Controller):
    path = "/api/v1/dispatch-batches"
    tags = ["shipping"]

    @get("/", opt=STAFF, summary="Dispatch batches (courier pickups and rider runs), newest first")
    async def list_batches(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        warehouse: TextFilter = None,
        status: FromQuery[Literal["open", "closed"] | None] = None,
    ) -> list[BatchOut]:
        wh = warehouse_filter(request.user, warehouse)
        return await _read(db, services.list_batches, wh, status)

    @post("/", opt=STAFF, summary="Open a batch for a courier pickup or a rider's run")
    async def open(
        self, request: Request[Principal, Any, Any], db: NamedDependency[Database], data: JSONBody[BatchIn]
    ) -> BatchOut:
        batch_id = await db.run_write(services.new_batch, data, request.user)
        return await _read(db, services.batch_out, batch_id, request.user)

    @get("/{batch_id:uuid}", opt=STAFF, summary="A batch: expected, scanned and missing parcels")
    async def get_batch(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        batch_id: FromPath[uuid.UUID],
    ) -> BatchOut:
        return await _read(db, services.batch_out, batch_id, request.user)

    @post(
        "/{batch_id:uuid}/scan",
        opt=STAFF,
        status_code=200,
        summary="Scan a parcel in: it leaves and its order ships; refused if in another batch or cancelled",
    )
    async def scan(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        batch_id: FromPath[uuid.UUID],
        data: JSONBody[ScanIn],
    ) -> BatchOut:
        await db.run_write(services.scan_by_hand, batch_id, data.waybill, request.user)
        return await _read(db, services.batch_out, batch_id, request.user)

    @post(
        "/{batch_id:uuid}/close",
        opt=STAFF,
        status_code=200,
        summary="Close the batch (refused while expected parcels are missing, unless leave_missing)",
    )
    async def close(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        batch_id: FromPath[uuid.UUID],
        data: JSONBody[CloseIn],
    ) -> BatchOut:
        await db.run_write(services.close_by_hand, batch_id, data, request.user)
        return await _read(db, services.batch_out, batch_id, request.user)

    @get(
        "/{batch_id:uuid}/manifest.pdf",
        opt=STAFF,
        media_type=PDF,
        summary="The handover manifest: the batch's parcels, totals and signature lines",
    )
    async def manifest(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        batch_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        return await _paper(
            db,
            services.manifest_data,
            render_manifest,
            lambda _: f"manifest-{batch_id}.pdf",
            batch_id,
            request.user,
        )


class PutBackController(Controller):
    path = "/api/v1/put-backs"
    tags = ["shipping"]

    @get("/", opt=STAFF, summary="Put-backs: units of orders cancelled while being picked or packed")
    async def list_put_backs(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        warehouse: TextFilter = None,
        status: FromQuery[Literal["open", "done"] | None] = None,
    ) -> list[PutBackOut]:
        wh = warehouse_filter(request.user, warehouse)
        return await _read(db, services.list_put_backs, wh, status)


shipping_routes: list[Any] = [ParcelController, DispatchBatchController, PutBackController]
