"""Exceptions: things that happened which a person must look at (an order on hold, a count far off,
cash for a cancelled order ...). Raised by the flows that notice them; listed, acknowledged,
assigned and settled here (settling with an action: server/exceptions/actions.py).

Every change takes effect on the supervisors' phones in the same transaction (the sync change
log), and asks the notification job to tell whoever must hear of it (server/alerts/notify.py).
"""

import json
import uuid
from datetime import datetime, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import BigInteger, Select, String, Text, Uuid, column, func, insert, select, table, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from server.audit.models import AuditEntry
from server.auth.models import User
from server.catalog.models import Sku
from server.db import Database
from server.db.base import utcnow
from server.db.touched import touched
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.exceptions.actions import Acted, act, close
from server.exceptions.kinds import actions_for
from server.exceptions.models import ExceptionRecord
from server.exceptions.raising import ask_to_notify
from server.exceptions.schemas import (
    ActIn,
    ActOut,
    AssignIn,
    AuditOut,
    ExceptionCounts,
    ExceptionDetailOut,
    ExceptionOut,
    ExceptionStatus,
    ResolveIn,
)
from server.inventory.models import Warehouse
from server.pagination import Page, PageParams

_SKU = aliased(Sku)
_WAREHOUSE = aliased(Warehouse)
# The op behind an exception, from the sync journal (server/sync_api/models.py SyncOp): the one
# table read here, named, rather than importing the sync package, which stands above this one.
_OPS = table(
    "sync_ops",
    column("op_id", Uuid),
    column("type", String),
    column("device_id", Uuid),
    column("actor", String),
    column("payload", Text),
    column("wall", BigInteger),
)


def _select() -> Select[ExceptionRecord, str, str]:  # the codes are None when not set
    return (
        select(ExceptionRecord, _SKU.code, _WAREHOUSE.code)
        .outerjoin(_SKU, _SKU.id == ExceptionRecord.sku_id)
        .outerjoin(_WAREHOUSE, _WAREHOUSE.id == ExceptionRecord.warehouse_id)
    )


def _out(record: ExceptionRecord, sku: str | None, warehouse: str | None) -> ExceptionOut:
    is_open = record.status != "resolved"
    return ExceptionOut(
        id=record.id,
        kind=record.kind,
        status="open" if is_open else "resolved",
        message=record.message,
        order_id=record.order_id,
        sku=sku,
        warehouse=warehouse,
        details=record.details or {},
        created_at=record.created_at,
        resolved_at=record.resolved_at,
        resolved_by=record.resolved_by,
        resolution=record.resolution,
        severity=record.severity,
        subject_kind=record.subject_kind,
        subject_id=record.subject_id,
        raised_by=record.raised_by,
        acknowledged_at=record.acknowledged_at,
        acknowledged_by=record.acknowledged_by,
        assigned_to=record.assigned_to,
        escalation_level=record.escalation_level,
        last_notified_at=record.last_notified_at,
        action=record.action,
        actions=actions_for(record.kind) if is_open else [],
    )


Ts = TypeVarTuple("Ts")


class Filters:
    """The inbox's filters, shared by the list and its counts."""

    def __init__(
        self,
        *,
        status: ExceptionStatus | None = None,
        kind: str | None = None,
        order_id: uuid.UUID | None = None,
        warehouse: str | None = None,
        severity: str | None = None,
        subject_kind: str | None = None,
        subject_id: str | None = None,
        assigned_to: str | None = None,
        older_than_min: int | None = None,
        now: datetime | None = None,
    ) -> None:
        self.status, self.kind, self.order_id = status, kind, order_id
        self.warehouse, self.severity = warehouse, severity
        self.subject_kind, self.subject_id, self.assigned_to = subject_kind, subject_id, assigned_to
        self.older_than_min, self.now = older_than_min, now

    def apply(self, stmt: Select[*Ts]) -> Select[*Ts]:
        e = ExceptionRecord
        if self.status is not None:
            stmt = stmt.where(e.status == self.status)
        if self.kind is not None:
            stmt = stmt.where(e.kind == self.kind)
        if self.order_id is not None:
            stmt = stmt.where(e.order_id == self.order_id)
        if self.warehouse is not None:
            stmt = stmt.where(
                e.warehouse_id.in_(select(Warehouse.id).where(Warehouse.code == self.warehouse))
            )
        if self.severity is not None:
            stmt = stmt.where(e.severity == self.severity)
        if self.subject_kind is not None:
            stmt = stmt.where(e.subject_kind == self.subject_kind)
        if self.subject_id is not None:
            stmt = stmt.where(e.subject_id == self.subject_id)
        if self.assigned_to is not None:
            stmt = stmt.where(e.assigned_to == self.assigned_to)
        if self.older_than_min:
            cutoff = (self.now or utcnow()) - timedelta(minutes=self.older_than_min)
            stmt = stmt.where(e.created_at <= cutoff)
        return stmt


async def list_exceptions(db: Database, page: PageParams, filters: Filters) -> Page[ExceptionOut]:
    """Newest first."""
    stmt = filters.apply(_select())
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


def count_exceptions(conn: Connection, filters: Filters) -> ExceptionCounts:
    """For the home tile and the inbox's filter chips (open ones unless a status is given)."""
    if filters.status is None:
        filters.status = "open"
    e = ExceptionRecord
    by_kind: dict[str, int] = {}
    by_severity: dict[str, int] = {}
    unacknowledged = 0
    stmt = filters.apply(
        select(e.kind, e.severity, e.acknowledged_at.is_(None), func.count()).group_by(
            e.kind, e.severity, e.acknowledged_at.is_(None)
        )
    )
    for kind, severity, unacked, n in conn.execute(stmt).all():
        by_kind[kind] = by_kind.get(kind, 0) + n
        by_severity[severity] = by_severity.get(severity, 0) + n
        unacknowledged += n if unacked else 0
    return ExceptionCounts(sum(by_kind.values()), dict(sorted(by_kind.items())), by_severity, unacknowledged)


