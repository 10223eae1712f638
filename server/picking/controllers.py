"""HTTP endpoints for outbound work: ship-by and priority rules, closures, the work queue, waves,
pickers and pick lists.

No `from __future__ import annotations`: Litestar resolves the handler signatures at runtime.
"""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.auth.principal import MANAGERS, STAFF, Principal, check_warehouse, warehouse_filter
from server.catalog.models import Sku
from server.db import Database
from server.db.base import new_id, utcnow
from server.errors import FieldError, InvalidInput, NotFound
from server.inventory.models import Bin, Warehouse
from server.inventory.schemas import Code
from server.orders.models import Order
from server.orders.ship_by import (
    PriorityRules,
    ShipByRules,
    load_clock,
    raise_at_risk,
    read_rules,
    score,
    write_rules,
)
from server.orders.ship_by_models import Closure
from server.picking.models import PickLine, Wave, WaveOrder
from server.picking.picklist import PickListDoc, PickListLine, render_pick_list
from server.picking.waves import Grouping, WaveSpec, assign_picker, build_waves, close_wave

# -- schemas --------------------------------------------------------------------------------------


class ClosureIn(msgspec.Struct, forbid_unknown_fields=True):
    day: date
    warehouse: Code | None = None  # none: every warehouse is closed
    reason: Annotated[str, msgspec.Meta(max_length=255)] = ""


class ClosureOut(msgspec.Struct):
    id: uuid.UUID
    day: date
    warehouse: str | None
    reason: str
    created_by: str


class QueueItem(msgspec.Struct):
    id: uuid.UUID
    external_id: str
    channel: str
    status: str
    payment_method: str
    placed_at: datetime
    ship_by: datetime
    minutes_left: int  # negative: late
    priority: int
    points: list[tuple[str, int]]  # the rules that made the score, as configured


class RiskOut(msgspec.Struct):
    raised: int  # new ship_by_at_risk exceptions


class WaveIn(msgspec.Struct, forbid_unknown_fields=True):
    warehouse: Code
    group_by: Grouping = "cutoff"
    max_orders: Annotated[int, msgspec.Meta(ge=1, le=200)] = 20
    batch_max_units: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 5


class WaveOrderOut(msgspec.Struct):
    order: uuid.UUID
    external_id: str
    tote: str
    ship_by: datetime | None
    priority: int


class PickLineOut(msgspec.Struct):
    seq: int
    bin: str  # "" when no bin had the units at planning
    sku: str
    qty: int
    order: uuid.UUID
    tote: str


class WaveOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    warehouse: str
    status: Literal["open", "done"]
    picker: str | None
    grouping: str
    group_key: str
    ship_by: datetime | None
    orders: list[WaveOrderOut]
    picks: list[PickLineOut]


class WavesOut(msgspec.Struct):
    items: list[WaveOut]


class AssignIn(msgspec.Struct, forbid_unknown_fields=True):
    picker: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None


# -- services -------------------------------------------------------------------------------------


def _warehouse(conn: Connection, code: str, field: str = "warehouse") -> uuid.UUID:
    wid = conn.execute(select(Warehouse.id).where(Warehouse.code == code)).scalar()
    if wid is None:
        raise InvalidInput(f"no warehouse has the code {code}", [FieldError(field, "unknown warehouse")])
    return wid


def add_closure(conn: Connection, data: ClosureIn, actor: str) -> uuid.UUID:
    wid = _warehouse(conn, data.warehouse) if data.warehouse is not None else None
    closure_id = new_id()
    conn.execute(
        Closure.__table__.insert().values(  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
            id=closure_id,
            day=data.day,
            warehouse_id=wid,
            reason=data.reason,
            created_by=actor[:64],
            created_at=utcnow(),
        )
    )
    return closure_id


