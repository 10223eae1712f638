"""Courier accounts and the parcels handed to them: the one writer of both.

An account holds the courier's COD fee contract and remittance cycle (server/couriers/fees.py), the
secret its webhooks are signed with, and how its files and status words read. A parcel handed to a
courier is known by the courier's waybill, one per order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, Uuid, column, select, table, update
from sqlalchemy.engine import Connection

from server.couriers.fees import Cycle, FeeRule
from server.couriers.models import Courier, CourierParcel
from server.db.base import utcnow
from server.db.bulk import in_values, insert_rows
from server.db.orm import orm_session
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.orders.models import Order

# The shipping parcel (made when the label is printed) is the source of truth for an order's
# waybill and carrier: a courier parcel only refers to it. Shipping stands on a floor above the
# couriers', so this read names the one table instead of importing the shipping package.
_PARCELS = table("parcels", column("order_id", Uuid), column("waybill", String), column("courier", String))

# What a courier's status word can mean to us; "ignore" marks words with no lifecycle meaning
# (in transit, at the hub) once a person has said so.
EVENTS = ("picked_up", "delivered", "failed", "returning", "returned", "ignore")


@dataclass(frozen=True)
class CourierTerms:
    """A courier account as its writers use it (plain values: it crosses to the writer process)."""

    id: uuid.UUID
    code: str
    name: str
    rule: FeeRule
    cycle: Cycle
    grace_days: int
    webhook_secret: str = ""
    remittance_columns: dict[str, str] = field(default_factory=dict[str, str])
    status_columns: dict[str, str] = field(default_factory=dict[str, str])
    status_map: dict[str, str] = field(default_factory=dict[str, str])
    reason_map: dict[str, str] = field(default_factory=dict[str, str])

    @property
    def actor(self) -> str:
        """How the courier's reports are written into histories and attempts."""
        return f"courier:{self.code}"


def status_key(word: str) -> str:
    """A courier's status word as its map is keyed: trimmed, one space, upper case."""
    return " ".join(word.split()).upper()


def terms_of(row: Courier) -> CourierTerms:
    return CourierTerms(
        id=row.id,
        code=row.code,
        name=row.name,
        rule=FeeRule(row.fee_percent_bp, row.fee_min, row.fee_flat, row.vat_bp),
        cycle=Cycle(row.cycle, row.cycle_days, row.cycle_weekday),
        grace_days=row.grace_days,
        webhook_secret=row.webhook_secret,
        remittance_columns=dict(row.remittance_columns or {}),
        status_columns=dict(row.status_columns or {}),
        status_map={status_key(k): str(v) for k, v in (row.status_map or {}).items()},
        reason_map={status_key(k): str(v) for k, v in (row.reason_map or {}).items()},
    )


def load_courier(conn: Connection, code: str) -> CourierTerms:
    with orm_session(conn) as session:
        row = session.execute(select(Courier).where(Courier.code == code)).scalar_one_or_none()
        if row is None:
            raise NotFound(f"no courier {code!r}")
        return terms_of(row)


def list_couriers(conn: Connection) -> list[CourierTerms]:
    with orm_session(conn) as session:
        return [terms_of(r) for r in session.execute(select(Courier).order_by(Courier.code)).scalars()]


def save_courier(conn: Connection, code: str, values: dict[str, Any]) -> tuple[CourierTerms, bool]:
    """Create the account or replace its terms; (the account, created?)."""
    now = utcnow()
    existing = conn.execute(select(Courier.id).where(Courier.code == code)).scalar()
    row = {"code": code, **values, "updated_at": now}
    if existing is None:
        insert_rows(conn, Courier, [{"id": uuid.uuid4(), **row, "created_at": now}])
    else:
        conn.execute(update(Courier).where(Courier.id == existing).values(row))
    return load_courier(conn, code), existing is None


