"""Delivery runs: which parcels a rider takes out on a date, in which route order. The one writer of
runs and their stops (the phone syncs them in its `runs:<username>` scope: a `run` entity per open
run and a `stop` entity per parcel, cod/entities.py).

A supervisor builds a run from parcels handed over (or packed for our own riders), sorted by
province, city, barangay and street as a first cut of the route, and may reorder it. A rider's cash
ceiling caps the COD they may carry: cash in hand plus COD still to collect on their open runs plus
this run's COD; a run over it is refused with the figures.

No `from __future__ import annotations`: Litestar reads these signatures at runtime.
"""

import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from server.auth.models import User
from server.auth.principal import MANAGERS, Principal
from server.changes.scopes import runs_scope
from server.cod.models import CashBalance, DeliveryRun, RiderCeiling, RunStop
from server.cod.policy import read_policy
from server.db import Database
from server.db.base import utcnow
from server.db.bulk import in_values, insert_rows
from server.db.touched import touched
from server.errors import BodegaError, Conflict, FieldError, InvalidInput, NotFound
from server.inventory.models import Warehouse
from server.money import format_pesos as pesos
from server.orders.models import Order
from server.pagination import TextFilter

MAX_STOPS = 500
MAX_RUNS = 300
# Parcels a run may be built from: handed over to our rider, or packed and waiting for one.
READY = ("packed", "shipped")
# A stop whose order is here has nothing left to collect.
DONE = ("delivered", "cancelled", "returned", "return_to_sender")
Notes = Annotated[str, msgspec.Meta(max_length=500)]
RunDate = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class OverCashCeiling(BodegaError):
    status = 409
    slug = "over-cash-ceiling"
    title = "The rider would carry more cash than their ceiling allows"


class StopIn(msgspec.Struct, forbid_unknown_fields=True):
    order: uuid.UUID
    waybill: Annotated[str, msgspec.Meta(max_length=64)] = ""
    notes: Notes = ""


class RunIn(msgspec.Struct, forbid_unknown_fields=True):
    rider: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    stops: list[StopIn]
    name: Annotated[str, msgspec.Meta(max_length=128)] = ""
    date: RunDate | None = None  # the business day; today (Asia/Manila) when left out
    # "route": sorted by province, city, barangay, street; "as_sent": the order given.
    order_by: Literal["route", "as_sent"] = "as_sent"


class BuildIn(msgspec.Struct, forbid_unknown_fields=True):
    """Build a run from parcels ready to go out: the ones given, or every one of the warehouse."""

    rider: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    date: RunDate | None = None
    name: Annotated[str, msgspec.Meta(max_length=128)] = ""
    orders: list[uuid.UUID] = []
    warehouse: Annotated[str, msgspec.Meta(max_length=32)] = ""  # with no orders: all ready there
    notes: dict[str, Notes] = {}  # order id -> delivery notes


class RunOut(msgspec.Struct):
    id: uuid.UUID
    rider: str
    name: str
    status: str
    stops: int
    date: str = ""
    cod: int = 0  # centavos to collect on this run


class StopOut(msgspec.Struct):
    order: uuid.UUID
    external_id: str
    position: int
    waybill: str
    recipient: str
    phone: str
    address: str
    barangay: str
    city: str
    province: str
    cod: int
    status: str
    notes: str


class RunDetail(msgspec.Struct):
    id: uuid.UUID
    rider: str
    name: str
    date: str
    status: str
    cod: int
    stops: list[StopOut]


class ReorderIn(msgspec.Struct, forbid_unknown_fields=True):
    orders: list[uuid.UUID]  # every stop of the run, in the new route order


class CandidateOut(msgspec.Struct):
    order: uuid.UUID
    external_id: str
    status: str
    recipient: str
    barangay: str
    city: str
    province: str
    cod: int


MANILA = timezone(timedelta(hours=8), "Asia/Manila")  # no daylight saving since 1978


def manila_today() -> str:
    return datetime.now(MANILA).date().isoformat()


def _route_key(row: Any) -> tuple[str, str, str, str]:
    return (row.province.casefold(), row.city.casefold(), row.barangay.casefold(), row.street.casefold())


