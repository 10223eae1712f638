"""Facts from the road entered at the console: a delivery attempt, cash collected or remitted (a
rider without a phone, a courier's report, a correction).

Each is built as the op a rider's phone would have sent and judged by the same rules (`sync.judge`:
PROTOCOL.md R9, R10, R12), then written by `apply_decision` through the domains' writers, exactly as
a push or an accepted out-of-scope fact (accept.py) is: one judgement, whichever path brought the
fact. A fact is recorded even when something about it is wrong (a second delivery, cash for a
cancelled order); a person then sees the exception. Only what cannot be a fact is refused before
judging: an order that does not exist, a failed attempt without its reason.

No `from __future__ import annotations`: Litestar reads these signatures at runtime.
"""

import uuid
from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.auth.models import User
from server.auth.principal import MANAGERS, Principal
from server.cod.cash import held_collections, lock_cash
from server.cod.controllers import RemittanceOut, remittances
from server.cod.models import CashLedgerEntry, DeliveryRun, RunStop
from server.cod.remittances import check_denominations, match_fifo, record_remittance
from server.cod.runs import manila_today
from server.db import Database
from server.db.base import utcnow
from server.errors import FieldError, InvalidInput
from server.orders.models import Order
from server.pagination import TextFilter
from server.sync_api.console_ops import judge_fact
from sync import DeliveryRecord, FailureReason, Note

Waybill = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Holder = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Centavos = Annotated[int, msgspec.Meta(gt=0, le=100_000_000_000)]  # up to one billion pesos
PersonName = Annotated[str, msgspec.Meta(max_length=80)]  # as delivery.attempted@v2's received_by


class AttemptIn(msgspec.Struct, forbid_unknown_fields=True):
    order: uuid.UUID
    waybill: Waybill
    outcome: Literal["delivered", "failed"]
    reason: FailureReason | None = None  # required when failed, absent when delivered
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""
    received_by: PersonName = ""  # delivered only: who took the parcel
    reschedule_on: date | None = None  # failed only: the Manila day to try again, today or later


class AttemptOut(msgspec.Struct):
    order: uuid.UUID
    waybill: str
    outcome: str
    counts: bool  # false: the parcel had already been delivered (double_delivery raised)
    status: str  # the order's status now
    exceptions: list[str]  # kinds raised for a person to look at
    # Who holds the parcel's cash: the rider whose run it is on, as the rider's phone would be
    # named; the person entering it when it is on no run.
    holder: str = ""


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


class Judged(msgspec.Struct):
    """What judging and writing one console fact did."""

    outcome: str  # applied | flagged
    notes: list[tuple[str, str]]  # (kind, message) of each exception raised
    counts: bool  # a delivery attempt: false when it was a second delivery
    status: str  # the order's status after it ("" without an order)
    cash: int  # the holder's cash in hand after it


class RemitIn(msgspec.Struct, forbid_unknown_fields=True):
    """What a rider handed in, as the cashier or supervisor counted it."""

    rider: Holder
    amount: Centavos
    received_by: Annotated[str, msgspec.Meta(max_length=64)] = ""  # the cashier; the caller if left out
    denominations: dict[
        Annotated[str, msgspec.Meta(max_length=8)], Annotated[int, msgspec.Meta(ge=0, le=100_000)]
    ] = {}
    ref: Annotated[str, msgspec.Meta(max_length=64)] = ""  # the slip number (a phone's op, if it sent one)
    final: bool = True  # the rider's end of day: a shortage is an exception (false: a mid-run drop)


class MatchedLine(msgspec.Struct):
    order: str  # the order id the collection was for ("" for cash not tied to an order)
    held: int  # centavos of that collection the rider still held
    covered: int  # centavos of it this remittance paid
    collected_at: str


class RemitOut(msgspec.Struct):
    id: uuid.UUID
    rider: str
    received_by: str
    amount: int
    expected: int  # the rider's cash in hand before it
    shortage: int  # expected - amount (negative: handed in more)
    matched: list[MatchedLine]  # oldest collection first
    cash_in_hand: int  # the rider's, after it
    exceptions: list[str]


def _known_order(conn: Connection, order_id: uuid.UUID) -> None:
    if conn.execute(select(Order.id).where(Order.id == order_id)).first() is None:
        raise InvalidInput(f"no order {order_id}", [FieldError("order", f"no order {order_id}")])


