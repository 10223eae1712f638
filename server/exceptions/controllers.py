"""HTTP endpoints for exceptions: supervisors and admins list them and say what they did."""

# No `from __future__ import annotations`: Litestar resolves these signatures at runtime.
import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from server.auth.principal import MANAGERS, Principal
from server.db import Database
from server.exceptions import services
from server.exceptions.schemas import ExceptionOut, ExceptionStatus, ResolveIn
from server.pagination import PAGINATION, Page, PageParams, TextFilter

Db = NamedDependency[Database]


class ExceptionController(Controller):
    path = "/api/v1/exceptions"
    tags = ["exceptions"]

    @get("/", opt=MANAGERS, dependencies=PAGINATION, summary="List exceptions, newest first")
    async def list_exceptions(
        self,
        db: Db,
        page: NamedDependency[PageParams],
        status: FromQuery[ExceptionStatus | None] = None,
        kind: TextFilter = None,
        order_id: FromQuery[uuid.UUID | None] = None,
    ) -> Page[ExceptionOut]:
        return await services.list_exceptions(db, page, status=status, kind=kind, order_id=order_id)

    @get("/{exception_id:uuid}", opt=MANAGERS, summary="One exception")
    async def get_exception(self, db: Db, exception_id: FromPath[uuid.UUID]) -> ExceptionOut:
        return await services.get_exception(db, exception_id)

    @post("/{exception_id:uuid}/resolve", opt=MANAGERS, summary="Resolve an exception, saying what was done")
    async def resolve(
        self,
        request: Request[Principal, Any, Any],
        db: Db,
        exception_id: FromPath[uuid.UUID],
        data: JSONBody[ResolveIn],
    ) -> ExceptionOut:
        return await services.resolve_exception(db, exception_id, data, request.user.actor)


exception_routes: list[Any] = [ExceptionController]
