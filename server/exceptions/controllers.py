"""HTTP endpoints for exceptions: supervisors and admins list them, see one with its evidence,
acknowledge, assign, and settle them with an action (or resolve them with what was done)."""

# No `from __future__ import annotations`: Litestar resolves these signatures at runtime.
import asyncio
import uuid
from collections.abc import AsyncGenerator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from server.auth.principal import MANAGERS, Principal
from server.db import Database
from server.db.base import utcnow
from server.exceptions import services
from server.exceptions.live import ExceptionFeed, Listener
from server.exceptions.schemas import (
    ActIn,
    ActOut,
    AssignIn,
    ExceptionCounts,
    ExceptionDetailOut,
    ExceptionOut,
    ExceptionStatus,
    ResolveIn,
    SeverityName,
    SubjectKind,
)
from server.pagination import PAGINATION, Page, PageParams, TextFilter

Db = NamedDependency[Database]
AgeMinutes = Annotated[
    int,
    QueryParameter(ge=0, le=525_600, description="Only exceptions at least this many minutes old (0: any)"),
]


def exception_filters(
    status: FromQuery[ExceptionStatus | None] = None,
    kind: TextFilter = None,
    order_id: FromQuery[uuid.UUID | None] = None,
    warehouse: TextFilter = None,
    severity: FromQuery[SeverityName | None] = None,
    subject_kind: FromQuery[SubjectKind | None] = None,
    subject_id: TextFilter = None,
    assigned_to: TextFilter = None,
    older_than_min: AgeMinutes = 0,
) -> services.Filters:
    """The one filter parameter set of the list and its counts: what the inbox shows is what the
    home tile counts."""
    return services.Filters(
        status=status,
        kind=kind,
        order_id=order_id,
        warehouse=warehouse,
        severity=severity,
        subject_kind=subject_kind,
        subject_id=subject_id,
        assigned_to=assigned_to,
        older_than_min=older_than_min,
        now=utcnow(),
    )


FILTERS = {"filters": Provide(exception_filters, sync_to_thread=False)}


KEEP_ALIVE_S = 15.0  # a comment line this often keeps proxies and phones' radios from closing the stream
_LIVE = msgspec.json.Encoder()


async def _live(feed: ExceptionFeed, listener: Listener) -> AsyncGenerator[ServerSentEventMessage]:
    try:
        # First: the stream is live; what changes from here on is sent (the console loads the
        # list itself, then keeps it fresh from this stream).
        yield ServerSentEventMessage(event="ready", data="{}")
        while not listener.closed:
            try:
                item = await asyncio.wait_for(listener.queue.get(), timeout=KEEP_ALIVE_S)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive")
                continue
            body = msgspec.structs.asdict(item)
            body.pop("warehouse_id", None)
            yield ServerSentEventMessage(event="exception", id=str(item.id), data=_LIVE.encode(body).decode())
    finally:
        feed.unsubscribe(listener)


class ExceptionController(Controller):
    path = "/api/v1/exceptions"
    tags = ["exceptions"]

    @get(
        "/",
        opt=MANAGERS,
        dependencies={**PAGINATION, **FILTERS},
        summary="List exceptions, newest first",
    )
    async def list_exceptions(
        self, db: Db, page: NamedDependency[PageParams], filters: NamedDependency[services.Filters]
    ) -> Page[ExceptionOut]:
        return await services.list_exceptions(db, page, filters)

    @get(
        "/counts",
        opt=MANAGERS,
        dependencies=FILTERS,
        summary="How many exceptions (open unless a status is given), by kind and severity",
    )
    async def counts(self, db: Db, filters: NamedDependency[services.Filters]) -> ExceptionCounts:
        return await db.run_read(services.count_exceptions, filters)

    @get(
        "/stream",
        opt=MANAGERS,
        summary="Server-sent events: exceptions raised or changed from now on, as the caller may see them",
    )
    async def stream(self, request: Request[Principal, Any, Any]) -> ServerSentEvent:
        feed: ExceptionFeed = request.app.state.exception_feed
        return ServerSentEvent(_live(feed, feed.subscribe(request.user)))

    @get("/{exception_id:uuid}", opt=MANAGERS, summary="One exception")
    async def get_exception(self, db: Db, exception_id: FromPath[uuid.UUID]) -> ExceptionOut:
        return await services.get_exception(db, exception_id)

    @get("/{exception_id:uuid}/evidence", opt=MANAGERS, summary="One exception with its evidence and history")
    async def evidence(self, db: Db, exception_id: FromPath[uuid.UUID]) -> ExceptionDetailOut:
        return await db.run_read(services.exception_detail, exception_id)

    @post("/{exception_id:uuid}/resolve", opt=MANAGERS, summary="Resolve an exception, saying what was done")
    async def resolve(
        self,
        request: Request[Principal, Any, Any],
        db: Db,
        exception_id: FromPath[uuid.UUID],
        data: JSONBody[ResolveIn],
    ) -> ExceptionOut:
        return await services.resolve_exception(db, exception_id, data, request.user.actor)

    @post(
        "/{exception_id:uuid}/acknowledge",
        opt=MANAGERS,
        status_code=200,
        summary="Say you have seen it (stops its escalation)",
    )
    async def acknowledge(
        self, request: Request[Principal, Any, Any], db: Db, exception_id: FromPath[uuid.UUID]
    ) -> ExceptionOut:
        return await services.acknowledge_exception(db, exception_id, request.user.actor)

    @post("/{exception_id:uuid}/assign", opt=MANAGERS, status_code=200, summary="Give it to one person")
    async def assign(
        self,
        request: Request[Principal, Any, Any],
        db: Db,
        exception_id: FromPath[uuid.UUID],
        data: JSONBody[AssignIn],
    ) -> ExceptionOut:
        return await services.assign_exception(db, exception_id, data, request.user.actor)

    @post(
        "/{exception_id:uuid}/act",
        opt=MANAGERS,
        status_code=200,
        summary="Settle it with one of its actions, done through the domain's writer (audited)",
    )
    async def act(
        self,
        request: Request[Principal, Any, Any],
        db: Db,
        exception_id: FromPath[uuid.UUID],
        data: JSONBody[ActIn],
    ) -> ActOut:
        return await services.act_on_exception(db, exception_id, data, request.user.actor)


exception_routes: list[Any] = [ExceptionController]