def _note_run(conn: Connection, rider: str, run_id: uuid.UUID, value: dict[str, Any] | None) -> None:
    touched(conn).changes[(runs_scope(rider), "run", str(run_id))] = value


def create_run(conn: Connection, data: RunIn, actor: str) -> RunOut:
    return _create(conn, [data], actor, batch=False)[0]


class RunsIn(msgspec.Struct, forbid_unknown_fields=True):
    """The day's runs for many riders at once: all built, or none (the first refusal says why)."""

    runs: Annotated[list[RunIn], msgspec.Meta(min_length=1, max_length=MAX_RUNS)]


def create_runs(conn: Connection, data: RunsIn, actor: str) -> list[RunOut]:
    """Every run in one transaction (a supervisor's morning): one commit and one round of
    reactions for all their stops. A refusal names the run (`runs[i]....`) and builds none."""
    return _create(conn, data.runs, actor, batch=True)


def _riders(conn: Connection, usernames: set[str]) -> dict[str, tuple[uuid.UUID, str]]:
    stmt = select(User.username, User.id, User.role).where(in_values(conn, User.username, usernames))
    if conn.dialect.name == "postgresql":
        # Two transactions giving one rider runs at once must not both pass the ceiling.
        stmt = stmt.order_by(User.username).with_for_update()
    return {r[0]: (r[1], r[2]) for r in conn.execute(stmt).all()}


def _carrying(conn: Connection, riders: dict[str, uuid.UUID]) -> dict[str, tuple[int, int, int]]:
    """Per rider: (ceiling, cash in hand, COD still to collect on open runs), set-based."""
    policy = read_policy(conn)
    names = list(riders)
    own = dict(
        conn.execute(
            select(RiderCeiling.rider, RiderCeiling.cash_ceiling).where(
                in_values(conn, RiderCeiling.rider, names)
            )
        ).all()
    )
    hand = dict(
        conn.execute(
            select(CashBalance.holder, CashBalance.amount).where(in_values(conn, CashBalance.holder, names))
        ).all()
    )
    by_id = {rid: name for name, rid in riders.items()}
    out_ = dict(
        conn.execute(
            select(DeliveryRun.rider_id, func.coalesce(func.sum(Order.cod_amount), 0))
            .select_from(RunStop)
            .join(DeliveryRun, DeliveryRun.id == RunStop.run_id)
            .join(Order, Order.id == RunStop.order_id)
            .where(
                in_values(conn, DeliveryRun.rider_id, list(by_id)),
                DeliveryRun.status == "open",
                Order.status.not_in(DONE),
            )
            .group_by(DeliveryRun.rider_id)
        ).all()
    )
    return {
        name: (int(own.get(name, policy.cash_ceiling)), int(hand.get(name) or 0), int(out_.get(rid) or 0))
        for name, rid in riders.items()
    }


