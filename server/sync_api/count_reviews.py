"""A supervisor approves or rejects a held count (server/inventory/counts.py holds them).

Approving judges the journalled count again, by the same rule and writers as a push, at its own
HLC (so the movements made since it was taken survive, PROTOCOL.md R7), with the seller's threshold
lifted: the bin becomes what was counted. Rejecting leaves the bin as the ledger has it. Either
resolves the exception the recount raised.

No `from __future__ import annotations`: Litestar resolves the controller's signatures at runtime.
"""

import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from server.auth.principal import MANAGERS, STAFF, Principal, warehouse_filter
from server.catalog.models import Sku
from server.db import Database
from server.db.base import utcnow
from server.db.orm import orm_session
from server.errors import Conflict, FieldError, NotFound
from server.exceptions.models import ExceptionRecord
from server.exceptions.schemas import ResolveIn
from server.exceptions.services import resolve
from server.inventory.models import Bin, CountReview, Warehouse
from server.pagination import TextFilter
from server.sync_api.effects import OpInfo, Pending, apply_decision
from server.sync_api.models import SyncOp
from server.sync_api.policy import seller_policy
from server.sync_api.world import DbWorld, Wanted
from sync import Op, judge

ReviewStatus = Literal["recount", "approval", "approved", "rejected", "settled"]


class CountReviewOut(msgspec.Struct):
    id: uuid.UUID
    warehouse: str
    bin: str
    sku: str
    status: str
    counted: int  # the latest held count
    believed: int  # what the ledger held at that moment
    counts: int  # held counts so far (2 = counted and recounted)
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None


def _review(conn: Connection, review_id: uuid.UUID) -> tuple[str, uuid.UUID, uuid.UUID | None]:
    stmt = select(CountReview.status, CountReview.op_id, CountReview.exception_id).where(
        CountReview.id == review_id
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"no count review has the id {review_id}", [FieldError("review_id", "unknown")])
    return row[0], row[1], row[2]


def _decided(
    conn: Connection, review_id: uuid.UUID, status: str, actor: str, exception_id: uuid.UUID | None
) -> None:
    conn.execute(
        update(CountReview)
        .where(CountReview.id == review_id)
        .values(status=status, decided_by=actor[:64], decided_at=utcnow())
    )
    if exception_id is not None:
        open_ = conn.execute(
            select(ExceptionRecord.status).where(ExceptionRecord.id == exception_id)
        ).scalar()
        if open_ == "open":
            resolve(conn, exception_id, ResolveIn(resolution=f"count {status} by {actor}"), actor)


def approve_count(conn: Connection, review_id: uuid.UUID, actor: str) -> None:
    status, op_id, exception_id = _review(conn, review_id)
    if status != "approval":
        raise Conflict(
            f"this count review is {status}: only a recounted variance waits for approval",
            [FieldError("status", status)],
        )
    j = conn.execute(
        select(
            SyncOp.device_id, SyncOp.seq, SyncOp.wall, SyncOp.hlc, SyncOp.type, SyncOp.payload, SyncOp.actor
        ).where(SyncOp.op_id == op_id)
    ).one()
    op = Op(op_id, str(j.device_id), j.seq, j.wall, j.hlc, j.type, msgspec.json.decode(j.payload))
    world = DbWorld(conn)
    wanted = Wanted()
    wanted.add(op, j.actor)
    world.prefetch(wanted)
    decision = judge(op, world, actor=j.actor, policy=seller_policy(approved=True))
    if world.failure is not None:
        raise world.failure
    pending = Pending()
    info = OpInfo(op_id, op.dev, j.device_id, j.seq, j.actor, f"user:{j.actor}")
    apply_decision(world, pending, info, decision)
    pending.flush(conn, world)
    _decided(conn, review_id, "approved", actor, exception_id)


def reject_count(conn: Connection, review_id: uuid.UUID, actor: str) -> None:
    status, _, exception_id = _review(conn, review_id)
    if status not in ("recount", "approval"):
        raise Conflict(f"this count review is already {status}", [FieldError("status", status)])
    _decided(conn, review_id, "rejected", actor, exception_id)


def list_reviews(conn: Connection, warehouse: str | None, status: str | None) -> list[CountReviewOut]:
    stmt = (
        select(CountReview, Warehouse.code, Bin.code, Sku.code)
        .join(Warehouse, Warehouse.id == CountReview.warehouse_id)
        .join(Bin, Bin.id == CountReview.bin_id)
        .join(Sku, Sku.id == CountReview.sku_id)
    )
    if warehouse is not None:
        stmt = stmt.where(Warehouse.code == warehouse)
    if status is not None:
        stmt = stmt.where(CountReview.status == status)
    with orm_session(conn) as session:
        rows = session.execute(stmt.order_by(CountReview.created_at.desc()).limit(200)).all()
    return [
        CountReviewOut(
            id=r.id,
            warehouse=wh,
            bin=bin_code,
            sku=sku,
            status=r.status,
            counted=r.counted,
            believed=r.believed,
            counts=r.counts,
            created_at=r.created_at,
            decided_by=r.decided_by,
            decided_at=r.decided_at,
        )
        for r, wh, bin_code, sku in rows
    ]


async def _list(db: Database, warehouse: str | None, status: str | None) -> list[CountReviewOut]:
    async with db.reader.connect() as conn:
        return await conn.run_sync(list_reviews, warehouse, status)


class CountReviewController(Controller):
    path = "/api/v1/count-reviews"
    tags = ["stock"]

    @get("/", opt=STAFF, summary="Counts held for a recount or a supervisor's approval, newest first")
    async def list_reviews(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        warehouse: TextFilter = None,
        status: FromQuery[ReviewStatus | None] = None,
    ) -> list[CountReviewOut]:
        return await _list(db, warehouse_filter(request.user, warehouse), status)

    @post(
        "/{review_id:uuid}/approve",
        opt=MANAGERS,
        status_code=200,
        summary="Approve a recounted variance: the count is applied as of when it was taken",
    )
    async def approve(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        review_id: FromPath[uuid.UUID],
    ) -> list[CountReviewOut]:
        await db.run_write(approve_count, review_id, request.user.actor)
        return await _list(db, None, None)

    @post(
        "/{review_id:uuid}/reject",
        opt=MANAGERS,
        status_code=200,
        summary="Reject a held count: the bin keeps the ledger's quantity",
    )
    async def reject(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        review_id: FromPath[uuid.UUID],
    ) -> list[CountReviewOut]:
        await db.run_write(reject_count, review_id, request.user.actor)
        return await _list(db, None, None)


count_review_routes: list[Any] = [CountReviewController]