def _missing(exception_id: uuid.UUID) -> NotFound:
    return NotFound(f"no exception has the id {exception_id}", [FieldError("exception_id", "unknown")])


def resolve(conn: Connection, exception_id: uuid.UUID, data: ResolveIn, actor: str) -> datetime:
    """Mark it resolved (once) and take it off the supervisors' phones."""
    status = conn.execute(
        select(ExceptionRecord.status).where(ExceptionRecord.id == exception_id).with_for_update()
    ).scalar()
    if status is None:
        raise _missing(exception_id)
    if status == "resolved":
        raise Conflict("this exception is already resolved", [FieldError("status", "already resolved")])
    now = utcnow()
    close(conn, exception_id, "resolve", data.resolution, actor, now)
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
        raise _missing(exception_id)
    return _out(row[0], row[1], row[2])


def exception_detail(conn: Connection, exception_id: uuid.UUID) -> ExceptionDetailOut:
    from server.db.orm import orm_session

    with orm_session(conn) as session:
        row = session.execute(_select().where(ExceptionRecord.id == exception_id)).first()
        if row is None:
            raise _missing(exception_id)
        out = _out(row[0], row[1], row[2])
    op: dict[str, Any] | None = None
    op_ref = out.details.get("op")
    if op_ref:
        try:
            op_id = uuid.UUID(str(op_ref))
        except ValueError:
            op_id = None
        found = (
            conn.execute(
                select(_OPS.c.type, _OPS.c.device_id, _OPS.c.actor, _OPS.c.payload, _OPS.c.wall).where(
                    _OPS.c.op_id == op_id
                )
            ).first()
            if op_id is not None
            else None
        )
        if found is not None:
            op = {
                "op": str(op_id),
                "type": found.type,
                "device": str(found.device_id),
                "actor": found.actor,
                "payload": json.loads(found.payload),
                "wall_ms": found.wall,
            }
    history = [
        AuditOut(r.action, r.actor, r.at, dict(r.details or {}))
        for r in conn.execute(
            select(AuditEntry.action, AuditEntry.actor, AuditEntry.at, AuditEntry.details)
            .where(AuditEntry.action.like("exception.%"))
            .order_by(AuditEntry.id)
        ).all()
        if (r.details or {}).get("exception") == str(exception_id)
    ]
    return ExceptionDetailOut(out, op, history)


def _open_for_change(conn: Connection, exception_id: uuid.UUID) -> Any:
    stmt = select(ExceptionRecord.status, ExceptionRecord.acknowledged_by, ExceptionRecord.assigned_to).where(
        ExceptionRecord.id == exception_id
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise _missing(exception_id)
    if row.status == "resolved":
        raise Conflict("this exception is already resolved", [FieldError("status", "already resolved")])
    return row


def _changed(
    conn: Connection, exception_id: uuid.UUID, actor: str, what: str, now: datetime, **values: Any
) -> None:
    conn.execute(
        update(ExceptionRecord).where(ExceptionRecord.id == exception_id).values(updated_at=now, **values)
    )
    touched(conn).exceptions.add(exception_id)
    ask_to_notify(conn)
    details = {
        "exception": str(exception_id),
        **{k: str(v) for k, v in values.items() if k != "acknowledged_at"},
    }
    conn.execute(
        insert(AuditEntry).values(action=f"exception.{what}", actor=actor[:64], details=details, at=now)
    )


def acknowledge(conn: Connection, exception_id: uuid.UUID, actor: str, now: datetime) -> None:
    """ "I have seen it": stops its escalation. Acknowledging again changes nothing."""
    row = _open_for_change(conn, exception_id)
    if row.acknowledged_by is None:
        _changed(
            conn, exception_id, actor, "acknowledge", now, acknowledged_at=now, acknowledged_by=actor[:64]
        )


def assign(conn: Connection, exception_id: uuid.UUID, to: str, actor: str, now: datetime) -> None:
    """Give it to one person: they are the one told of it from now on (and it counts as seen)."""
    row = _open_for_change(conn, exception_id)
    active = conn.execute(select(User.active).where(User.username == to)).scalar()
    if not active:
        raise InvalidInput(f"no active user is called {to}", [FieldError("to", "unknown user")])
    values: dict[str, Any] = {"assigned_to": to}
    if row.acknowledged_by is None:
        values.update(acknowledged_at=now, acknowledged_by=actor[:64])
    _changed(conn, exception_id, actor, "assign", now, **values)


async def acknowledge_exception(db: Database, exception_id: uuid.UUID, actor: str) -> ExceptionOut:
    await db.run_write(acknowledge, exception_id, actor, utcnow())
    return await get_exception(db, exception_id)


async def assign_exception(db: Database, exception_id: uuid.UUID, data: AssignIn, actor: str) -> ExceptionOut:
    await db.run_write(assign, exception_id, data.to, actor, utcnow())
    return await get_exception(db, exception_id)


def _act(conn: Connection, exception_id: uuid.UUID, data: ActIn, actor: str) -> Acted:
    return act(
        conn, exception_id, data.action, data.note, dict(data.params), actor, now=utcnow(), via="console"
    )


async def act_on_exception(db: Database, exception_id: uuid.UUID, data: ActIn, actor: str) -> ActOut:
    acted = await db.run_write(_act, exception_id, data, actor)
    return ActOut(acted.outcome, await get_exception(db, exception_id))