def judge_console_fact(
    conn: Connection, op_type: str, payload: dict[str, Any], actor: str, holder: str
) -> Judged:
    """Judge a fact entered by `actor` as the op `op_type` with `payload`, cash held by `holder`,
    and write it through the domains' writers (the caller's transaction, ended by writes.finish).
    `actor` is already how histories name a person (Principal.actor, "user:<username>"); `holder`
    is a bare username, as the cash ledger names people."""
    decision, outcome, notes, world = judge_fact(
        conn, op_type, payload, holder=holder, by=actor, device=actor[:64]
    )
    counts = all(e.counts for e in decision.effects if isinstance(e, DeliveryRecord))
    order = payload.get("order")
    state = world.order_state(order) if isinstance(order, str) else None
    return Judged(
        outcome, [_pair(n) for n in notes], counts, state.status if state else "", world.cash(holder)
    )


def _pair(note: Note) -> tuple[str, str]:
    return (note.code, note.msg)


def rider_of(conn: Connection, order_id: uuid.UUID) -> str | None:
    """The username of the rider whose run has the order as a stop (the newest run, when a parcel
    went out again), or None: the rider a phone's attempt would come from."""
    return conn.execute(
        select(User.username)
        .join(DeliveryRun, DeliveryRun.rider_id == User.id)
        .join(RunStop, RunStop.run_id == DeliveryRun.id)
        .where(RunStop.order_id == order_id)
        .order_by(DeliveryRun.created_at.desc())
        .limit(1)
    ).scalar()


def attempt_delivery(conn: Connection, data: AttemptIn, actor: str, username: str) -> AttemptOut:
    """A delivery attempt, as the op `delivery.attempted` (R9), judged as the rider's phone's
    would be: the rider of the order's run holds its cash (the caller, bare, when on no run)."""
    if data.outcome == "failed" and data.reason is None:
        raise InvalidInput("a failed attempt needs a reason", [FieldError("reason", "required when failed")])
    if data.outcome == "delivered" and data.reason is not None:
        raise InvalidInput(
            "a delivered parcel has no failure reason", [FieldError("reason", "leave it out when delivered")]
        )
    if data.outcome == "failed" and data.received_by:
        raise InvalidInput(
            "a failed attempt has no recipient", [FieldError("received_by", "leave it out when failed")]
        )
    if data.reschedule_on is not None:
        if data.outcome == "delivered":
            raise InvalidInput(
                "a delivered parcel is not rescheduled",
                [FieldError("reschedule_on", "leave it out when delivered")],
            )
        # Entered now, so "now" is the day it is checked against (a phone's date is checked on the
        # phone, when the rider picked it: it may reach the server after that day has passed).
        if data.reschedule_on.isoformat() < manila_today():
            raise InvalidInput(
                "the reschedule date has passed",
                [FieldError("reschedule_on", f"today ({manila_today()}, Manila) or later")],
            )
    _known_order(conn, data.order)
    payload: dict[str, Any] = {"order": str(data.order), "waybill": data.waybill, "outcome": data.outcome}
    if data.reason is not None:
        payload["reason"] = data.reason
    if data.note:
        payload["note"] = data.note
    if data.received_by:
        payload["received_by"] = data.received_by
    if data.reschedule_on is not None:
        payload["reschedule_on"] = data.reschedule_on.isoformat()
    holder = rider_of(conn, data.order) or username
    done = judge_console_fact(conn, "delivery.attempted@v2", payload, actor, holder)
    return AttemptOut(
        data.order, data.waybill, data.outcome, done.counts, done.status, [k for k, _ in done.notes], holder
    )


def move_cash(conn: Connection, data: CashIn, actor: str) -> CashOut:
    """Cash collected (the op `cash.collected`, R10) or remitted (`remittance.handed_in`, R12),
    held by `data.holder`."""
    if data.kind == "collected":
        if data.order is None:
            raise InvalidInput("which order?", [FieldError("order", "required when cash is collected")])
        _known_order(conn, data.order)
        payload: dict[str, Any] = {"order": str(data.order), "amount": data.amount}
        done = judge_console_fact(conn, "cash.collected@v2", payload, actor, data.holder)
    else:
        if not data.to or data.to == data.holder:
            raise InvalidInput(
                "who received the cash?", [FieldError("to", "required when remitted, and not the holder")]
            )
        payload = {"amount": data.amount, "to": data.to}
        if data.ref:
            payload["ref"] = data.ref
        done = judge_console_fact(conn, "remittance.handed_in@v1", payload, actor, data.holder)
    return CashOut(data.holder, done.cash, [k for k, _ in done.notes])


