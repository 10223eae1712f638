"""COD conflicts: what the rules flagged about deliveries and cash, each with its evidence and a
resolution a person chooses.

The kinds: cash on an order cancelled meanwhile, a delivery for a cancelled order, two deliveries
of one parcel, an amount different from the COD due, a remittance short or above the ledger, cash
for an unknown order, and a rider's fact about a stop not on their run (`out_of_scope`). Evidence:
the op (device, when the phone recorded it, who), the order's delivery attempts, its proofs (photo
and signature blobs, with their download path) and the cash entries for it.

Resolutions go through the domains' writers, never around them, and each is audited:
- accept: the fact stands as recorded (an out-of-scope fact is judged and written now, accept.py);
- reject: an out-of-scope fact stays in the journal only;
- refund: the rider gave the cash back to the buyer (a `refunded` entry out of their hands);
- charge_rider: the rider owes the difference (a `charged` entry: more they must hand in);
- write_off: the seller accepts the loss (a remittance shortage leaves the rider's hands as
  `written_off`).
Lives in sync_api (above the domains): it reads the op journal and reuses accept.py.

No `from __future__ import annotations`: Litestar reads these signatures at runtime.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from server.audit.models import AuditEntry
from server.auth.models import Device
from server.auth.principal import MANAGERS, Principal
from server.cod.cash import cash_entry, lock_cash, post_cash
from server.cod.models import CashLedgerEntry, DeliveryAttempt, ProofLink
from server.db import Database
from server.db.base import utcnow
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.exceptions.models import ExceptionRecord
from server.exceptions.schemas import ResolveIn
from server.exceptions.services import resolve
from server.money import format_pesos as pesos
from server.orders.models import Order
from server.pagination import TextFilter
from server.sync_api.accept import accept_fact
from server.sync_api.models import SyncOp

ROAD_OPS = ("delivery.attempted", "cash.collected", "proof.attached", "remittance.handed_in")
Action = Literal["accept", "reject", "refund", "charge_rider", "write_off"]
# What a person may do about each kind.
ACTIONS: dict[str, tuple[str, ...]] = {
    "cash_for_cancelled_order": ("accept", "refund", "write_off"),
    "delivery_for_cancelled_order": ("accept", "write_off"),
    "double_delivery": ("accept", "refund", "charge_rider", "write_off"),
    "cod_amount_mismatch": ("accept", "refund", "charge_rider", "write_off"),
    "unknown_order": ("accept", "refund", "write_off"),
    "remittance_short": ("charge_rider", "write_off"),
    "remittance_exceeds_cash": ("accept", "write_off"),
    "out_of_scope": ("accept", "reject"),
}
KINDS = tuple(ACTIONS)


class OpEvidence(msgspec.Struct):
    op: str
    type: str
    device: str  # the device's id
    device_name: str
    actor: str  # the user behind it
    recorded_at: datetime | None  # the phone's clock when the fact was recorded
    received_at: datetime
    payload: dict[str, Any]


class AttemptEvidence(msgspec.Struct):
    outcome: str
    reason: str
    device: str
    counts: bool
    at: datetime


class ProofEvidence(msgspec.Struct):
    blob: str
    kind: str
    url: str  # GET it with a manager's token
    at: datetime


class CashEvidence(msgspec.Struct):
    holder: str
    amount: int
    kind: str
    at: datetime


class ConflictOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    status: str
    message: str
    order: uuid.UUID | None
    external_id: str
    cod_amount: int | None
    created_at: datetime
    op: OpEvidence | None
    attempts: list[AttemptEvidence]
    proofs: list[ProofEvidence]
    cash: list[CashEvidence]
    actions: list[str]
    resolution: str | None


class ResolveConflictIn(msgspec.Struct, forbid_unknown_fields=True):
    action: Action
    note: Annotated[str, msgspec.Meta(max_length=400)] = ""


def _op(conn: Connection, op_ref: Any) -> tuple[OpEvidence | None, str]:
    try:
        op_id = uuid.UUID(str(op_ref))
    except ValueError:
        return None, ""
    row = conn.execute(
        select(
            SyncOp.op_id,
            SyncOp.type,
            SyncOp.device_id,
            SyncOp.actor,
            SyncOp.wall,
            SyncOp.received_at,
            SyncOp.payload,
            Device.name,
        )
        .outerjoin(Device, Device.id == SyncOp.device_id)
        .where(SyncOp.op_id == op_id)
    ).first()
    if row is None:
        return None, ""
    recorded = datetime.fromtimestamp(row.wall / 1000, UTC) if row.wall else None
    payload = msgspec.json.decode(row.payload) if row.payload else {}
    ev = OpEvidence(
        str(row.op_id),
        row.type,
        str(row.device_id),
        row.name or "",
        row.actor,
        recorded,
        row.received_at,
        payload,
    )
    return ev, row.type.partition("@")[0]


def _conflict(conn: Connection, row: Any) -> ConflictOut | None:
    details: dict[str, Any] = dict(row.details or {})
    op, op_type = _op(conn, details.get("op"))
    if row.kind == "out_of_scope" and op_type not in ROAD_OPS:
        return None  # a warehouse fact outside its authority: not a COD conflict
    order_id = row.order_id
    if order_id is None and op is not None and isinstance(op.payload.get("order"), str):
        try:
            order_id = uuid.UUID(op.payload["order"])
        except ValueError:
            order_id = None
    external, cod = "", None
    attempts: list[AttemptEvidence] = []
    proofs: list[ProofEvidence] = []
    cash: list[CashEvidence] = []
    if order_id is not None:
        found = conn.execute(select(Order.external_id, Order.cod_amount).where(Order.id == order_id)).first()
        if found is not None:
            external, cod = found[0], int(found[1])
        d = DeliveryAttempt
        attempts = [
            AttemptEvidence(r[0], r[1], r[2], bool(r[3]), r[4])
            for r in conn.execute(
                select(d.outcome, d.reason, d.device, d.counts, d.created_at)
                .where(d.order_id == order_id)
                .order_by(d.id)
            ).all()
        ]
        p = ProofLink
        proofs = [
            ProofEvidence(r[0], r[1], f"/sync/v1/blobs/{r[0]}", r[2])
            for r in conn.execute(
                select(p.blob, p.kind, p.created_at).where(p.order_id == order_id).order_by(p.id)
            ).all()
        ]
        e = CashLedgerEntry
        cash = [
            CashEvidence(r[0], int(r[1]), r[2], r[3])
            for r in conn.execute(
                select(e.holder, e.amount, e.kind, e.created_at)
                .where(e.order_ref == str(order_id))
                .order_by(e.id)
            ).all()
        ]
    return ConflictOut(
        row.id,
        row.kind,
        row.status,
        row.message,
        order_id,
        external,
        cod,
        row.created_at,
        op,
        attempts,
        proofs,
        cash,
        list(ACTIONS.get(row.kind, ())),
        row.resolution,
    )


def _rows(
    conn: Connection, status: str | None, kind: str | None, ids: list[uuid.UUID] | None = None
) -> list[Any]:
    x = ExceptionRecord
    stmt = select(x.id, x.kind, x.status, x.message, x.order_id, x.details, x.created_at, x.resolution).where(
        x.kind.in_([kind] if kind else list(KINDS))
    )
    if status:
        stmt = stmt.where(x.status == status)
    if ids is not None:
        stmt = stmt.where(x.id.in_(ids))
    return list(conn.execute(stmt.order_by(x.created_at.desc()).limit(500)).all())


def list_conflicts(conn: Connection, status: str | None, kind: str | None) -> list[ConflictOut]:
    return [c for c in (_conflict(conn, r) for r in _rows(conn, status, kind)) if c is not None]


def get_conflict(conn: Connection, exception_id: uuid.UUID) -> ConflictOut:
    rows = _rows(conn, None, None, [exception_id])
    found = _conflict(conn, rows[0]) if rows else None
    if found is None:
        raise NotFound(f"no COD conflict has the id {exception_id}", [FieldError("exception_id", "unknown")])
    return found


def _move(conn: Connection, holder: str, amount: int, kind: str, order: str, ref: str) -> int:
    """Cash into (+) or out of (-) the holder's hands through the cash ledger's writer."""
    now = utcnow()
    balances = lock_cash(conn, [holder])
    balances[holder] += amount
    post_cash(conn, [cash_entry(holder, amount, kind, now=now, order_ref=order, ref=ref)], balances, now=now)
    return amount


def _collected(conn: Connection, c: ConflictOut, details: dict[str, Any]) -> tuple[str, int]:
    """Who holds the cash this conflict is about and how much was collected (its op's entry)."""
    e = CashLedgerEntry
    if c.op is not None:
        row = conn.execute(
            select(e.holder, e.amount).where(e.op_id == uuid.UUID(c.op.op), e.kind == "collected")
        ).first()
        if row is not None:
            return row[0], int(row[1])
    collected = [x for x in c.cash if x.kind == "collected"]
    if collected:
        return collected[-1].holder, collected[-1].amount
    return str(details.get("holder", "")), 0


def resolve_conflict(
    conn: Connection, exception_id: uuid.UUID, data: ResolveConflictIn, actor: str
) -> ConflictOut:
    c = get_conflict(conn, exception_id)
    if c.status != "open":
        raise Conflict("this conflict is already resolved", [FieldError("status", "already resolved")])
    if data.action not in c.actions:
        raise InvalidInput(
            f"{data.action} does not settle a {c.kind}",
            [FieldError("action", f"one of: {', '.join(c.actions)}")],
        )
    details: dict[str, Any] = dict(
        conn.execute(select(ExceptionRecord.details).where(ExceptionRecord.id == exception_id)).scalar() or {}
    )
    ref = f"conflict {str(exception_id)[:8]}"
    order = str(c.order) if c.order else ""
    done = ""
    moved = 0
    holder = ""
    if c.kind == "out_of_scope" and data.action == "accept":
        outcome = accept_fact(conn, exception_id, actor)  # judges, writes and resolves it
        done = f"accepted: the fact was {outcome}"
    else:
        if data.action in ("refund", "charge_rider") and c.kind != "remittance_short":
            holder, collected = _collected(conn, c, details)
            if not holder:
                raise Conflict("no cash entry names who holds this cash", [FieldError("action", "no holder")])
            due = c.cod_amount or 0
            if data.action == "refund":
                # Back to the buyer: all of it for a cancelled order, a second delivery or an unknown
                # order; what was paid over the COD due for a mismatch.
                amount = collected - due if c.kind == "cod_amount_mismatch" else collected
                if amount <= 0:
                    raise InvalidInput(
                        "nothing was paid over the COD due", [FieldError("action", "not refund")]
                    )
                moved = _move(conn, holder, -amount, "refunded", order, ref)
                done = f"{pesos(amount)} refunded to the buyer by {holder}"
            else:
                amount = due - collected if c.kind == "cod_amount_mismatch" else collected
                if amount <= 0:
                    raise InvalidInput(
                        "the rider collected the COD due or more", [FieldError("action", "not charge")]
                    )
                moved = _move(conn, holder, amount, "charged", order, ref)
                done = f"{holder} charged {pesos(amount)}: to hand in"
        elif c.kind == "remittance_short":
            holder = str(details.get("holder", ""))
            shortage = int(details.get("shortage", 0) or 0)
            if data.action == "write_off":
                moved = _move(conn, holder, -shortage, "written_off", "", ref)
                done = f"{pesos(shortage)} short from {holder} written off"
            else:
                done = f"{holder} owes the {pesos(shortage)} short: it stays in their cash to hand in"
        elif c.kind == "remittance_exceeds_cash" and data.action == "write_off":
            done = "written off: the extra cash is the seller's"
        else:
            done = {
                "accept": "accepted as recorded",
                "reject": "rejected: kept in the journal only",
                "write_off": "written off: the seller takes the loss",
            }.get(data.action, data.action)
        why = f"{done}{': ' + data.note if data.note else ''}"
        resolve(conn, exception_id, ResolveIn(resolution=why[:500]), actor)
    conn.execute(
        insert(AuditEntry).values(
            action=f"cod.conflict.{data.action}",
            actor=actor[:64],
            details={
                "exception": str(exception_id),
                "kind": c.kind,
                "order": order,
                "holder": holder,
                "amount": moved,
                "note": data.note,
                "done": done,
            },
            at=utcnow(),
        )
    )
    return get_conflict(conn, exception_id)


class ConflictController(Controller):
    path = "/api/v1/cod/conflicts"
    tags = ["cod"]

    @get(
        "/",
        opt=MANAGERS,
        summary="COD conflicts with their evidence (proof, device, time) and the actions that settle each",
    )
    async def conflicts(
        self,
        request: Request[Principal, Any, Any],
        status: FromQuery[Literal["open", "resolved"] | None] = "open",
        kind: TextFilter = None,
    ) -> list[ConflictOut]:
        db: Database = request.app.state.db
        return await db.run_read(list_conflicts, status, kind)

    @get("/{exception_id:uuid}", opt=MANAGERS, summary="One COD conflict with its evidence")
    async def conflict(
        self, request: Request[Principal, Any, Any], exception_id: FromPath[uuid.UUID]
    ) -> ConflictOut:
        db: Database = request.app.state.db
        return await db.run_read(get_conflict, exception_id)

    @post(
        "/{exception_id:uuid}/resolve",
        opt=MANAGERS,
        status_code=200,
        summary="Settle a COD conflict (audited)",
    )
    async def settle(
        self,
        request: Request[Principal, Any, Any],
        exception_id: FromPath[uuid.UUID],
        data: JSONBody[ResolveConflictIn],
    ) -> ConflictOut:
        db: Database = request.app.state.db
        return await db.run_write(resolve_conflict, exception_id, data, request.user.actor)


conflict_routes: list[Any] = [ConflictController]
