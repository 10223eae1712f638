"""Resolution actions: the work that settles an exception, done through the domain's own writer.

A registry of name -> function (kinds.py says which kinds offer which names). `act` is the one
writer of "a person acted on an exception", whichever path the person used: the console's
POST /api/v1/exceptions/{id}/act and the phone's `exception.acted` op both call it, so a decision
sent by both is applied once: the second finds the exception resolved and answers so, without
doing the work again (no second charge, no second count task).

An action function never writes the fact's rows itself: it calls the writer of its domain (the
order state machine, reallocation, stock transfers, count tasks, count reviews, the COD conflicts'
and deliveries' writers, the status review queue) and returns what was done, in a sentence, for
the resolution and the audit.
A refusal (the order is no longer on hold, no stock came) raises, and nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from server.audit.models import AuditEntry
from server.db.touched import touched
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.exceptions.kinds import COD_CONFLICTS, DISMISS, actions_for
from server.exceptions.models import ExceptionRecord
from server.exceptions.raising import ask_to_notify
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


# ---- the actions -------------------------------------------------------------------------------


def _order(a: Acting) -> uuid.UUID:
    if a.order_id is None:
        raise Conflict("this exception names no order", [FieldError("action", "no order")])
    return a.order_id


def _on_hold(conn: Connection, order_id: uuid.UUID) -> None:
    from server.orders.models import Order

    status = conn.execute(select(Order.status).where(Order.id == order_id)).scalar()
    if status != "on_hold":
        raise Conflict(f"the order is {status}, not on hold", [FieldError("action", f"order is {status}")])


@action("dismiss")
def dismiss(conn: Connection, a: Acting) -> str:
    if len(a.note.strip()) < 3:
        raise InvalidInput("say what was done", [FieldError("note", "at least 3 characters to dismiss")])
    return "dismissed"


@action("reallocate")
def reallocate_order(conn: Connection, a: Acting) -> str:
    from server.orders.reallocation import reallocate

    order_id = _order(a)
    _on_hold(conn, order_id)
    results = reallocate(conn, [order_id], a.actor)
    if not results:
        raise Conflict(
            "still not enough free stock in any warehouse: count, receive, or backorder it",
            [FieldError("action", "no stock")],
        )
    return f"re-allocated to {results[0].warehouse}"


@action("cancel")
def cancel_order(conn: Connection, a: Acting) -> str:
    from server.orders.transitions import change_status

    before = change_status(
        conn, _order(a), "cancelled", actor=a.actor, reason=a.note or "cancelled from the exception"
    )
    return f"order cancelled (was {before})"


@action("backorder")
def backorder(conn: Connection, a: Acting) -> str:
    # The order stays on hold (every reaction to stock reads that) and is marked backordered by
    # the order status writer: the seller sees it, and arriving stock goes to backorders first.
    from server.orders.transitions import backorder as mark

    mark(conn, _order(a), actor=a.actor, at=a.now)
    return "backordered: it is allocated first when stock arrives"


@action("transfer")
def transfer_stock(conn: Connection, a: Acting) -> str:
    """Bring what the held order lacks from another warehouse that has it free (params.from, or
    the first by code that can cover all of it) into the order's warehouse (params.to, else its
    shop's default, else the first serving its region), through the inventory transfer writer;
    then re-allocate."""
    from server.catalog.models import Sku
    from server.inventory.schemas import StockLineIn, TransferIn
    from server.inventory.stock import transfer
    from server.orders.allocator import availability, load_warehouses, needs_of
    from server.orders.reallocation import reallocate
    from server.orders.repository import load_allocation_inputs

    order_id = _order(a)
    _on_hold(conn, order_id)
    [item] = load_allocation_inputs(conn, [order_id])
    needs = needs_of(item.lines)
    warehouses = load_warehouses(conn)
    codes = {w.id: w.code for w in warehouses}
    ids = {code: wid for wid, code in codes.items()}
    to = a.params.get("to")
    if not to:
        # As the allocator would choose: the shop's own warehouse, else the first serving the region.
        serving = sorted((w.priority, w.code) for w in warehouses if item.region in w.serves_regions)
        default = codes.get(item.default_warehouse_id) if item.default_warehouse_id else None
        to = default or (serving[0][1] if serving else None)
    if to not in ids:
        raise InvalidInput("into which warehouse?", [FieldError("params.to", "an active warehouse's code")])
    free = availability(conn, {(sku, wid) for sku in needs for wid in codes})
    short = {sku: qty - free.get(sku, ids[to]) for sku, qty in needs.items() if qty > free.get(sku, ids[to])}
    if not short:
        raise Conflict(f"{to} already has the stock: re-allocate", [FieldError("action", "nothing to move")])
    sources = [a.params["from"]] if a.params.get("from") else sorted(c for c in ids if c != to)
    source = next(
        (c for c in sources if c in ids and all(free.get(s, ids[c]) >= q for s, q in short.items())), None
    )
    if source is None:
        field = "params.from" if a.params.get("from") else "action"
        raise Conflict("no other warehouse has what the order lacks free", [FieldError(field, "no stock")])
    sku_codes = dict(conn.execute(select(Sku.id, Sku.code).where(Sku.id.in_(list(short)))).all())
    lines = [
        StockLineIn(sku=sku_codes[s], qty=q) for s, q in sorted(short.items(), key=lambda x: sku_codes[x[0]])
    ]
    ref = f"exception {str(a.exception_id)[:8]}"
    transfer(
        conn, TransferIn(from_warehouse=source, to_warehouse=str(to), lines=lines, reference=ref), a.actor
    )
    moved = ", ".join(f"{line.qty} {line.sku}" for line in lines)
    results = reallocate(conn, [order_id], a.actor)
    where = f"re-allocated to {results[0].warehouse}" if results else "still held"
    return f"moved {moved} from {source} to {to}; {where}"


def _warehouse_code(conn: Connection, a: Acting) -> str:
    code = a.params.get("warehouse") or a.details.get("wh")
    if not code and a.warehouse_id is not None:
        code = conn.execute(select(Warehouse.code).where(Warehouse.id == a.warehouse_id)).scalar()
    if not code and a.order_id is not None:
        from server.orders.models import Order

        code = conn.execute(
            select(Warehouse.code)
            .join(Order, Order.warehouse_id == Warehouse.id)
            .where(Order.id == a.order_id)
        ).scalar()
    if not code:
        raise InvalidInput(
            "which warehouse?", [FieldError("params.warehouse", "required for this exception")]
        )
    return str(code)


@action("count_task")
def count_task(conn: Connection, a: Acting) -> str:
    from server.inventory.count_tasks import CountTaskIn, create_task

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


@action("recount")
def recount(conn: Connection, a: Acting) -> str:
    """A count far from the ledger: count again. A held count waiting for approval is rejected
    first (the recount decides), through the count reviews' writer."""
    review = a.details.get("review")
    if review:
        from server.sync_api.count_reviews import reject_count

        reject_count(conn, uuid.UUID(str(review)), a.actor)
    return count_task(conn, a).replace("count task", "recount task", 1)


