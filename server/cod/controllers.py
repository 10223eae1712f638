"""HTTP endpoints for facts from the road, entered at the console: a delivery attempt, cash
collected or remitted (a rider without a phone, a courier's report, a correction).

They are judged as a rider's phone's ops are (sync/PROTOCOL.md R9, R10, R12) and written by the same
writers: attempts by `record_attempts`, cash by `post_cash` with balances read under lock, the
order's move by the order transitions, exceptions by `raise_exceptions`. A fact is recorded even
when something about it is wrong (a second delivery, cash for a cancelled order); a person then
sees the exception. Only what cannot be a fact is refused: an order that does not exist, a failed
attempt without its reason.

No `from __future__ import annotations`: Litestar reads these signatures at runtime.
"""

import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, post
from litestar.params import JSONBody
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.auth.principal import MANAGERS, Principal
from server.cod.cash import cash_entry, lock_cash, post_cash
from server.cod.deliveries import record_attempts
from server.cod.models import DeliveryAttempt
from server.db import Database
from server.db.base import new_id, utcnow
from server.errors import FieldError, InvalidInput
from server.exceptions.raising import exception_row, raise_exceptions
from server.money import format_pesos as pesos
from server.orders.models import Order
from server.orders.transitions import Transitions, lock_order
from sync import FailureReason

Waybill = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Holder = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Centavos = Annotated[int, msgspec.Meta(gt=0, le=100_000_000_000)]  # up to one billion pesos


class AttemptIn(msgspec.Struct, forbid_unknown_fields=True):
    order: uuid.UUID
    waybill: Waybill
    outcome: Literal["delivered", "failed"]
    reason: FailureReason | None = None  # required when failed, absent when delivered
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class AttemptOut(msgspec.Struct):
    order: uuid.UUID
    waybill: str
    outcome: str
    counts: bool  # false: the parcel had already been delivered (double_delivery raised)
    status: str  # the order's status now
    exceptions: list[str]  # kinds raised for a person to look at


class CashIn(msgspec.Struct, forbid_unknown_fields=True):
    holder: Holder  # who has the cash: the rider's username
    amount: Centavos
    kind: Literal["collected", "remitted"]
    order: uuid.UUID | None = None  # required when collected: the order the cash is for
    to: Annotated[str, msgspec.Meta(max_length=64)] = ""  # required when remitted: who received it
    ref: Annotated[str, msgspec.Meta(max_length=64)] = ""  # the remittance slip or receipt number


class CashOut(msgspec.Struct):
    holder: str
    cash_in_hand: int  # centavos, after this entry
    exceptions: list[str]


def _order_status(conn: Connection, order_id: uuid.UUID) -> str:
    """The order's status, locked; an unknown order is a field error, not a fact."""
    if conn.execute(select(Order.id).where(Order.id == order_id)).first() is None:
        raise InvalidInput(f"no order {order_id}", [FieldError("order", f"no order {order_id}")])
    return lock_order(conn, order_id)


def _first_deliverer(conn: Connection, waybill: str) -> str | None:
    """Who delivered this parcel first (the attempt that counts), if anyone did."""
    return conn.execute(
        select(DeliveryAttempt.device)
        .where(DeliveryAttempt.waybill == waybill, DeliveryAttempt.outcome == "delivered")
        .where(DeliveryAttempt.counts.is_(True))
        .order_by(DeliveryAttempt.id)
        .limit(1)
    ).scalar()


def _flag(kind: str, message: str, order_id: uuid.UUID, actor: str, now: Any) -> dict[str, Any]:
    details = {"order": str(order_id), "by": actor}
    return exception_row(kind, message, now=now, order_id=order_id, details=details)


