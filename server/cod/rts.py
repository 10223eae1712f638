"""Parcels returning to sender (RTS): the one writer of the RTS lifecycle.

A parcel goes back when its failed attempts reach the seller's maximum, or at once for a reason
the seller says another trip will not fix (the buyer refused it): `after_attempts`, called by the
attempts' writer whichever path brought the attempt, moves the order to return_to_sender (through
the order transitions) and opens the RTS row, *expected back*. A supervisor (or a courier's feed)
marks it *returning* (`mark_returning`, the one writer of that, whichever path says it). The
warehouse's returns intake (the op `return.received`) moves the order to returned: the parcel is
then *received*, and *restocked* or *damaged* as the intake judged it — read from the order and
its history, never written a second time here. An RTS parcel not back after the policy's days
raises `rts_overdue` once (`raise_overdue`, for a periodic job and the CLI `bodega cod rts-overdue`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from server.cod.models import DeliveryAttempt, RtsParcel
from server.cod.policy import read_policy
from server.db.base import utcnow
from server.db.bulk import in_values
from server.errors import Conflict, FieldError, NotFound
from server.exceptions.raising import exception_row, raise_exceptions
from server.orders.models import Order, OrderStatusChange
from server.orders.transitions import Transitions, lock_order, status_path

REACTOR = "bodega"
OPEN = ("expected", "returning")  # statuses this table holds; the rest is read from the order


def after_attempts(conn: Connection, rows: Sequence[dict[str, Any]], *, now: datetime) -> list[uuid.UUID]:
    """Send back the parcels whose failed attempts (just recorded) reached the limit, or whose
    reason sends them straight back; returns their orders."""
    failed = [r for r in rows if r["outcome"] == "failed" and r["counts"] and r["order_id"] is not None]
    if not failed:
        return []
    policy = read_policy(conn)
    ids = sorted({r["order_id"] for r in failed})
    d = DeliveryAttempt
    tally = dict(
        conn.execute(
            select(d.order_id, func.count())
            .where(in_values(conn, d.order_id, ids), d.outcome == "failed", d.counts.is_(True))
            .group_by(d.order_id)
        ).all()
    )
    last = {r["order_id"]: r for r in failed}  # the attempt that decides, per order
    moves = Transitions(REACTOR, now=now, stock_by_facts=True)
    opened: list[dict[str, Any]] = []
    for order_id in ids:
        row = last[order_id]
        count = int(tally.get(order_id, 0))
        straight = row["reason"] in policy.straight_to_rts
        if count < policy.max_attempts and not straight:
            continue
        # Only a parcel still out on failed delivery goes back: a late failed attempt never undoes
        # a delivery, a cancellation or a return already under way.
        if lock_order(conn, order_id) != "failed_delivery":
            continue
        why = (
            f"{row['reason']}: sent straight back"
            if straight
            else f"{count} failed attempts (the limit is {policy.max_attempts})"
        )
        moves.walk(order_id, "failed_delivery", "return_to_sender", reason=why[:255], implied=why[:255])
        opened.append(
            {
                "order_id": order_id,
                "waybill": row["waybill"],
                "reason": row["reason"][:32],
                "status": "expected",
                "opened_at": now,
                "returning_at": None,
                "overdue_raised_at": None,
            }
        )
    moves.flush(conn)
    if opened:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(insert(RtsParcel).on_conflict_do_nothing(), opened)
    return [r["order_id"] for r in opened]


def mark_returning(
    conn: Connection, order_id: uuid.UUID, actor: str, *, courier: str = "", waybill: str = ""
) -> bool:
    """The parcel is on its way back (the rider or courier has it headed to the warehouse).

    The one writer of "returning", whichever path says it: the console (a supervisor), or a
    courier's status feed (`courier` = where it was reported, e.g. "J&T waybill JT-1, reported
    ..."). A person asking twice is told it is already so (409); a courier saying it of a parcel
    already returning, received or never ours to return changes nothing (returns False), so the
    fact is written once whichever path came first. A courier may send a parcel back on its own
    (its attempts ran out at its depot): the order then walks to return_to_sender here and the RTS
    parcel is opened already returning."""
    status = conn.execute(select(RtsParcel.status).where(RtsParcel.order_id == order_id)).scalar()
    now = utcnow()
    if status is None and courier:
        order_status = lock_order(conn, order_id)
        if not status_path(order_status, "return_to_sender"):
            return False  # delivered, cancelled, returned ...: the courier's word changes nothing
        moves = Transitions(actor, now=now, stock_by_facts=True)  # no stock moves on the way back
        moves.walk(
            order_id,
            order_status,
            "return_to_sender",
            reason=f"returning: {courier}"[:255],
            implied=f"implied by {courier}"[:255],
        )
        moves.flush(conn)
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(
            insert(RtsParcel).on_conflict_do_nothing(),
            [
                {
                    "order_id": order_id,
                    "waybill": waybill[:64],
                    "reason": "courier",
                    "status": "returning",
                    "opened_at": now,
                    "returning_at": now,
                    "overdue_raised_at": None,
                }
            ],
        )
        return True
    if status is None:
        raise NotFound(f"order {order_id} is not returning to sender", [FieldError("order", "no RTS parcel")])
    if status != "expected" or lock_order(conn, order_id) != "return_to_sender":
        if courier:
            return False  # already on its way (or back): the same fact from another path
        raise Conflict(
            f"order {order_id} is already {lifecycle_status(conn, [order_id]).get(order_id, status)}",
            [FieldError("order", "only a parcel expected back can be marked returning")],
        )
    conn.execute(
        update(RtsParcel).where(RtsParcel.order_id == order_id).values(status="returning", returning_at=now)
    )
    return True


def lifecycle_status(conn: Connection, order_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Where each RTS parcel is: expected, returning, received, restocked or damaged."""
    if not order_ids:
        return {}
    rows = conn.execute(
        select(RtsParcel.order_id, RtsParcel.status, Order.status)
        .join(Order, Order.id == RtsParcel.order_id)
        .where(in_values(conn, RtsParcel.order_id, order_ids))
    ).all()
    back = [r[0] for r in rows if r[2] == "returned"]
    how: dict[uuid.UUID, str] = {}
    if back:
        for oid, reason in conn.execute(
            select(OrderStatusChange.order_id, OrderStatusChange.reason)
            .where(
                in_values(conn, OrderStatusChange.order_id, back), OrderStatusChange.to_status == "returned"
            )
            .order_by(OrderStatusChange.id)
        ).all():
            how[oid] = reason
    out: dict[uuid.UUID, str] = {}
    for oid, status, order_status in rows:
        if order_status == "returned":
            condition = how.get(oid, "")
            out[oid] = (
                "damaged"
                if condition == "damaged"
                else "restocked"
                if condition == "resellable"
                else "received"
            )
        else:
            out[oid] = status
    return out


