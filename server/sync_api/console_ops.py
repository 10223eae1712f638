"""A fact entered at the console (or by any REST call that records what a phone would record):
judged by the same rules as a phone's op (sync/_rules.py) against the same view of the ledger,
and written by the same writers (server/sync_api/effects.py). Only the journal is the phone's own:
a console fact is not a device's op; its event key comes from the server's clock."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.engine import Connection

from server.clock import SERVER_ORIGIN, now_hlc
from server.db.base import new_id
from server.errors import FieldError, InvalidInput
from server.sync_api.effects import OpInfo, Pending, apply_decision
from server.sync_api.world import DbWorld, Wanted
from sync import Decision, Note, Op, OpStatus, judge, wall_clock_ms

CONSOLE = uuid.UUID(int=0)  # stands for the device in the op's evidence: none


def judge_fact(
    conn: Connection,
    op_type: str,
    payload: dict[str, Any],
    *,
    holder: str,
    by: str,
    device: str = SERVER_ORIGIN,
) -> tuple[Decision, OpStatus, list[Note], DbWorld]:
    """Judge one fact as the op `op_type` would be from a phone of `holder` (a username: who holds
    cash), write it through the domains' writers, and answer the decision, its outcome and notes,
    and the world it was judged in. `by` is how histories name the person (`user:<username>`),
    `device` what the op names as its device. A payload the rules reject is bad input (422)."""
    op = Op(new_id(), device, 1, wall_clock_ms(), now_hlc(), op_type, payload)
    world = DbWorld(conn)
    wanted = Wanted()
    wanted.add(op, holder)
    world.prefetch(wanted)
    decision = judge(op, world, actor=holder)
    if world.failure is not None:
        raise world.failure
    if decision.outcome == "rejected":
        raise InvalidInput(decision.message, [FieldError("body", decision.reason)])
    pending = Pending()
    info = OpInfo(op.id, device, CONSOLE, 0, holder, by)
    outcome, notes = apply_decision(world, pending, info, decision)
    pending.flush(conn, world)
    return decision, outcome, notes, world


def record_fact(
    conn: Connection, op_type: str, payload: dict[str, Any], actor: str
) -> tuple[OpStatus, list[Note]]:
    """Judge and write one fact as `actor` (a username); answers its outcome and notes."""
    _, outcome, notes, _ = judge_fact(conn, op_type, payload, holder=actor, by=f"user:{actor}")
    return outcome, notes