def attempt_delivery(conn: Connection, data: AttemptIn, actor: str) -> AttemptOut:
    """A delivery attempt, judged as R9 judges a rider's: recorded always; a first delivery moves
    the order to delivered, a failed attempt to failed_delivery unless it was delivered or
    cancelled; a second delivery counts for nothing and raises double_delivery."""
    if data.outcome == "failed" and data.reason is None:
        raise InvalidInput("a failed attempt needs a reason", [FieldError("reason", "required when failed")])
    if data.outcome == "delivered" and data.reason is not None:
        raise InvalidInput(
            "a delivered parcel has no failure reason", [FieldError("reason", "leave it out when delivered")]
        )
    status = _order_status(conn, data.order)
    now = utcnow()
    first = _first_deliverer(conn, data.waybill)
    # A delivery reported while the order still says packed walks it through shipped, as a
    # rider's does: that implied step takes the units off on hand (no handover fact did), while a
    # step the fact itself reports leaves the stock to its own facts (orders/transitions.walk).
    moves = Transitions(actor, now=now, stock_by_facts=True)
    flags: list[dict[str, Any]] = []
    counts = True
    if data.outcome == "failed":
        if status not in ("delivered", "cancelled") and first is None:
            status = moves.walk(
                data.order, status, "failed_delivery", reason=data.reason or "", implied=f"implied by {actor}"
            )
    elif first is not None:
        counts = False
        message = (
            f"parcel {data.waybill} reported delivered again by {actor}; {first} had already delivered it"
        )
        flags.append(_flag("double_delivery", message, data.order, actor, now))
    elif status == "cancelled":
        message = f"parcel {data.waybill} delivered for order {data.order}, which was cancelled"
        flags.append(_flag("delivery_for_cancelled_order", message, data.order, actor, now))
    else:
        reason = f"delivered, waybill {data.waybill}"
        status = moves.walk(data.order, status, "delivered", reason=reason, implied=f"implied by {actor}")
    record_attempts(
        conn,
        [
            {
                "op_id": new_id(),  # the attempt's own id: it came by no phone's op
                "order_ref": str(data.order),
                "order_id": data.order,
                "waybill": data.waybill,
                "outcome": data.outcome,
                "reason": data.reason or "",
                "note": data.note,
                "device": actor[:64],
                "counts": counts,
                "at": "",
                "created_at": now,
            }
        ],
    )
    moves.flush(conn)
    raise_exceptions(conn, flags)
    return AttemptOut(data.order, data.waybill, data.outcome, counts, status, [f["kind"] for f in flags])


def move_cash(conn: Connection, data: CashIn, actor: str) -> CashOut:
    """Cash collected (R10) or remitted (R12), into the cash ledger with balances computed under lock."""
    now = utcnow()
    flags: list[dict[str, Any]] = []
    if data.kind == "collected":
        if data.order is None:
            raise InvalidInput("which order?", [FieldError("order", "required when cash is collected")])
        status = _order_status(conn, data.order)
        cod = int(conn.execute(select(Order.cod_amount).where(Order.id == data.order)).scalar_one())
        entries = [
            cash_entry(
                data.holder, data.amount, "collected", now=now, order_ref=str(data.order), ref=data.ref
            )
        ]
        if status == "cancelled":
            message = (
                f"{pesos(data.amount)} collected for order {data.order}, which was cancelled; "
                f"the cash is with {data.holder} and must be refunded or re-sold"
            )
            flags.append(_flag("cash_for_cancelled_order", message, data.order, actor, now))
        elif data.amount != cod:
            message = f"{pesos(data.amount)} collected for order {data.order}; the COD amount is {pesos(cod)}"
            flags.append(_flag("cod_amount_mismatch", message, data.order, actor, now))
    else:
        if not data.to or data.to == data.holder:
            raise InvalidInput(
                "who received the cash?", [FieldError("to", "required when remitted, and not the holder")]
            )
        entries = [
            cash_entry(data.holder, -data.amount, "remitted", now=now, ref=data.ref),
            cash_entry(data.to, data.amount, "received", now=now, ref=data.ref),
        ]
    balances = lock_cash(conn, [e["holder"] for e in entries])
    if data.kind == "remitted" and balances[data.holder] < data.amount:
        message = (
            f"{data.holder} handed in {pesos(data.amount)} but the ledger shows "
            f"{pesos(balances[data.holder])} collected; a collection may not have synced yet"
        )
        flags.append(
            exception_row(
                "remittance_exceeds_cash", message, now=now, details={"holder": data.holder, "by": actor}
            )
        )
    for entry in entries:
        balances[entry["holder"]] += entry["amount"]
    post_cash(conn, entries, balances, now=now)
    raise_exceptions(conn, flags)
    return CashOut(data.holder, balances[data.holder], [f["kind"] for f in flags])


class CodController(Controller):
    path = "/api/v1/cod"
    tags = ["cod"]

    @post(
        "/attempts", opt=MANAGERS, summary="Record a delivery attempt (delivered, or failed with the reason)"
    )
    async def attempt(self, request: Request[Principal, Any, Any], data: JSONBody[AttemptIn]) -> AttemptOut:
        db: Database = request.app.state.db
        return await db.run_write(attempt_delivery, data, request.user.actor)

    @post("/cash", opt=MANAGERS, summary="Record cash collected for an order, or remitted by its holder")
    async def cash(self, request: Request[Principal, Any, Any], data: JSONBody[CashIn]) -> CashOut:
        db: Database = request.app.state.db
        return await db.run_write(move_cash, data, request.user.actor)


cod_routes: list[Any] = [CodController]