def set_status_meaning(conn: Connection, courier: CourierTerms, word: str, event: str) -> CourierTerms:
    """A person says what a courier's status word means: it joins the courier's map."""
    mapping = {**courier.status_map, status_key(word): event}
    conn.execute(
        update(Courier).where(Courier.id == courier.id).values(status_map=mapping, updated_at=utcnow())
    )
    return load_courier(conn, courier.code)


@dataclass(frozen=True)
class Handed:
    """A parcel handed to the courier: this order under this waybill."""

    order: uuid.UUID
    waybill: str


def attach_waybills(conn: Connection, courier: CourierTerms, parcels: Sequence[Handed], actor: str) -> int:
    """Record each order's courier waybill; the same pair again changes nothing. Refused whole
    (naming each parcel): an unknown or cancelled order, a waybill this courier already carries for
    another order, an order already handed over under another waybill. Returns how many are new."""
    orders = [p.order for p in parcels]
    waybills = [p.waybill for p in parcels]
    statuses = dict(
        conn.execute(select(Order.id, Order.status).where(in_values(conn, Order.id, orders))).all()
    )
    by_order = {
        o: (c, w)
        for o, c, w in conn.execute(
            select(CourierParcel.order_id, CourierParcel.courier_id, CourierParcel.waybill).where(
                in_values(conn, CourierParcel.order_id, orders)
            )
        )
    }
    by_waybill = dict(
        conn.execute(
            select(CourierParcel.waybill, CourierParcel.order_id).where(
                CourierParcel.courier_id == courier.id, in_values(conn, CourierParcel.waybill, waybills)
            )
        ).all()
    )
    # The shipping parcel (`_PARCELS`) carries the order's waybill and carrier.
    labels = {
        o: (w, c)
        for o, w, c in conn.execute(
            select(_PARCELS.c.order_id, _PARCELS.c.waybill, _PARCELS.c.courier).where(
                in_values(conn, _PARCELS.c.order_id, orders)
            )
        )
    }
    missing: list[FieldError] = []
    conflicts: list[FieldError] = []
    new: list[dict[str, Any]] = []
    seen_orders: set[uuid.UUID] = set()
    seen_waybills: set[str] = set()
    now = utcnow()
    for i, p in enumerate(parcels):
        status = statuses.get(p.order)
        if status is None:
            missing.append(FieldError(f"parcels[{i}].order", f"no order {p.order}"))
            continue
        if status == "cancelled":
            conflicts.append(FieldError(f"parcels[{i}].order", "the order is cancelled"))
            continue
        if p.order in seen_orders or p.waybill in seen_waybills:
            conflicts.append(FieldError(f"parcels[{i}]", "the same order or waybill twice in this request"))
            continue
        seen_orders.add(p.order)
        seen_waybills.add(p.waybill)
        label = labels.get(p.order)
        if label is not None and label[0] != p.waybill:
            conflicts.append(
                FieldError(f"parcels[{i}].waybill", f"the order's label carries waybill {label[0]}")
            )
            continue
        if label is not None and label[1] != courier.code:
            carrier = label[1] or "our own riders"
            conflicts.append(FieldError(f"parcels[{i}].order", f"the order was packed for {carrier}"))
            continue
        held = by_order.get(p.order)
        if held == (courier.id, p.waybill):
            continue  # already recorded: nothing to do
        if held is not None:
            conflicts.append(
                FieldError(f"parcels[{i}].order", f"already handed over under waybill {held[1]}")
            )
            continue
        owner = by_waybill.get(p.waybill)
        if owner is not None:
            conflicts.append(FieldError(f"parcels[{i}].waybill", f"already the waybill of order {owner}"))
            continue
        new.append(
            {
                "courier_id": courier.id,
                "waybill": p.waybill,
                "order_id": p.order,
                "status": "",
                "attached_by": actor[:64],
                "attached_at": now,
            }
        )
    if missing:
        raise InvalidInput(f"{len(missing)} parcel(s) name no order", missing + conflicts)
    if conflicts:
        raise Conflict(f"{len(conflicts)} parcel(s) conflict with what is recorded", conflicts)
    insert_rows(conn, CourierParcel, new)
    return len(new)
