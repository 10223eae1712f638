"""Cycle count tasks: a supervisor asks for a bin, or a set of SKUs, to be counted; the warehouse
phones get the task with their warehouse's data (`count_task` entities in the `wh:<code>` scope),
and it leaves them when it is done.

A task is done when each of its targets has been counted since the task was made — the bin (every
SKU in it, or the ones named), or each SKU wherever it lies in the warehouse — which the sync push
that brought the counts checks in its own transaction; or when a supervisor closes it.

No `from __future__ import annotations`: Litestar resolves the handler signatures at runtime.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.engine import Connection

from server.auth.principal import MANAGERS, STAFF, Principal, warehouse_filter
from server.catalog.models import Sku
from server.changes.log import Changes, EntityKey
from server.changes.scopes import wh_scope
from server.db import Database
from server.db.base import new_id, utcnow
from server.db.touched import touched
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.inventory.models import Bin, BinCount, CountTask, Warehouse
from server.inventory.schemas import Code
from server.pagination import PAGINATION, Page, PageParams, TextFilter, require_known

TaskStatus = Literal["open", "done"]


class CountTaskIn(msgspec.Struct):
    warehouse: Code
    bin: Code | None = None
    skus: Annotated[list[Code], msgspec.Meta(max_length=200)] = []
    title: Annotated[str, msgspec.Meta(max_length=120)] = ""
    # The id the task is to have, when the asker made one (a supervisor's phone does, offline):
    # asking again with it opens nothing new.
    id: uuid.UUID | None = None


class CountTaskOut(msgspec.Struct):
    id: uuid.UUID
    warehouse: str
    bin: str | None
    skus: list[str]
    title: str
    status: TaskStatus
    created_by: str
    created_at: datetime
    done_at: datetime | None
    done_by: str | None


def _entity(task_id: uuid.UUID, warehouse: str, value: dict[str, Any] | None) -> tuple[EntityKey, Any]:
    return (wh_scope(warehouse), "count_task", str(task_id)), value


def _value(bin_code: str | None, skus: list[str], title: str) -> dict[str, Any]:
    value: dict[str, Any] = {"skus": skus, "title": title, "status": "open"}
    if bin_code is not None:
        value["bin"] = bin_code
    return value


def create_task(conn: Connection, data: CountTaskIn, actor: str) -> uuid.UUID:
    """Open a count task: the one writer of count tasks, whichever path asks (the console, a
    phone's `count_task.created` op, an exception's count action). Idempotent by `data.id`."""
    if data.id is not None:
        known = conn.execute(
            select(Warehouse.code)
            .join(CountTask, CountTask.warehouse_id == Warehouse.id)
            .where(CountTask.id == data.id)
        ).scalar()
        if known == data.warehouse:
            return data.id
        if known is not None:
            raise Conflict(f"count task {data.id} is for {known}", [FieldError("id", "already used")])
    errors: list[FieldError] = []
    warehouse_id = conn.execute(select(Warehouse.id).where(Warehouse.code == data.warehouse)).scalar()
    if warehouse_id is None:
        raise InvalidInput(
            f"no warehouse has the code {data.warehouse}", [FieldError("warehouse", "unknown")]
        )
    bin_id = None
    if data.bin is not None:
        bin_id = conn.execute(
            select(Bin.id).where(Bin.warehouse_id == warehouse_id, Bin.code == data.bin)
        ).scalar()
        if bin_id is None:
            errors.append(FieldError("bin", f"{data.bin} is not a bin of {data.warehouse}"))
    skus = list(dict.fromkeys(data.skus))
    known = set(conn.execute(select(Sku.code).where(Sku.code.in_(skus))).scalars()) if skus else set()
    errors += [
        FieldError(f"skus[{i}]", f"unknown SKU {c}") for i, c in enumerate(data.skus) if c not in known
    ]
    if data.bin is None and not skus:
        errors.append(FieldError("bin", "name a bin, or SKUs to count wherever they are"))
    if errors:
        raise InvalidInput(f"{len(errors)} invalid field(s)", errors)
    task_id = data.id or new_id()
    title = data.title or (f"Bin {data.bin}" if data.bin else ", ".join(skus)[:120])
    task = {
        "id": task_id,
        "warehouse_id": warehouse_id,
        "bin_id": bin_id,
        "skus": skus,
        "title": title,
        "status": "open",
        "created_by": actor,
        "created_at": utcnow(),
    }
    conn.execute(insert(CountTask).values(**task))
    touched(conn).changes.update([_entity(task_id, data.warehouse, _value(data.bin, skus, title))])
    return task_id


def close_task(conn: Connection, task_id: uuid.UUID, actor: str) -> None:
    row = conn.execute(
        select(CountTask.status, Warehouse.code)
        .join(Warehouse, Warehouse.id == CountTask.warehouse_id)
        .where(CountTask.id == task_id)
        .with_for_update(of=CountTask)  # two supervisors closing it at once: the second one is told
    ).first()
    if row is None:
        raise NotFound(f"no count task has the id {task_id}", [FieldError("task_id", "unknown")])
    if row[0] == "done":
        raise Conflict("this count task is already done", [FieldError("status", "already done")])
    conn.execute(
        update(CountTask)
        .where(CountTask.id == task_id)
        .values(status="done", done_at=utcnow(), done_by=actor)
    )
    touched(conn).changes.update([_entity(task_id, row[1], None)])


def finish_counted(conn: Connection, warehouse_ids: Iterable[uuid.UUID], now: datetime) -> Changes:
    """Close the open tasks of these warehouses whose every target has been counted since the task
    was made; their entities are deleted from the phones. Called after a push wrote its counts."""
    wanted = sorted(set(warehouse_ids), key=lambda i: i.int)
    if not wanted:
        return {}
    tasks = conn.execute(
        select(
            CountTask.id,
            CountTask.warehouse_id,
            CountTask.bin_id,
            CountTask.skus,
            CountTask.created_at,
            Warehouse.code,
        )
        .join(Warehouse, Warehouse.id == CountTask.warehouse_id)
        .where(CountTask.status == "open", CountTask.warehouse_id.in_(wanted))
    ).all()
    done: Changes = {}
    for task_id, warehouse_id, bin_id, skus, created_at, code in tasks:
        if _all_counted(conn, warehouse_id, bin_id, list(skus or []), created_at):
            conn.execute(
                update(CountTask)
                .where(CountTask.id == task_id)
                .values(status="done", done_at=now, done_by="counted")
            )
            key, value = _entity(task_id, code, None)
            done[key] = value
    return done


def _all_counted(
    conn: Connection, warehouse_id: uuid.UUID, bin_id: uuid.UUID | None, skus: list[str], since: datetime
) -> bool:
    counted = select(BinCount.bin_id).where(BinCount.updated_at >= since)
    if not skus:  # every SKU in the bin: the phone counts them together, one count is the bin done
        return bool(conn.execute(select(exists(counted.where(BinCount.bin_id == bin_id)))).scalar())
    sku_ids = dict(conn.execute(select(Sku.code, Sku.id).where(Sku.code.in_(skus))).all())
    for code in skus:
        sku_id = sku_ids.get(code)
        if sku_id is None:
            continue  # a SKU deleted since: nothing left to count
        target = counted.where(BinCount.sku_id == sku_id)
        if bin_id is not None:
            target = target.where(BinCount.bin_id == bin_id)
        else:
            target = target.join(Bin, Bin.id == BinCount.bin_id).where(Bin.warehouse_id == warehouse_id)
        if not conn.execute(select(exists(target))).scalar():
            return False
    return True


async def list_tasks(
    db: Database, page: PageParams, *, warehouse: str | None, status: TaskStatus | None
) -> Page[CountTaskOut]:
    stmt = (
        select(CountTask, Warehouse.code, Bin.code)
        .join(Warehouse, Warehouse.id == CountTask.warehouse_id)
        .outerjoin(Bin, Bin.id == CountTask.bin_id)
    )
    if warehouse is not None:
        stmt = stmt.where(Warehouse.code == warehouse)
    if status is not None:
        stmt = stmt.where(CountTask.status == status)
    async with db.read() as session:
        await require_known(session, Warehouse.code, warehouse, "warehouse")
        total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        rows = (
            await session.execute(
                stmt.order_by(CountTask.created_at.desc(), CountTask.id.desc())
                .limit(page.limit)
                .offset(page.offset)
            )
        ).all()
    return page.of([_out(task, wh, bin_code) for task, wh, bin_code in rows], total or 0)


async def get_task(db: Database, task_id: uuid.UUID) -> CountTaskOut:
    async with db.read() as session:
        row = (
            await session.execute(
                select(CountTask, Warehouse.code, Bin.code)
                .join(Warehouse, Warehouse.id == CountTask.warehouse_id)
                .outerjoin(Bin, Bin.id == CountTask.bin_id)
                .where(CountTask.id == task_id)
            )
        ).first()
    if row is None:
        raise NotFound(f"no count task has the id {task_id}", [FieldError("task_id", "unknown")])
    return _out(row[0], row[1], row[2])


async def open_task(db: Database, data: CountTaskIn, actor: str) -> CountTaskOut:
    return await get_task(db, await db.run_write(create_task, data, actor))


async def close_by_hand(db: Database, task_id: uuid.UUID, actor: str) -> CountTaskOut:
    await db.run_write(close_task, task_id, actor)
    return await get_task(db, task_id)


def _out(task: CountTask, warehouse: str, bin_code: str | None) -> CountTaskOut:
    return CountTaskOut(
        id=task.id,
        warehouse=warehouse,
        bin=bin_code,
        skus=list(task.skus or []),
        title=task.title,
        status="done" if task.status == "done" else "open",
        created_by=task.created_by,
        created_at=task.created_at,
        done_at=task.done_at,
        done_by=task.done_by,
    )


class CountTaskController(Controller):
    path = "/api/v1/count-tasks"
    tags = ["stock"]

    @get("/", opt=STAFF, dependencies=PAGINATION, summary="List cycle count tasks, newest first")
    async def list_tasks(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        page: NamedDependency[PageParams],
        warehouse: TextFilter = None,
        status: FromQuery[TaskStatus | None] = None,
    ) -> Page[CountTaskOut]:
        warehouse = warehouse_filter(request.user, warehouse)
        return await list_tasks(db, page, warehouse=warehouse, status=status)

    @post("/", opt=MANAGERS, summary="Ask for a bin, or SKUs wherever they are, to be counted")
    async def create(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        data: JSONBody[CountTaskIn],
    ) -> CountTaskOut:
        return await open_task(db, data, request.user.actor)

    @post("/{task_id:uuid}/close", opt=MANAGERS, summary="Close a count task without waiting for its counts")
    async def close(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        task_id: FromPath[uuid.UUID],
    ) -> CountTaskOut:
        return await close_by_hand(db, task_id, request.user.actor)


count_task_routes: list[Any] = [CountTaskController]