def _create(conn: Connection, runs: list[RunIn], actor: str, *, batch: bool) -> list[RunOut]:
    def named(i: int, field: str) -> str:
        return f"runs[{i}].{field}" if batch else field

    riders = _riders(conn, {r.rider for r in runs})
    ids = [s.order for r in runs for s in r.stops]
    orders = {
        r.id: r
        for r in conn.execute(
            select(
                Order.id, Order.cod_amount, Order.province, Order.city, Order.barangay, Order.street
            ).where(in_values(conn, Order.id, ids))
        ).all()
    }
    errors: list[FieldError] = []
    seen: set[uuid.UUID] = set()
    for i, run in enumerate(runs):
        found = riders.get(run.rider)
        if found is None or found[1] != "rider":
            errors.append(FieldError(named(i, "rider"), f"{run.rider!r} is not a rider's username"))
        if not run.stops or len(run.stops) > MAX_STOPS:
            errors.append(FieldError(named(i, "stops"), f"send 1 to {MAX_STOPS} stops"))
        for n, stop in enumerate(run.stops):
            if stop.order not in orders:
                errors.append(FieldError(named(i, f"stops[{n}].order"), f"no order {stop.order}"))
            if stop.order in seen:
                errors.append(FieldError(named(i, f"stops[{n}].order"), "the same order twice"))
            seen.add(stop.order)
    if errors:
        raise InvalidInput(f"{len(errors)} invalid field(s)", errors)
    carrying = _carrying(conn, {r.rider: riders[r.rider][0] for r in runs})
    now = utcnow()
    made: list[RunOut] = []
    run_rows: list[dict[str, Any]] = []
    stop_rows: list[dict[str, Any]] = []
    for i, run in enumerate(runs):
        cod = sum(int(orders[s.order].cod_amount) for s in run.stops)
        ceiling, in_hand, on_runs = carrying[run.rider]
        if in_hand + on_runs + cod > ceiling:
            where = f"runs[{i}]: " if batch else ""
            raise OverCashCeiling(
                f"{where}{run.rider} would carry "
                f"{pesos(in_hand + on_runs + cod)}: {pesos(in_hand)} in hand, {pesos(on_runs)} to collect "
                f"on open runs and {pesos(cod)} on this run; the ceiling is {pesos(ceiling)}",
                [
                    FieldError(
                        named(i, "stops"),
                        f"over {run.rider}'s cash ceiling of {pesos(ceiling)} by "
                        f"{pesos(in_hand + on_runs + cod - ceiling)}",
                    )
                ],
            )
        carrying[run.rider] = (ceiling, in_hand, on_runs + cod)  # the next run of this rider sees it
        stops = list(run.stops)
        if run.order_by == "route":
            stops.sort(key=lambda s: _route_key(orders[s.order]))
        run_id = uuid.uuid4()
        run_date = run.date or manila_today()
        run_rows.append(
            {
                "id": run_id, "rider_id": riders[run.rider][0], "name": run.name, "status": "open",
                "created_by": actor, "created_at": now, "closed_at": None, "run_date": run_date,
            }
        )  # fmt: skip
        stop_rows += [
            {"run_id": run_id, "order_id": s.order, "position": n, "waybill": s.waybill, "notes": s.notes}
            for n, s in enumerate(stops, 1)
        ]
        _note_run(
            conn, run.rider, run_id, {"name": run.name, "date": run_date, "stops": len(stops), "cod": cod}
        )
        made.append(RunOut(run_id, run.rider, run.name, "open", len(stops), run_date, cod))
    insert_rows(conn, DeliveryRun, run_rows)
    insert_rows(conn, RunStop, stop_rows)
    touched(conn).orders.update(ids)  # the stops reach the riders' phones
    return made


def ready_parcels(conn: Connection, warehouse: str = "", orders: list[uuid.UUID] | None = None) -> list[Any]:
    """Parcels a run may take: packed or handed over, not on an open run; in route order."""
    on_run = (
        select(RunStop.order_id)
        .join(DeliveryRun, DeliveryRun.id == RunStop.run_id)
        .where(DeliveryRun.status == "open")
    )
    stmt = select(
        Order.id,
        Order.external_id,
        Order.status,
        Order.customer_name,
        Order.street,
        Order.barangay,
        Order.city,
        Order.province,
        Order.cod_amount,
    ).where(Order.status.in_(READY), Order.id.not_in(on_run))
    if warehouse:
        stmt = stmt.join(Warehouse, Warehouse.id == Order.warehouse_id).where(Warehouse.code == warehouse)
    if orders is not None:
        stmt = stmt.where(in_values(conn, Order.id, orders))
    return sorted(conn.execute(stmt).all(), key=_route_key)


def build_run(conn: Connection, data: BuildIn, actor: str) -> RunOut:
    """A run of the parcels given (or all ready in the warehouse), in route order."""
    if not data.orders and not data.warehouse:
        raise InvalidInput("which parcels?", [FieldError("orders", "give orders, or a warehouse")])
    ready = ready_parcels(conn, data.warehouse, data.orders or None)
    if data.orders:
        found = {r.id for r in ready}
        known = set(conn.execute(select(Order.id).where(in_values(conn, Order.id, data.orders))).scalars())
        unknown = [
            FieldError(f"orders[{i}]", f"no order {o}") for i, o in enumerate(data.orders) if o not in known
        ]
        if unknown:
            raise InvalidInput(f"{len(unknown)} order(s) unknown", unknown)
        # An order that exists but is not packed (or is on a run already): its state, a 409.
        errors = [
            FieldError(
                f"orders[{i}]",
                f"order {o} is not a parcel ready to go out (packed or handed over, on no open run)",
            )
            for i, o in enumerate(data.orders)
            if o not in found
        ]
        if errors:
            raise Conflict(f"{len(errors)} order(s) cannot go on a run", errors)
    if not ready:
        raise Conflict(
            "no parcel is ready to go out", [FieldError("warehouse", "nothing packed or handed over")]
        )
    stops = [StopIn(r.id, r.external_id, data.notes.get(str(r.id), "")) for r in ready[:MAX_STOPS]]
    run = RunIn(data.rider, stops, data.name, data.date, "route")
    return create_run(conn, run, actor)


