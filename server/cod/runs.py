"""Delivery runs: which orders a rider takes out, in which order. Minimal, for what the rider's
phone syncs (its `runs:<username>` scope): create a run, close it.

No `from __future__ import annotations`: Litestar reads these signatures at runtime.
"""

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.params import FromPath, JSONBody
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from server.auth.models import User
from server.auth.principal import MANAGERS, Principal
from server.cod.models import DeliveryRun, RunStop
from server.db import Database
from server.db.base import utcnow
from server.db.touched import touched
from server.errors import FieldError, InvalidInput, NotFound
from server.orders.models import Order

MAX_STOPS = 500


class StopIn(msgspec.Struct, forbid_unknown_fields=True):
    order: uuid.UUID
    waybill: Annotated[str, msgspec.Meta(max_length=64)] = ""


class RunIn(msgspec.Struct, forbid_unknown_fields=True):
    rider: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    stops: list[StopIn]
    name: Annotated[str, msgspec.Meta(max_length=128)] = ""


class RunOut(msgspec.Struct):
    id: uuid.UUID
    rider: str
    name: str
    status: str
    stops: int


def create_run(conn: Connection, data: RunIn, actor: str) -> RunOut:
    errors: list[FieldError] = []
    rider = conn.execute(select(User.id, User.role).where(User.username == data.rider)).first()
    if rider is None or rider[1] != "rider":
        errors.append(FieldError("rider", f"{data.rider!r} is not a rider's username"))
    if not data.stops or len(data.stops) > MAX_STOPS:
        errors.append(FieldError("stops", f"send 1 to {MAX_STOPS} stops"))
    ids = [s.order for s in data.stops]
    known = set(conn.execute(select(Order.id).where(Order.id.in_(ids))).scalars())
    seen: set[uuid.UUID] = set()
    for i, stop in enumerate(data.stops):
        if stop.order not in known:
            errors.append(FieldError(f"stops[{i}].order", f"no order {stop.order}"))
        if stop.order in seen:
            errors.append(FieldError(f"stops[{i}].order", "the same order twice"))
        seen.add(stop.order)
    if errors or rider is None:
        raise InvalidInput(f"{len(errors)} invalid field(s)", errors)
    run_id = uuid.uuid4()
    conn.execute(
        insert(DeliveryRun).values(
            id=run_id, rider_id=rider[0], name=data.name, status="open", created_by=actor, created_at=utcnow()
        )
    )
    conn.execute(
        insert(RunStop),
        [
            {"run_id": run_id, "order_id": s.order, "position": n, "waybill": s.waybill}
            for n, s in enumerate(data.stops, 1)
        ],
    )
    touched(conn).orders.update(ids)  # the stops reach the rider's phone
    return RunOut(run_id, data.rider, data.name, "open", len(data.stops))


def close_run(conn: Connection, run_id: uuid.UUID) -> RunOut:
    row = conn.execute(
        select(DeliveryRun.name, DeliveryRun.status, User.username)
        .join(User, User.id == DeliveryRun.rider_id)
        .where(DeliveryRun.id == run_id)
    ).first()
    if row is None:
        raise NotFound(f"no delivery run {run_id}")
    conn.execute(
        update(DeliveryRun).where(DeliveryRun.id == run_id).values(status="closed", closed_at=utcnow())
    )
    ids = list(conn.execute(select(RunStop.order_id).where(RunStop.run_id == run_id)).scalars())
    touched(conn).orders.update(ids)  # the stops leave the rider's phone
    return RunOut(run_id, row[2], row[0], "closed", len(ids))


async def start_run(db: Database, data: RunIn, actor: str) -> RunOut:
    return await db.run_write(create_run, data, actor)


async def end_run(db: Database, run_id: uuid.UUID) -> RunOut:
    return await db.run_write(close_run, run_id)


class RunController(Controller):
    path = "/api/v1/runs"
    tags = ["runs"]

    @post("/", opt=MANAGERS, summary="Give a rider a run of stops (their phone syncs them)")
    async def create(self, request: Request[Principal, Any, Any], data: JSONBody[RunIn]) -> RunOut:
        db: Database = request.app.state.db
        return await start_run(db, data, request.user.actor)

    @post(
        "/{run_id:uuid}/close",
        opt=MANAGERS,
        status_code=200,
        summary="Close a run: its stops leave the phone",
    )
    async def close(self, request: Request[Principal, Any, Any], run_id: FromPath[uuid.UUID]) -> RunOut:
        db: Database = request.app.state.db
        return await end_run(db, run_id)


run_routes: list[Any] = [RunController]