def list_closures(conn: Connection, since: date | None) -> list[ClosureOut]:
    stmt = select(Closure.id, Closure.day, Warehouse.code, Closure.reason, Closure.created_by).outerjoin(
        Warehouse, Warehouse.id == Closure.warehouse_id
    )
    if since is not None:
        stmt = stmt.where(Closure.day >= since)
    rows = conn.execute(stmt.order_by(Closure.day, Closure.id)).all()
    return [ClosureOut(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def work_queue(conn: Connection, warehouse: str | None, now: datetime, limit: int) -> list[QueueItem]:
    """Orders still to ship from the warehouse (allocated, picking, packed), highest priority first."""
    stmt = select(
        Order.id,
        Order.external_id,
        Order.channel,
        Order.status,
        Order.payment_method,
        Order.placed_at,
        Order.ship_by,
        Order.warehouse_id,
    ).where(Order.status.in_(("allocated", "picking", "packed")))
    if warehouse is not None:
        stmt = stmt.where(Order.warehouse_id == _warehouse(conn, warehouse))
    rows = conn.execute(stmt).all()
    clock = load_clock(conn, {r[7] for r in rows})
    items: list[QueueItem] = []
    for oid, external_id, channel, status, payment, placed_at, own, wid in rows:
        due = clock.ship_by_of(placed_at, channel, own, wid)
        points = score(
            now=now,
            ship_by=due,
            placed_at=placed_at,
            channel=channel,
            payment_method=payment,
            rules=clock.priority,
        )
        left = int((due - now).total_seconds() // 60)
        items.append(
            QueueItem(
                oid, external_id, channel, status, payment, placed_at, due, left, points.total, points.parts
            )
        )
    items.sort(key=lambda i: (-i.priority, i.ship_by, i.id.int))
    return items[:limit]


def check_at_risk(conn: Connection, warehouse: str | None, now: datetime) -> int:
    wid = _warehouse(conn, warehouse) if warehouse is not None else None
    return len(raise_at_risk(conn, now, wid))


def make_waves(conn: Connection, spec: WaveSpec, actor: str, now: datetime) -> list[uuid.UUID]:
    return build_waves(conn, spec, actor, now)


def wave_out(conn: Connection, wave_id: uuid.UUID) -> WaveOut:
    row = conn.execute(
        select(
            Wave.code, Wave.status, Wave.picker, Wave.grouping, Wave.group_key, Wave.cutoff, Warehouse.code
        )
        .join(Warehouse, Warehouse.id == Wave.warehouse_id)
        .where(Wave.id == wave_id)
    ).first()
    if row is None:
        raise NotFound(f"no wave has the id {wave_id}", [FieldError("wave_id", "unknown")])
    code, status, picker, grouping, group_key, cutoff, wh_code = row
    members = conn.execute(
        select(WaveOrder.order_id, Order.external_id, WaveOrder.tote, WaveOrder.ship_by, WaveOrder.priority)
        .join(Order, Order.id == WaveOrder.order_id)
        .where(WaveOrder.wave_id == wave_id)
        .order_by(WaveOrder.position)
    ).all()
    totes = {m[0]: m[2] for m in members}
    lines = conn.execute(
        select(PickLine.seq, Bin.code, Sku.code, PickLine.qty, PickLine.order_id)
        .join(Sku, Sku.id == PickLine.sku_id)
        .outerjoin(Bin, Bin.id == PickLine.bin_id)
        .where(PickLine.wave_id == wave_id)
        .order_by(PickLine.seq, PickLine.id)
    ).all()
    return WaveOut(
        id=wave_id,
        code=code,
        warehouse=wh_code,
        status="done" if status == "done" else "open",
        picker=picker,
        grouping=grouping,
        group_key=group_key,
        ship_by=cutoff,
        orders=[WaveOrderOut(o, e, t, s, p) for o, e, t, s, p in members],
        picks=[PickLineOut(q, b or "", s, int(n), o, totes.get(o, "")) for q, b, s, n, o in lines],
    )


def waves_out(conn: Connection, ids: list[uuid.UUID]) -> list[WaveOut]:
    return [wave_out(conn, i) for i in ids]


def list_waves(conn: Connection, warehouse: str | None, status: str | None, limit: int) -> list[WaveOut]:
    stmt = select(Wave.id).join(Warehouse, Warehouse.id == Wave.warehouse_id)
    if warehouse is not None:
        _warehouse(conn, warehouse)
        stmt = stmt.where(Warehouse.code == warehouse)
    if status is not None:
        stmt = stmt.where(Wave.status == status)
    ids = list(conn.execute(stmt.order_by(Wave.created_at.desc(), Wave.code.desc()).limit(limit)).scalars())
    return waves_out(conn, ids)


def pick_list_doc(conn: Connection, wave_id: uuid.UUID) -> PickListDoc:
    wave = wave_out(conn, wave_id)
    names = dict(
        conn.execute(select(Sku.code, Sku.name).where(Sku.code.in_({p.sku for p in wave.picks}))).all()
    )  # pyright: ignore[reportUnknownArgumentType]
    external = {o.order: o.external_id for o in wave.orders}
    return PickListDoc(
        wave=wave.code,
        warehouse=wave.warehouse,
        picker=wave.picker,
        ship_by=wave.ship_by,
        orders=len(wave.orders),
        lines=[
            PickListLine(
                p.seq + 1, p.bin, p.sku, str(names.get(p.sku, "")), p.qty, p.tote, external.get(p.order, "")
            )
            for p in wave.picks
        ],
    )


def _wave_warehouse(conn: Connection, wave_id: uuid.UUID) -> str:
    code = conn.execute(
        select(Warehouse.code).join(Wave, Wave.warehouse_id == Warehouse.id).where(Wave.id == wave_id)
    ).scalar()
    if code is None:
        raise NotFound(f"no wave has the id {wave_id}", [FieldError("wave_id", "unknown")])
    return code


# -- endpoints ------------------------------------------------------------------------------------


class FulfilmentController(Controller):
    path = "/api/v1/fulfilment"
    tags = ["fulfilment"]

    @get("/ship-by-rules", opt=STAFF, summary="The seller's ship-by rules: days and cut-off per channel")
    async def ship_by_rules(self, db: NamedDependency[Database]) -> ShipByRules:
        return await db.run_read(read_rules, "ship_by")

    @put("/ship-by-rules", opt=MANAGERS, summary="Change the ship-by rules")
    async def set_ship_by_rules(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        data: JSONBody[ShipByRules],
    ) -> ShipByRules:
        await db.run_write(write_rules, "ship_by", data, request.user.actor)
        return await db.run_read(read_rules, "ship_by")

    @get("/priority-rules", opt=STAFF, summary="The priority rules: the points that order the work")
    async def priority_rules(self, db: NamedDependency[Database]) -> PriorityRules:
        return await db.run_read(read_rules, "priority")

    @put("/priority-rules", opt=MANAGERS, summary="Change the priority rules")
    async def set_priority_rules(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        data: JSONBody[PriorityRules],
    ) -> PriorityRules:
        await db.run_write(write_rules, "priority", data, request.user.actor)
        return await db.run_read(read_rules, "priority")

    @get("/closures", opt=STAFF, summary="Days the seller declared closed (not working days for ship-by)")
    async def closures(
        self, db: NamedDependency[Database], since: FromQuery[date | None] = None
    ) -> list[ClosureOut]:
        return await db.run_read(list_closures, since)

    @post("/closures", opt=MANAGERS, summary="Declare a closed day, for one warehouse or all")
    async def add_closure(
        self, request: Request[Principal, Any, Any], db: NamedDependency[Database], data: JSONBody[ClosureIn]
    ) -> ClosureOut:
        closure_id = await db.run_write(add_closure, data, request.user.actor)
        return next(c for c in await db.run_read(list_closures, data.day) if c.id == closure_id)

    @get("/queue", opt=STAFF, summary="Orders still to ship, highest priority first, with their ship-by")
    async def queue(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        warehouse: FromQuery[Code | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> list[QueueItem]:
        warehouse = warehouse_filter(request.user, warehouse)
        return await db.run_read(work_queue, warehouse, utcnow(), limit)

    @post("/at-risk", opt=MANAGERS, summary="Raise ship_by_at_risk for orders near or past their ship-by")
    async def at_risk(
        self, db: NamedDependency[Database], warehouse: FromQuery[Code | None] = None
    ) -> RiskOut:
        return RiskOut(await db.run_write(check_at_risk, warehouse, utcnow()))


class WaveController(Controller):
    path = "/api/v1/waves"
    tags = ["fulfilment"]

    @post("/", opt=STAFF, summary="Group the warehouse's allocated orders into waves with pick lists")
    async def build(
        self, request: Request[Principal, Any, Any], db: NamedDependency[Database], data: JSONBody[WaveIn]
    ) -> WavesOut:
        check_warehouse(request.user, data.warehouse)
        spec = WaveSpec(data.warehouse, data.group_by, data.max_orders, data.batch_max_units)
        ids = await db.run_write(make_waves, spec, request.user.actor, utcnow())
        return WavesOut(await db.run_read(waves_out, ids))

    @get("/", opt=STAFF, summary="Waves, newest first")
    async def list(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        warehouse: FromQuery[Code | None] = None,
        status: FromQuery[Literal["open", "done"] | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> WavesOut:
        warehouse = warehouse_filter(request.user, warehouse)
        return WavesOut(await db.run_read(list_waves, warehouse, status, limit))

    @get("/{wave_id:uuid}", opt=STAFF, summary="A wave: its orders and totes, its picks in walking order")
    async def one(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        wave_id: FromPath[uuid.UUID],
    ) -> WaveOut:
        wave = await db.run_read(wave_out, wave_id)
        check_warehouse(request.user, wave.warehouse, "wave_id")
        return wave

    @post("/{wave_id:uuid}/assign", opt=STAFF, summary="Give the wave to a picker (null: take it back)")
    async def assign(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        wave_id: FromPath[uuid.UUID],
        data: JSONBody[AssignIn],
    ) -> WaveOut:
        check_warehouse(request.user, await db.run_read(_wave_warehouse, wave_id), "wave_id")
        await db.run_write(assign_picker, wave_id, data.picker)
        return await db.run_read(wave_out, wave_id)

    @post("/{wave_id:uuid}/close", opt=STAFF, summary="Close a wave: it leaves the phones")
    async def close(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        wave_id: FromPath[uuid.UUID],
    ) -> WaveOut:
        check_warehouse(request.user, await db.run_read(_wave_warehouse, wave_id), "wave_id")
        await db.run_write(close_wave, wave_id)
        return await db.run_read(wave_out, wave_id)

    @get(
        "/{wave_id:uuid}/pick-list.pdf",
        opt=STAFF,
        summary="The wave's pick list to print (PDF)",
        media_type="application/pdf",
    )
    async def pick_list(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        wave_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        doc = await db.run_read(pick_list_doc, wave_id)
        check_warehouse(request.user, doc.warehouse, "wave_id")
        pdf = await anyio.to_thread.run_sync(render_pick_list, doc)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="pick-list-{doc.wave}.pdf"'},
        )


picking_routes: list[Any] = [FulfilmentController, WaveController]
