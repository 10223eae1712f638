"""The audit log, searchable: who changed what and when.

The audit package stands low (auth, COD, inventory, channels ... record through server/audit/
record.py), so its screen takes the route's role shorthand and the business day's bounds from
below it too (server/roles.py, server/business_day.py), never from auth or the KPIs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import get
from litestar.params import QueryParameter
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.audit.models import AuditEntry
from server.business_day import bounds
from server.db import Database
from server.errors import FieldError, InvalidInput
from server.pagination import PAGINATION, Page, PageParams, TextFilter
from server.roles import MANAGERS


class AuditOut(msgspec.Struct):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    details: dict[str, Any]


def search(
    conn: Connection,
    page: PageParams,
    actor: str | None,
    action: str | None,
    entity: str | None,
    entity_id: str | None,
    start: date | None,
    end: date | None,
) -> Page[AuditOut]:
    a = AuditEntry
    stmt = select(a.__table__)
    if actor:
        stmt = stmt.where(a.actor == actor)
    if action:
        # "cod.conflict" finds every "cod.conflict.*" too.
        stmt = stmt.where((a.action == action) | a.action.startswith(action + ".", autoescape=True))
    if entity:
        stmt = stmt.where(a.entity == entity)
    if entity_id:
        stmt = stmt.where(a.entity_id == entity_id)
    if start:
        stmt = stmt.where(a.at >= bounds(start)[0])
    if end:
        stmt = stmt.where(a.at < bounds(end)[0] + timedelta(days=1))
    total = conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = conn.execute(stmt.order_by(a.at.desc(), a.id.desc()).limit(page.limit).offset(page.offset)).all()
    items = [
        AuditOut(r.id, r.at, r.actor, r.action, r.entity, r.entity_id, dict(r.details or {})) for r in rows
    ]
    return page.of(items, total)


@get(
    "/api/v1/audit",
    opt=MANAGERS,
    tags=["audit"],
    dependencies=PAGINATION,
    summary="Who changed what and when, newest first",
)
async def list_audit(
    db: Database,
    page: PageParams,
    actor: TextFilter = None,
    action: TextFilter = None,
    entity: TextFilter = None,
    entity_id: TextFilter = None,
    start: Annotated[date | None, QueryParameter(name="from", description="First day (Manila)")] = None,
    end: Annotated[date | None, QueryParameter(name="to", description="Last day (Manila)")] = None,
) -> Page[AuditOut]:
    if start and end and start > end:
        raise InvalidInput("from is after to", [FieldError("from", "must not be after to")])
    return await db.run_read(search, page, actor, action, entity, entity_id, start, end)


audit_routes: list[Any] = [list_audit]
