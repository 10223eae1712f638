"""Resolution actions: the work that settles an exception, done through the domain's own writer.

A registry of name -> function (kinds.py says which kinds offer which names). `act` is the one
writer of "a person acted on an exception", whichever path the person used: the console's
POST /api/v1/exceptions/{id}/act and the phone's `exception.acted` op both call it, so a decision
sent by both is applied once: the second finds the exception resolved and answers so, without
doing the work again (no second charge, no second count task).

An action function never writes the fact's rows itself: it calls the writer of its domain (the
order state machine, reallocation, stock transfers, count tasks, count reviews, the COD conflicts'
and deliveries' writers, the status review queue) and returns what was done, in a sentence, for
the resolution and the audit. It lives in the package that owns that writer and registers here
with `@action(name)`: this package stands below them all (they raise exceptions through it).
A refusal (the order is no longer on hold, no stock came) raises, and nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Uuid, column, insert, select, table, update
from sqlalchemy.engine import Connection

from server.audit.models import AuditEntry
from server.db.touched import touched
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.exceptions.kinds import ACTIONS, actions_for
from server.exceptions.models import ExceptionRecord
from server.exceptions.raising import ask_to_notify
from server.inventory.count_tasks import CountTaskIn, create_task
from server.inventory.models import Warehouse


@dataclass(frozen=True)
class Acting:
    """One person's decision about one exception, with the exception as it stands."""

    exception_id: uuid.UUID
    kind: str
    order_id: uuid.UUID | None
    warehouse_id: uuid.UUID | None
    details: dict[str, Any]
    action: str
    note: str
    params: dict[str, Any]
    actor: str  # "user:<name>"
    now: datetime


ActionFn = Callable[[Connection, Acting], str]
REGISTRY: dict[str, ActionFn] = {}


def action(name: str) -> Callable[[ActionFn], ActionFn]:
    def register(fn: ActionFn) -> ActionFn:
        REGISTRY[name] = fn
        return fn

    return register


@dataclass(frozen=True)
class Acted:
    """What `act` did: `done`, or `already_resolved` (someone settled it first: nothing was done)."""

    outcome: Literal["done", "already_resolved"]
    action: str
    resolution: str
    resolved_by: str | None = None
    audit: dict[str, Any] = field(default_factory=dict[str, Any])


def act(
    conn: Connection,
    exception_id: uuid.UUID,
    name: str,
    note: str,
    params: dict[str, Any],
    actor: str,
    *,
    now: datetime,
    via: str,
) -> Acted:
    """Do `name` about the exception and resolve it, audited. `via`: console | phone (which path)."""
    stmt = select(
        ExceptionRecord.kind,
        ExceptionRecord.status,
        ExceptionRecord.order_id,
        ExceptionRecord.warehouse_id,
        ExceptionRecord.details,
        ExceptionRecord.resolution,
        ExceptionRecord.resolved_by,
        ExceptionRecord.action,
    ).where(ExceptionRecord.id == exception_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # two people acting at once: the second waits, then sees it resolved
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"no exception has the id {exception_id}", [FieldError("exception", "unknown")])
    if row.status == "resolved":
        return Acted("already_resolved", row.action or "", row.resolution or "", row.resolved_by)
    allowed = actions_for(row.kind)
    if name not in allowed:
        raise InvalidInput(
            f"{name} does not settle a {row.kind}", [FieldError("action", f"one of: {', '.join(allowed)}")]
        )
    acting = Acting(
        exception_id,
        row.kind,
        row.order_id,
        row.warehouse_id,
        dict(row.details or {}),
        name,
        note,
        params,
        actor,
        now,
    )
    done = REGISTRY[name](conn, acting)
    resolution = f"{done}: {note}" if note else done
    close(conn, exception_id, name, resolution[:500], actor, now)
    audit = {
        "exception": str(exception_id),
        "kind": row.kind,
        "action": name,
        "params": params,
        "note": note,
        "done": done,
        "via": via,
    }
    conn.execute(
        insert(AuditEntry).values(action=f"exception.{name}", actor=actor[:64], details=audit, at=now)
    )
    return Acted("done", name, resolution[:500], actor, audit)


def close(
    conn: Connection, exception_id: uuid.UUID, name: str, resolution: str, actor: str, now: datetime
) -> None:
    """Resolve (or, when the domain's writer already resolved it, record which action did it),
    free its dedupe key and take it off the phones."""
    conn.execute(
        update(ExceptionRecord)
        .where(ExceptionRecord.id == exception_id)
        .values(
            status="resolved",
            resolved_at=now,
            resolved_by=actor[:64],
            resolution=resolution,
            action=name,
            dedupe_key=None,
            updated_at=now,
        )
    )
    touched(conn).exceptions.add(exception_id)
    ask_to_notify(conn)


# ---- the actions whose writers stand at or below this floor ----------------------------------
# The others register from the package that owns their writer: server/orders/actions.py (held
# orders), server/cod/actions.py (two deliveries), server/intake/actions.py (status mapping),
# server/sync_api/actions.py (count reviews, COD conflicts). server/writes.py, which every process
# that writes imports (the app, the CLI, the SQLite writer process), imports them all and checks
# with `unregistered` that every action a kind offers has its function.

# The one column of the orders' table read here (the warehouse an order is allocated to): named,
# rather than importing the orders package, which stands above this one.
_ORDERS = table("orders", column("id", Uuid), column("warehouse_id", Uuid))


def order_of(a: Acting) -> uuid.UUID:
    """The order the exception names (a refusal when it names none)."""
    if a.order_id is None:
        raise Conflict("this exception names no order", [FieldError("action", "no order")])
    return a.order_id


def unregistered() -> set[str]:
    """The action names some kind offers that no function is registered for (empty when complete)."""
    return {name for kind in ACTIONS for name in actions_for(kind)} - set(REGISTRY)


@action("dismiss")
def dismiss(conn: Connection, a: Acting) -> str:
    if len(a.note.strip()) < 3:
        raise InvalidInput("say what was done", [FieldError("note", "at least 3 characters to dismiss")])
    return "dismissed"


def _warehouse_code(conn: Connection, a: Acting) -> str:
    code = a.params.get("warehouse") or a.details.get("wh")
    if not code and a.warehouse_id is not None:
        code = conn.execute(select(Warehouse.code).where(Warehouse.id == a.warehouse_id)).scalar()
    if not code and a.order_id is not None:
        code = conn.execute(
            select(Warehouse.code)
            .join(_ORDERS, _ORDERS.c.warehouse_id == Warehouse.id)
            .where(_ORDERS.c.id == a.order_id)
        ).scalar()
    if not code:
        raise InvalidInput(
            "which warehouse?", [FieldError("params.warehouse", "required for this exception")]
        )
    return str(code)


@action("count_task")
def count_task(conn: Connection, a: Acting) -> str:
    bin_code = a.params.get("bin", a.details.get("bin")) or None
    sku = a.params.get("sku", a.details.get("sku")) or None
    data = CountTaskIn(
        warehouse=_warehouse_code(conn, a),
        bin=str(bin_code) if bin_code else None,
        skus=[str(sku)] if sku else [],
        title=str(a.params.get("title") or "")[:120],
    )
    task_id = create_task(conn, data, a.actor)
    where = f"bin {data.bin}" if data.bin else ", ".join(data.skus)
    return f"count task {str(task_id)[:8]} opened for {where}"
