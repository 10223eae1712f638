"""Exceptions: things that happened which a person must look at (an order on hold, a count far off,
cash for a cancelled order ...). Raised by the flows that notice them; listed and resolved here.

Resolving one also takes it off the supervisors' phones in the same transaction (the sync change
log), rather than waiting for the projector's next round.
"""

import uuid
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from server.catalog.models import Sku
from server.db import Database
from server.db.base import utcnow
from server.db.touched import touched
from server.errors import Conflict, FieldError, NotFound
from server.exceptions.models import ExceptionRecord
from server.exceptions.schemas import ExceptionOut, ExceptionStatus, ResolveIn
from server.inventory.models import Warehouse
from server.pagination import Page, PageParams

_SKU = aliased(Sku)
_WAREHOUSE = aliased(Warehouse)


def _select() -> Select[ExceptionRecord, str, str]:  # the codes are None when not set
    return (
        select(ExceptionRecord, _SKU.code, _WAREHOUSE.code)
        .outerjoin(_SKU, _SKU.id == ExceptionRecord.sku_id)
        .outerjoin(_WAREHOUSE, _WAREHOUSE.id == ExceptionRecord.warehouse_id)
    )


def _out(record: ExceptionRecord, sku: str | None, warehouse: str | None) -> ExceptionOut:
    return ExceptionOut(
        id=record.id,
        kind=record.kind,
        status="resolved" if record.status == "resolved" else "open",
        message=record.message,
        order_id=record.order_id,
        sku=sku,
        warehouse=warehouse,
        details=record.details or {},
        created_at=record.created_at,
        resolved_at=record.resolved_at,
        resolved_by=record.resolved_by,
        resolution=record.resolution,
    )


async def list_exceptions(
    db: Database,
    page: PageParams,
    *,
    status: ExceptionStatus | None,
    kind: str | None,
    order_id: uuid.UUID | None,
) -> Page[ExceptionOut]:
    """Newest first."""
    stmt = _select()
    if status is not None:
        stmt = stmt.where(ExceptionRecord.status == status)
    if kind is not None:
        stmt = stmt.where(ExceptionRecord.kind == kind)
    if order_id is not None:
        stmt = stmt.where(ExceptionRecord.order_id == order_id)
    async with db.read() as session:
        count = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        rows = (
            await session.execute(
                stmt.order_by(ExceptionRecord.created_at.desc(), ExceptionRecord.id.desc())
                .limit(page.limit)
                .offset(page.offset)
            )
        ).all()
    return page.of([_out(r[0], r[1], r[2]) for r in rows], count or 0)


def resolve(conn: Connection, exception_id: uuid.UUID, data: ResolveIn, actor: str) -> datetime:
    """Mark it resolved (once) and take it off the supervisors' phones."""
    status = conn.execute(
        select(ExceptionRecord.status).where(ExceptionRecord.id == exception_id).with_for_update()
    ).scalar()
    if status is None:
        raise NotFound(f"no exception has the id {exception_id}", [FieldError("exception_id", "unknown")])
    if status == "resolved":
        raise Conflict("this exception is already resolved", [FieldError("status", "already resolved")])
    now = utcnow()
    conn.execute(
        update(ExceptionRecord)
        .where(ExceptionRecord.id == exception_id)
        .values(status="resolved", resolved_at=now, resolved_by=actor, resolution=data.resolution)
    )
    touched(conn).exceptions.add(exception_id)  # it leaves the supervisors' phones
    return now


async def resolve_exception(
    db: Database, exception_id: uuid.UUID, data: ResolveIn, actor: str
) -> ExceptionOut:
    await db.run_write(resolve, exception_id, data, actor)
    return await get_exception(db, exception_id)


async def get_exception(db: Database, exception_id: uuid.UUID) -> ExceptionOut:
    async with db.read() as session:
        row = (await session.execute(_select().where(ExceptionRecord.id == exception_id))).first()
    if row is None:
        raise NotFound(f"no exception has the id {exception_id}", [FieldError("exception_id", "unknown")])
    return _out(row[0], row[1], row[2])