def confirm_remittance(conn: Connection, data: RemitIn, actor: str, username: str) -> RemitOut:
    """A counted remittance: the cash moves as the op `remittance.handed_in` (R12) unless the
    rider's phone already sent that op under the same slip number; then it is matched to the
    rider's collections, oldest first, and a shortage names the unpaid stops (cod/remittances.py)."""
    check_denominations(data.amount, data.denominations)
    receiver = data.received_by or username
    if receiver == data.rider:
        raise InvalidInput("who received the cash?", [FieldError("received_by", "not the rider")])
    balances = lock_cash(conn, [data.rider, receiver])
    already = bool(data.ref) and _remitted_by_phone(conn, data.rider, data.amount, data.ref)
    expected = balances[data.rider] + (data.amount if already else 0)
    held = held_collections(conn, data.rider, expected)
    kinds: list[str] = []
    if not already:
        payload: dict[str, Any] = {"amount": data.amount, "to": receiver}
        if data.ref:
            payload["ref"] = data.ref
        kinds += [
            k
            for k, _ in judge_console_fact(conn, "remittance.handed_in@v1", payload, actor, data.rider).notes
        ]
    rid, shortage, raised = record_remittance(
        conn,
        holder=data.rider,
        received_by=receiver,
        amount=data.amount,
        expected=expected,
        held=held,
        denominations=data.denominations,
        ref=data.ref,
        final=data.final,
        actor=actor,
        now=utcnow(),
    )
    matched, _ = match_fifo(held, data.amount)
    in_hand = lock_cash(conn, [data.rider])[data.rider]
    return RemitOut(
        rid,
        data.rider,
        receiver,
        data.amount,
        expected,
        shortage,
        [msgspec.convert(m, MatchedLine) for m in matched],
        in_hand,
        kinds + raised,
    )


def _remitted_by_phone(conn: Connection, rider: str, amount: int, ref: str) -> bool:
    e = CashLedgerEntry
    found = conn.execute(
        select(e.id)
        .where(e.holder == rider, e.kind == "remitted", e.ref == ref, e.amount == -amount)
        .limit(1)
    ).first()
    return found is not None


class ConsoleFactsController(Controller):
    path = "/api/v1/cod"
    tags = ["cod"]

    @post(
        "/attempts", opt=MANAGERS, summary="Record a delivery attempt (delivered, or failed with the reason)"
    )
    async def attempt(self, request: Request[Principal, Any, Any], data: JSONBody[AttemptIn]) -> AttemptOut:
        db: Database = request.app.state.db
        user = request.user
        return await db.run_write(attempt_delivery, data, user.actor, user.username)

    @post("/cash", opt=MANAGERS, summary="Record cash collected for an order, or remitted by its holder")
    async def cash(self, request: Request[Principal, Any, Any], data: JSONBody[CashIn]) -> CashOut:
        db: Database = request.app.state.db
        return await db.run_write(move_cash, data, request.user.actor)

    @post(
        "/remittances",
        opt=MANAGERS,
        summary="Confirm the cash a rider hands in: matched to their collections, a shortage names the stops",
    )
    async def remit(self, request: Request[Principal, Any, Any], data: JSONBody[RemitIn]) -> RemitOut:
        db: Database = request.app.state.db
        user = request.user
        return await db.run_write(confirm_remittance, data, user.actor, user.username)

    @get(
        "/remittances",
        opt=MANAGERS,
        summary="Remittances confirmed, newest first (cod/controllers.py reads one)",
    )
    async def remittances(
        self, request: Request[Principal, Any, Any], rider: TextFilter = None
    ) -> list[RemittanceOut]:
        db: Database = request.app.state.db
        return await db.run_read(remittances, rider)


console_routes: list[Any] = [ConsoleFactsController]
