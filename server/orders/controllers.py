"""HTTP endpoints for orders: ingestion (single and batch), reading, and status changes."""

import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import Scope
from litestar.utils.scope.state import ScopeState

from server.auth.principal import MANAGERS, STAFF, Principal
from server.body import refused_items
from server.channels.schemas import Channel
from server.db import Database
from server.errors import BodegaError, FieldError, InvalidInput
from server.orders import services
from server.orders.committer import OrderCommitter
from server.orders.schemas import (
    HistoryEntryOut,
    IngestResult,
    OrderBatchIn,
    OrderIn,
    OrderOut,
    OrderStatus,
    PaymentMethod,
    StatusChangeIn,
)
from server.pagination import PAGINATION, Page, PageParams, TextFilter

INGEST = {"roles": ("admin",), "keep_rejected": "orders"}


# A leading "-" sorts newest/largest first; the default is newest placed first.
OrderSort = Literal[
    "placed_at",
    "-placed_at",
    "ship_by",
    "-ship_by",
    "total_amount",
    "-total_amount",
    "cod_amount",
    "-cod_amount",
]


class RejectedOrder(msgspec.Struct):
    index: int
    external_id: str
    errors: list[FieldError]


class BatchOut(msgspec.Struct):
    results: list[IngestResult]
    rejected: list[RejectedOrder] = []


async def keep_rejected_input(exc: Exception, scope: Scope) -> None:
    """After-exception hook: a refused payload on an ingestion route is stored whole before we answer."""
    from litestar.exceptions import ClientException

    handler = scope.get("route_handler")
    source = handler.opt.get("keep_rejected") if handler else None
    # ClientException covers undecodable JSON (400) and schema errors (422) raised while parsing.
    if not source or not isinstance(exc, ClientException | InvalidInput) or exc.status_code not in (400, 422):
        return
    body = ScopeState.from_scope(scope).body
    if not isinstance(body, bytes):
        return
    problem: dict[str, Any] = {
        "detail": exc.detail if isinstance(exc, InvalidInput) else str(exc.extra or exc.detail)
    }
    if isinstance(exc, InvalidInput):
        problem["errors"] = msgspec.to_builtins(exc.errors)
    db: Database = scope["app"].state.db
    await services.keep_rejected_payload(db, str(source), body, problem)


def _committer(request: Request[Any, Any, Any]) -> OrderCommitter:
    return request.app.state.committer


class OrderController(Controller):
    path = "/api/v1/orders"
    tags = ["orders"]

    @post(
        "/",
        opt=INGEST,
        summary="Ingest one channel order (idempotent by shop + external id)",
        description="201 when the order is new; 200 for a new version, an unchanged re-send or a stale one.",
        responses={200: ResponseSpec(IngestResult, description="A known order: updated, unchanged or stale")},
    )
    async def ingest_one(
        self, request: Request[Principal, Any, Any], data: OrderIn
    ) -> Response[IngestResult]:
        outcome = (await _committer(request).submit([data], request.user.actor))[0]
        if isinstance(outcome, BodegaError):
            raise outcome
        return Response(outcome, status_code=201 if outcome.outcome == "created" else 200)

    @post(
        "/batch",
        opt={**INGEST, "body_items": "orders"},
        summary="Ingest many orders in one request; invalid ones are listed, the rest go in",
        description="201 when the batch created an order; 200 when every order was already known.",
        responses={200: ResponseSpec(BatchOut, description="No new order in the batch")},
    )
    async def ingest_batch(
        self, request: Request[Principal, Any, Any], data: OrderBatchIn, db: Database
    ) -> Response[BatchOut]:
        # Orders the body edge refused (control characters) are reported; the rest go in.
        refused = refused_items(request.scope)
        accepted = [order for i, order in enumerate(data.orders) if i not in refused]
        outcomes = iter(await _committer(request).submit(accepted, request.user.actor) if accepted else [])
        out = BatchOut(results=[])
        for i, order in enumerate(data.orders):
            if i in refused:
                errors, detail = refused[i], "text must not hold control characters"
            else:
                outcome = next(outcomes)
                if not isinstance(outcome, BodegaError):
                    out.results.append(outcome)
                    continue
                errors = [FieldError(f"orders[{i}].{e.field}", e.message) for e in outcome.errors]
                detail = outcome.detail
            out.rejected.append(RejectedOrder(i, order.external_id, errors))
            await services.keep_rejected_payload(
                db,
                "orders",
                msgspec.json.encode(order),
                {"detail": detail, "errors": msgspec.to_builtins(errors)},
            )
        created = any(result.outcome == "created" for result in out.results)
        return Response(out, status_code=201 if created else 200)

    @get("/", opt=MANAGERS, dependencies=PAGINATION, summary="List orders with filters, newest first")
    async def list_orders(
        self,
        db: Database,
        page: PageParams,
        status: OrderStatus | None = None,
        shop: TextFilter = None,
        channel: Channel | None = None,
        payment_method: PaymentMethod | None = None,
        external_id: TextFilter = None,
        placed_from: datetime | None = None,
        placed_to: datetime | None = None,
        waybill: TextFilter = None,
        phone: TextFilter = None,
        backordered: bool | None = None,
        sort: OrderSort | None = None,
    ) -> Page[OrderOut]:
        return await services.list_orders(
            db,
            page,
            status=status,
            shop=shop,
            channel=channel,
            payment_method=payment_method,
            external_id=external_id,
            placed_from=placed_from,
            placed_to=placed_to,
            waybill=waybill,
            phone=phone,
            backordered=backordered,
            sort=sort,
        )

    @get(
        "/{order_id:uuid}",
        opt=STAFF,
        summary="One order with its lines (warehouse staff: their own warehouse's)",
    )
    async def get_order(
        self, request: Request[Principal, Any, Any], db: Database, order_id: uuid.UUID
    ) -> OrderOut:
        return await services.get_order(db, order_id, request.user)

    @get(
        "/{order_id:uuid}/history",
        opt=MANAGERS,
        dependencies=PAGINATION,
        summary="Every status the order has been in, who and why, oldest first",
    )
    async def get_history(
        self, request: Request[Principal, Any, Any], db: Database, order_id: uuid.UUID, page: PageParams
    ) -> Page[HistoryEntryOut]:
        return await services.order_history(db, order_id, request.user, page)

    @post("/{order_id:uuid}/status", opt=STAFF, summary="Move an order to another status")
    async def set_status(
        self, request: Request[Principal, Any, Any], db: Database, order_id: uuid.UUID, data: StatusChangeIn
    ) -> OrderOut:
        return await services.set_status(db, order_id, data, request.user)

    @post("/{order_id:uuid}/allocate", opt=MANAGERS, summary="Try again to reserve stock for a held order")
    async def allocate(
        self, request: Request[Principal, Any, Any], db: Database, order_id: uuid.UUID
    ) -> OrderOut:
        return await services.allocate(db, order_id, request.user)


order_routes: list[Any] = [OrderController]