def raise_overdue(conn: Connection, now: datetime | None = None) -> list[uuid.UUID]:
    """Raise `rts_overdue` (once) for every RTS parcel not back after the policy's days."""
    now = now or utcnow()
    days = read_policy(conn).rts_overdue_days
    cutoff = now - timedelta(days=days)
    rows = conn.execute(
        select(RtsParcel.order_id, RtsParcel.waybill, RtsParcel.opened_at, RtsParcel.status)
        .join(Order, Order.id == RtsParcel.order_id)
        .where(
            RtsParcel.overdue_raised_at.is_(None),
            RtsParcel.opened_at < cutoff,
            Order.status == "return_to_sender",
        )
        .order_by(RtsParcel.order_id)
    ).all()
    flags = [
        exception_row(
            "rts_overdue",
            f"parcel {waybill or oid} was sent back on {opened:%Y-%m-%d} and is still not at the "
            f"warehouse after {days} days ({status})",
            now=now,
            order_id=oid,
            details={"order": str(oid), "waybill": waybill, "opened_at": opened.isoformat()},
        )
        for oid, waybill, opened, status in rows
    ]
    ids = [r[0] for r in rows]
    if ids:
        conn.execute(
            update(RtsParcel).where(in_values(conn, RtsParcel.order_id, ids)).values(overdue_raised_at=now)
        )
    raise_exceptions(conn, flags)
    return ids