def _run_row(conn: Connection, run_id: uuid.UUID) -> Any:
    row = conn.execute(
        select(DeliveryRun.name, DeliveryRun.status, DeliveryRun.run_date, User.username)
        .join(User, User.id == DeliveryRun.rider_id)
        .where(DeliveryRun.id == run_id)
    ).first()
    if row is None:
        raise NotFound(f"no delivery run {run_id}", [FieldError("run_id", "unknown")])
    return row


def reorder_run(conn: Connection, run_id: uuid.UUID, data: ReorderIn) -> RunOut:
    """The supervisor's route order: every stop of the run, each once."""
    row = _run_row(conn, run_id)
    if row.status != "open":
        raise Conflict("the run is closed", [FieldError("run_id", "closed runs keep their order")])
    have = set(conn.execute(select(RunStop.order_id).where(RunStop.run_id == run_id)).scalars())
    if len(data.orders) != len(have) or set(data.orders) != have:
        missing = len(have - set(data.orders))
        raise InvalidInput(
            "send every stop of the run once",
            [
                FieldError(
                    "orders",
                    f"{missing} stop(s) missing, {len(set(data.orders) - have)} not on this run, "
                    f"{len(data.orders) - len(set(data.orders))} twice",
                )
            ],
        )
    for n, oid in enumerate(data.orders, 1):
        conn.execute(
            update(RunStop).where(RunStop.run_id == run_id, RunStop.order_id == oid).values(position=n)
        )
    touched(conn).orders.update(data.orders)
    return RunOut(run_id, row.username, row.name, "open", len(have), row.run_date, 0)


def close_run(conn: Connection, run_id: uuid.UUID) -> RunOut:
    row = _run_row(conn, run_id)
    conn.execute(
        update(DeliveryRun).where(DeliveryRun.id == run_id).values(status="closed", closed_at=utcnow())
    )
    ids = list(conn.execute(select(RunStop.order_id).where(RunStop.run_id == run_id)).scalars())
    touched(conn).orders.update(ids)  # the stops leave the rider's phone
    _note_run(conn, row.username, run_id, None)  # and the phone purges the run's personal data
    return RunOut(run_id, row.username, row.name, "closed", len(ids), row.run_date, 0)


def run_detail(conn: Connection, run_id: uuid.UUID) -> RunDetail:
    row = _run_row(conn, run_id)
    stops = [
        StopOut(
            r.order_id,
            r.external_id,
            int(r.position),
            r.waybill,
            r.customer_name,
            r.phone,
            ", ".join(p for p in (r.street, r.barangay, r.city, r.province) if p),
            r.barangay,
            r.city,
            r.province,
            int(r.cod_amount),
            r.status,
            r.notes,
        )
        for r in conn.execute(
            select(
                RunStop.order_id,
                RunStop.position,
                RunStop.waybill,
                RunStop.notes,
                Order.external_id,
                Order.customer_name,
                Order.phone,
                Order.street,
                Order.barangay,
                Order.city,
                Order.province,
                Order.cod_amount,
                Order.status,
            )
            .join(Order, Order.id == RunStop.order_id)
            .where(RunStop.run_id == run_id)
            .order_by(RunStop.position)
        ).all()
    ]
    cod = sum(s.cod for s in stops)
    return RunDetail(run_id, row.username, row.name, row.run_date, row.status, cod, stops)