def _review(a: Acting) -> uuid.UUID:
    review = a.details.get("review")
    if not review:
        raise Conflict("this exception names no count review", [FieldError("action", "no review")])
    return uuid.UUID(str(review))


@action("approve_count")
def approve(conn: Connection, a: Acting) -> str:
    from server.sync_api.count_reviews import approve_count

    approve_count(conn, _review(a), a.actor)
    return f"count approved: bin {a.details.get('bin', '')} set to the count"


@action("reject_count")
def reject(conn: Connection, a: Acting) -> str:
    from server.sync_api.count_reviews import reject_count

    reject_count(conn, _review(a), a.actor)
    return "count rejected: the bin keeps its ledger quantity"


@action("map_status")
def map_unknown_status(conn: Connection, a: Acting) -> str:
    from server.intake.mapping import load_context
    from server.intake.review import map_status
    from server.intake.statuses import CANONICAL

    status = a.params.get("status")
    if status not in CANONICAL:
        raise InvalidInput(
            "map it to one of Bodega's statuses",
            [FieldError("params.status", f"one of: {', '.join(CANONICAL)}")],
        )
    raw = str(a.details.get("raw_status") or "")
    platform = a.details.get("platform")  # an unmapped-status alert names it; an order's hold names the shop
    if not platform:
        ctx = load_context(conn, str(a.details.get("shop") or ""))
        platform = ctx.platform if ctx is not None else None
    if not raw or not platform:
        raise Conflict(
            "this exception names no shop and raw status", [FieldError("action", "nothing to map")]
        )
    map_status(conn, str(platform), raw, str(status), a.actor)
    return f"{platform} status {raw!r} mapped to {status}"


@action("pick_delivery")
def pick_delivery(conn: Connection, a: Acting) -> str:
    """Two reports delivered one parcel: the supervisor says which is real (params.keep: `first`,
    the delivery that counted, or `second`, the report that raised this exception)."""
    from server.cod.deliveries import choose_delivery
    from server.cod.models import DeliveryAttempt as D
    from server.sync_api.models import SyncOp

    keep = a.params.get("keep")
    if keep not in ("first", "second"):
        raise InvalidInput("which delivery is the real one?", [FieldError("params.keep", "first or second")])
    order_id = _order(a)
    delivered = select(D.id, D.op_id, D.counts).where(D.order_id == order_id, D.outcome == "delivered")
    first = conn.execute(delivered.where(D.counts.is_(True)).order_by(D.id).limit(1)).first()
    op = a.details.get("op")
    again = delivered.where(D.counts.is_(False))
    second = conn.execute(
        again.where(D.op_id == uuid.UUID(str(op))) if op else again.order_by(D.id.desc()).limit(1)
    ).first()
    if first is None or second is None:
        raise Conflict("this order has no two deliveries to choose from", [FieldError("action", "no pair")])
    real, other = (first, second) if keep == "first" else (second, first)

    # The voided report's rider holds the cash it recorded (a phone's op names them; a courier's
    # feed or the console journals no op, and moved no rider's cash).
    def rider(op_id: uuid.UUID) -> str | None:
        return conn.execute(select(SyncOp.actor).where(SyncOp.op_id == op_id)).scalar()

    ref = f"exception {str(a.exception_id)[:8]}"
    return choose_delivery(
        conn, order_id, real.id, other.id, rider(other.op_id), rider(real.op_id), now=a.now, ref=ref
    )


def _conflict(name: str) -> ActionFn:
    def settle(conn: Connection, a: Acting) -> str:
        from server.sync_api.conflicts import ResolveConflictIn, resolve_conflict

        done = resolve_conflict(conn, a.exception_id, ResolveConflictIn(name, a.note[:400]), a.actor)  # type: ignore[arg-type]
        # The conflicts' writer resolved it with the note appended; `act` appends it again.
        said = done.resolution or name
        return said.removesuffix(f": {a.note}") if a.note else said

    return settle


for _name in sorted({n for names in COD_CONFLICTS.values() for n in names}):
    REGISTRY[_name] = _conflict(_name)

_missing = {n for kind in list(COD_CONFLICTS) for n in actions_for(kind)} - set(REGISTRY) - {DISMISS}
assert not _missing, _missing
