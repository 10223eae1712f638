"""The ERP feed over HTTP: pull (`GET /api/v1/events?after=`), webhook endpoints (admin), and the
dead-letter list with its retry button."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import QueryParameter
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from server.audit.record import audit
from server.auth.principal import ADMIN, MANAGERS, Principal
from server.db import Database
from server.db.base import utcnow
from server.erp.deliver import ask_delivery, event_json
from server.erp.models import ErpDelivery, ErpEndpoint, ErpEvent
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.facts import TYPES, EventType
from server.pagination import PAGINATION, Page, PageParams

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")]
Url = Annotated[str, msgspec.Meta(min_length=8, max_length=1000, pattern=r"^https?://[^\s\x00-\x1f\x7f]+$")]
Secret = Annotated[str, msgspec.Meta(min_length=16, max_length=256, pattern=r"^[^\x00-\x1f\x7f]*$")]


class EventOut(msgspec.Struct):
    seq: int
    id: str
    type: str
    occurred_at: str
    order_id: str | None
    key: str
    data: dict[str, Any]


class EventPage(msgspec.Struct):
    items: list[EventOut]
    next: int  # pass as `after` next time


class EndpointIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    url: Url
    secret: Secret
    types: list[EventType] = []
    active: bool = True


class EndpointPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | None = None
    url: Url | None = None
    secret: Secret | None = None
    types: list[EventType] | None = None
    active: bool | None = None


class EndpointOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    url: str
    active: bool
    types: list[str]
    cursor: int
    has_secret: bool
    created_at: datetime
    pending: int
    dead: int


class DeadLetterOut(msgspec.Struct):
    id: int
    endpoint_id: uuid.UUID
    endpoint_name: str
    seq: int
    type: str
    order_id: uuid.UUID | None
    attempts: int
    last_error: str
    last_attempt_at: datetime | None
    event: dict[str, Any]


class RetryOut(msgspec.Struct):
    id: int
    state: str


def _check_types(types: Sequence[str] | None) -> None:
    bad = [t for t in types or [] if t not in TYPES]
    if bad:
        raise InvalidInput(
            "unknown event type",
            [FieldError("types", f"unknown: {', '.join(bad)}; known: {', '.join(TYPES)}")],
        )


def read_events(conn: Connection, after: int, limit: int) -> EventPage:
    rows = conn.execute(
        select(ErpEvent.__table__).where(ErpEvent.seq > after).order_by(ErpEvent.seq).limit(limit)
    ).all()
    items = [EventOut(**event_json(r)) for r in rows]
    return EventPage(items, items[-1].seq if items else after)


def _endpoint_out(conn: Connection, ep: Any) -> EndpointOut:
    counts = dict(
        conn.execute(
            select(ErpDelivery.state, func.count())
            .where(ErpDelivery.endpoint_id == ep.id)
            .group_by(ErpDelivery.state)
        ).all()
    )
    return EndpointOut(
        ep.id,
        ep.name,
        ep.url,
        ep.active,
        list(ep.types),
        int(ep.cursor),
        bool(ep.secret),
        ep.created_at,
        int(counts.get("pending", 0)),
        int(counts.get("dead", 0)),
    )


def _one(conn: Connection, endpoint_id: uuid.UUID) -> Any:
    ep = conn.execute(select(ErpEndpoint.__table__).where(ErpEndpoint.id == endpoint_id)).first()
    if ep is None:
        raise NotFound(f"no ERP endpoint {endpoint_id}")
    return ep


def _name_free(conn: Connection, name: str, but: uuid.UUID | None = None) -> None:
    stmt = select(ErpEndpoint.id).where(ErpEndpoint.name == name)
    if but is not None:
        stmt = stmt.where(ErpEndpoint.id != but)
    if conn.execute(stmt).first() is not None:
        raise Conflict("name taken", [FieldError("name", "another endpoint has this name")])


def list_endpoints(conn: Connection, page: PageParams) -> Page[EndpointOut]:
    total = conn.execute(select(func.count()).select_from(ErpEndpoint)).scalar_one()
    rows = conn.execute(
        select(ErpEndpoint.__table__).order_by(ErpEndpoint.name).limit(page.limit).offset(page.offset)
    ).all()
    return page.of([_endpoint_out(conn, r) for r in rows], total)


def create_endpoint(conn: Connection, data: EndpointIn, actor: str) -> EndpointOut:
    _check_types(data.types)
    _name_free(conn, data.name)
    now = utcnow()
    # A new endpoint starts from now: the history before it is there to pull (GET /events).
    head = conn.execute(select(func.max(ErpEvent.seq))).scalar() or 0
    endpoint_id = uuid.uuid4()
    conn.execute(
        insert(ErpEndpoint).values(
            id=endpoint_id,
            name=data.name,
            url=data.url,
            secret=data.secret,
            types=list(data.types),
            active=data.active,
            cursor=int(head),
            created_at=now,
            updated_at=now,
        )
    )
    ask_delivery(conn, endpoint_id, now)
    audit(conn, "erp.endpoint.created", actor, "erp_endpoint", str(endpoint_id), name=data.name, url=data.url)
    return _endpoint_out(conn, _one(conn, endpoint_id))


def change_endpoint(conn: Connection, endpoint_id: uuid.UUID, data: EndpointPatch, actor: str) -> EndpointOut:
    _one(conn, endpoint_id)
    values: dict[str, Any] = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
    if "types" in values:
        _check_types(values["types"])
    if "name" in values:
        _name_free(conn, values["name"], endpoint_id)
    if values:
        conn.execute(
            update(ErpEndpoint).where(ErpEndpoint.id == endpoint_id).values(**values, updated_at=utcnow())
        )
        shown = {k: v for k, v in values.items() if k != "secret"}
        audit(
            conn,
            "erp.endpoint.changed",
            actor,
            "erp_endpoint",
            str(endpoint_id),
            secret_changed="secret" in values,
            **shown,
        )
    return _endpoint_out(conn, _one(conn, endpoint_id))


def delete_endpoint(conn: Connection, endpoint_id: uuid.UUID, actor: str) -> None:
    ep = _one(conn, endpoint_id)
    conn.execute(sql_delete(ErpDelivery).where(ErpDelivery.endpoint_id == endpoint_id))
    conn.execute(sql_delete(ErpEndpoint).where(ErpEndpoint.id == endpoint_id))
    audit(conn, "erp.endpoint.deleted", actor, "erp_endpoint", str(endpoint_id), name=ep.name)


def dead_letters(conn: Connection, endpoint_id: uuid.UUID | None, page: PageParams) -> Page[DeadLetterOut]:
    d, e, ep = ErpDelivery, ErpEvent, ErpEndpoint
    stmt = (
        select(
            d.id,
            d.endpoint_id,
            ep.name,
            d.seq,
            d.attempts,
            d.last_error,
            d.last_attempt_at,
            e.id.label("event_id"),
            e.type,
            e.key,
            e.order_id,
            e.occurred_at,
            e.data,
        )
        .join(e, e.seq == d.seq)
        .join(ep, ep.id == d.endpoint_id)
        .where(d.state == "dead")
    )
    if endpoint_id is not None:
        stmt = stmt.where(d.endpoint_id == endpoint_id)
    total = conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = conn.execute(stmt.order_by(d.seq).limit(page.limit).offset(page.offset)).all()
    items = [
        DeadLetterOut(
            r.id,
            r.endpoint_id,
            r.name,
            r.seq,
            r.type,
            r.order_id,
            r.attempts,
            r.last_error,
            r.last_attempt_at,
            event_json(_EventRow(r.seq, r.event_id, r.type, r.key, r.order_id, r.occurred_at, r.data)),
        )
        for r in rows
    ]
    return page.of(items, total)


class _EventRow(msgspec.Struct):
    seq: int
    id: uuid.UUID
    type: str
    key: str
    order_id: uuid.UUID | None
    occurred_at: datetime
    data: dict[str, Any]


# The largest cursor taken: JSON readers hold numbers as doubles, which are exact only up to 2**53
# (a bound of 2**62 let a client's 2**62 + 1 pass its own check and be refused here).
MAX_SEQ = 2**53 - 1


def retry_dead_letter(conn: Connection, delivery_id: int, actor: str) -> RetryOut:
    if not 0 < delivery_id < 2**62:
        raise NotFound(f"no dead letter {delivery_id}")
    row = conn.execute(select(ErpDelivery.__table__).where(ErpDelivery.id == delivery_id)).first()
    if row is None or row.state != "dead":
        raise NotFound(f"no dead letter {delivery_id}")
    now = utcnow()
    conn.execute(
        update(ErpDelivery)
        .where(ErpDelivery.id == delivery_id)
        .values(state="pending", attempts=0, next_at=now)
    )
    ask_delivery(conn, row.endpoint_id, now)
    audit(conn, "erp.dead_letter.retried", actor, "erp_endpoint", str(row.endpoint_id), seq=int(row.seq))
    return RetryOut(delivery_id, "pending")


@get("/api/v1/events", opt=MANAGERS, tags=["erp"], summary="The ERP feed, in commit order, after a cursor")
async def pull_events(
    db: Database,
    after: Annotated[int, QueryParameter(ge=0, le=MAX_SEQ, description="The last seq you have")] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> EventPage:
    return await db.run_read(read_events, after, limit)


class ErpController(Controller):
    path = "/api/v1/erp"
    tags = ["erp"]

    @get("/endpoints", opt=ADMIN, dependencies=PAGINATION, summary="Webhook endpoints (secrets never shown)")
    async def endpoints(self, db: Database, page: PageParams) -> Page[EndpointOut]:
        return await db.run_read(list_endpoints, page)

    @post("/endpoints", opt=ADMIN, summary="Add a webhook endpoint; it gets the events from now on")
    async def add(self, request: Request[Principal, Any, Any], db: Database, data: EndpointIn) -> EndpointOut:
        return await db.run_write(create_endpoint, data, request.user.actor)

    @patch("/endpoints/{endpoint_id:uuid}", opt=ADMIN, summary="Change an endpoint (a new secret, pause ...)")
    async def change(
        self, request: Request[Principal, Any, Any], db: Database, endpoint_id: uuid.UUID, data: EndpointPatch
    ) -> EndpointOut:
        return await db.run_write(change_endpoint, endpoint_id, data, request.user.actor)

    @delete("/endpoints/{endpoint_id:uuid}", opt=ADMIN, summary="Remove an endpoint and what it was owed")
    async def remove(
        self, request: Request[Principal, Any, Any], db: Database, endpoint_id: uuid.UUID
    ) -> None:
        await db.run_write(delete_endpoint, endpoint_id, request.user.actor)

    @get("/dead-letters", opt=MANAGERS, dependencies=PAGINATION, summary="Events an endpoint gave up on")
    async def dead(
        self, db: Database, page: PageParams, endpoint: uuid.UUID | None = None
    ) -> Page[DeadLetterOut]:
        return await db.run_read(dead_letters, endpoint, page)

    @post(
        "/dead-letters/{delivery_id:int}/retry",
        opt=MANAGERS,
        status_code=202,
        summary="Send a dead letter again",
    )
    async def retry(self, request: Request[Principal, Any, Any], db: Database, delivery_id: int) -> RetryOut:
        return await db.run_write(retry_dead_letter, delivery_id, request.user.actor)


erp_routes: list[Any] = [pull_events, ErpController]