def list_runs(conn: Connection, rider: str | None, run_date: str | None) -> list[RunOut]:
    stmt = (
        select(
            DeliveryRun.id,
            User.username,
            DeliveryRun.name,
            DeliveryRun.status,
            DeliveryRun.run_date,
            func.count(RunStop.order_id),
            func.coalesce(func.sum(Order.cod_amount), 0),
        )
        .join(User, User.id == DeliveryRun.rider_id)
        .outerjoin(RunStop, RunStop.run_id == DeliveryRun.id)
        .outerjoin(Order, Order.id == RunStop.order_id)
        .group_by(DeliveryRun.id, User.username, DeliveryRun.name, DeliveryRun.status, DeliveryRun.run_date)
        .order_by(DeliveryRun.run_date.desc(), User.username)
        .limit(500)
    )
    if rider:
        stmt = stmt.where(User.username == rider)
    if run_date:
        stmt = stmt.where(DeliveryRun.run_date == run_date)
    return [RunOut(r[0], r[1], r[2], r[3], int(r[5]), r[4], int(r[6])) for r in conn.execute(stmt).all()]


def _candidates(conn: Connection, warehouse: str) -> list[CandidateOut]:
    return [
        CandidateOut(
            r.id, r.external_id, r.status, r.customer_name, r.barangay, r.city, r.province, int(r.cod_amount)
        )
        for r in ready_parcels(conn, warehouse)
    ]


class RunController(Controller):
    path = "/api/v1/runs"
    tags = ["runs"]

    @post("/", opt=MANAGERS, summary="Give a rider a run of stops (their phone syncs them)")
    async def create(self, request: Request[Principal, Any, Any], data: JSONBody[RunIn]) -> RunOut:
        db: Database = request.app.state.db
        return await db.run_write(create_run, data, request.user.actor)

    @post("/batch", opt=MANAGERS, summary="Give many riders their runs at once (all or none)")
    async def create_many(
        self, request: Request[Principal, Any, Any], data: JSONBody[RunsIn]
    ) -> list[RunOut]:
        db: Database = request.app.state.db
        return await db.run_write(create_runs, data, request.user.actor)

    @post(
        "/build",
        opt=MANAGERS,
        summary="Build a rider's run for a date from parcels ready to go out, in route order",
    )
    async def build(self, request: Request[Principal, Any, Any], data: JSONBody[BuildIn]) -> RunOut:
        db: Database = request.app.state.db
        return await db.run_write(build_run, data, request.user.actor)

    @get("/candidates", opt=MANAGERS, summary="Parcels ready to go out on a run, in route order")
    async def candidates(
        self, request: Request[Principal, Any, Any], warehouse: TextFilter = None
    ) -> list[CandidateOut]:
        db: Database = request.app.state.db
        return await db.run_read(_candidates, warehouse or "")

    @get("/", opt=MANAGERS, summary="Runs, newest date first (filter by rider and date)")
    async def runs(
        self,
        request: Request[Principal, Any, Any],
        rider: TextFilter = None,
        date: FromQuery[date | None] = None,
    ) -> list[RunOut]:
        db: Database = request.app.state.db
        return await db.run_read(list_runs, rider, date.isoformat() if date else None)

    @get("/{run_id:uuid}", opt=MANAGERS, summary="A run with its stops in route order")
    async def detail(self, request: Request[Principal, Any, Any], run_id: FromPath[uuid.UUID]) -> RunDetail:
        db: Database = request.app.state.db
        return await db.run_read(run_detail, run_id)

    @put("/{run_id:uuid}/order", opt=MANAGERS, summary="Change the route order of a run's stops")
    async def reorder(
        self, request: Request[Principal, Any, Any], run_id: FromPath[uuid.UUID], data: JSONBody[ReorderIn]
    ) -> RunOut:
        db: Database = request.app.state.db
        return await db.run_write(reorder_run, run_id, data)

    @post(
        "/{run_id:uuid}/close",
        opt=MANAGERS,
        status_code=200,
        summary="Close a run: its stops leave the phone",
    )
    async def close(self, request: Request[Principal, Any, Any], run_id: FromPath[uuid.UUID]) -> RunOut:
        db: Database = request.app.state.db
        return await db.run_write(close_run, run_id)


run_routes: list[Any] = [RunController]
