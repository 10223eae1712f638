"""A supervisor accepts a fact recorded outside its user's authority (PROTOCOL.md §7.1).

The fact stayed in the journal, out of the ledgers, with an `out_of_scope` exception. Accepting it
judges the journalled op now, by the same rules and through the same writers as a push, records
the outcome on the journal row, and resolves the exception saying so. Rejecting it is resolving the
exception (`POST /api/v1/exceptions/{id}/resolve`): the fact stays in the journal only.

No `from __future__ import annotations`: Litestar resolves the controller's signatures at runtime.
"""

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from server.auth.principal import MANAGERS, Principal
from server.db import Database
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.exceptions.models import ExceptionRecord
from server.exceptions.schemas import ExceptionOut, ResolveIn
from server.exceptions.services import get_exception, resolve
from server.sync_api.effects import OpInfo, Pending, apply_decision
from server.sync_api.models import SyncOp
from server.sync_api.policy import seller_policy
from server.sync_api.world import DbWorld, Wanted
from sync import Op, judge

ACCEPTABLE = "out_of_scope"


def accept_fact(conn: Connection, exception_id: uuid.UUID, actor: str) -> str:
    """Judge and write the journalled fact behind an open out_of_scope exception; returns the
    op's new status (applied or flagged, as a push would have answered)."""
    stmt = select(ExceptionRecord.kind, ExceptionRecord.status, ExceptionRecord.details).where(
        ExceptionRecord.id == exception_id
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"no exception has the id {exception_id}", [FieldError("exception_id", "unknown")])
    kind, status, details = row
    if kind != ACCEPTABLE:
        raise InvalidInput(
            f"only an {ACCEPTABLE} fact can be accepted; this exception is {kind}",
            [FieldError("exception_id", f"a {kind} exception: resolve it, saying what was done")],
        )
    if status != "open":
        raise Conflict("this exception is already resolved", [FieldError("status", "already resolved")])
    op_id = uuid.UUID(str((details or {}).get("op")))
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
    decision = judge(op, world, actor=j.actor, policy=seller_policy())
    if world.failure is not None:
        raise world.failure
    pending = Pending()
    info = OpInfo(op_id, op.dev, j.device_id, j.seq, j.actor, f"user:{j.actor}")
    outcome, notes = apply_decision(world, pending, info, decision)
    pending.flush(conn, world)
    accepted = [["accepted", f"recorded outside its user's authority; accepted by {actor}"]]
    conn.execute(
        update(SyncOp)
        .where(SyncOp.op_id == op_id)
        .values(
            status=outcome, notes=msgspec.json.encode([*accepted, *([n.code, n.msg] for n in notes)]).decode()
        )
    )
    resolve(conn, exception_id, ResolveIn(resolution=f"accepted by {actor}: the fact was {outcome}"), actor)
    return outcome


def _notes_json(accepted: list[list[str]], notes: list[Any]) -> str:
    return msgspec.json.encode([*accepted, *([n.code, n.msg] for n in notes)]).decode()


class AcceptController(Controller):
    path = "/api/v1/exceptions"
    tags = ["exceptions"]

    @post(
        "/{exception_id:uuid}/accept",
        opt=MANAGERS,
        summary="Accept a fact recorded outside its user's authority: it is judged and written now",
    )
    async def accept(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        exception_id: FromPath[uuid.UUID],
    ) -> ExceptionOut:
        await db.run_write(accept_fact, exception_id, request.user.actor)
        return await get_exception(db, exception_id)


accept_routes: list[Any] = [AcceptController]
