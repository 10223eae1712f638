"""Waves: allocated orders grouped to be picked together, and the pick lists that walk the bins.

`build_waves` takes a warehouse's allocated orders that are in no wave yet, computes each order's
ship-by and priority (server/orders/ship_by.py), groups them (by ship-by cut-off, channel, the
shop's courier — so a wave's parcels all go to one courier's pickup — or priority alone), and
cuts each group into waves: small orders (at most `batch_max_units` units) are batch-picked, up
to `max_orders` to a wave with a tote each; a bigger order is a wave of its own. Builds run one
at a time (an advisory lock on PostgreSQL), so an order is planned into one open wave only.
Each order's units (its active reservations: bundle components, not the bundle) are planned
from the warehouse's bins that hold them, in walking order, and the wave's lines are sorted along
that walk (server/picking/walk.py).

The phones read a wave as a `wave` entity in the warehouse's scope (sync/PROTOCOL.md §4.2):
    {code, status, picker, ship_by, orders: [[order, tote, ship_by, priority, external id], ...],
     picks: [[bin, sku, qty, order, tote], ...]}
orders by priority (highest first), picks in walking order; `bin` "" means no bin had the units
when the wave was built. A wave that is closed (by hand, or because none of its orders is still
a pick task) is deleted from the phones.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import exists, func, select, update
from sqlalchemy.engine import Connection

from server.auth.models import User
from server.catalog.models import Sku
from server.changes.log import Changes
from server.changes.scopes import order_ref, wh_scope
from server.channels.models import Shop
from server.db.base import new_id
from server.db.bulk import in_values, insert_rows, uuid_order
from server.db.touched import touched
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.inventory.models import Bin, BinBalance, Reservation, Warehouse
from server.orders.lifecycle import TASK_STATUSES
from server.orders.models import Order
from server.orders.ship_by import MANILA, AtRisk, Clock, load_clock, raise_for, score
from server.picking.models import PickLine, Wave, WaveOrder
from server.picking.walk import walk_key
from sync import STAGING

Grouping = Literal["cutoff", "channel", "courier", "priority"]
WAVE = "wave"
OWN_RIDERS = "own riders"
WAVE_BUILD_LOCK = 0x5741564553  # "WAVES": the advisory lock key wave builds share


@dataclass
class Candidate:
    id: uuid.UUID
    external_id: str
    channel: str
    courier: str  # the shop's courier; "" = our own riders
    ship_by: datetime
    priority: int
    placed_at: datetime
    units: dict[uuid.UUID, int] = field(default_factory=dict[uuid.UUID, int])  # sku id -> qty

    @property
    def size(self) -> int:
        return sum(self.units.values())


@dataclass(frozen=True)
class WaveSpec:
    warehouse: str
    group_by: Grouping = "cutoff"
    max_orders: int = 20  # totes on one cart
    batch_max_units: int = 5  # an order this small is batch-picked with others


def warehouse_id_of(conn: Connection, code: str) -> uuid.UUID:
    wid = conn.execute(select(Warehouse.id).where(Warehouse.code == code)).scalar()
    if wid is None:
        raise InvalidInput(f"no warehouse has the code {code}", [FieldError("warehouse", "unknown")])
    return wid


def _group_key(c: Candidate, group_by: Grouping) -> str:
    if group_by == "cutoff":
        return c.ship_by.astimezone(MANILA).strftime("%Y-%m-%d %H:%M")
    if group_by == "channel":
        return c.channel
    if group_by == "courier":
        return c.courier or OWN_RIDERS
    return ""


def couriers_of(conn: Connection, order_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The courier each order's parcel goes with unless the packer says otherwise: the one its
    wave was built for (a wave grouped by courier: one courier's pickup), else its shop's. ""
    is our own riders. (A courier wave groups by the shop's courier, so the two agree unless the
    shop's courier changed after the wave was built: then the wave's pickup wins.)"""
    if not order_ids:
        return {}
    rows = conn.execute(
        select(Order.id, Shop.courier, Wave.grouping, Wave.group_key)
        .outerjoin(Shop, Shop.id == Order.shop_id)
        .outerjoin(WaveOrder, WaveOrder.order_id == Order.id)
        .outerjoin(Wave, Wave.id == WaveOrder.wave_id)
        .where(in_values(conn, Order.id, order_ids))
    ).all()
    out: dict[uuid.UUID, str] = {}
    for order_id, shop_courier, grouping, key in rows:
        if grouping == "courier":
            out[order_id] = "" if key == OWN_RIDERS else str(key)
        else:
            out[order_id] = shop_courier or ""
    return out


def _candidates(conn: Connection, wid: uuid.UUID, now: datetime, clock: Clock) -> list[Candidate]:
    unwaved = ~exists().where(WaveOrder.order_id == Order.id)
    rows = conn.execute(
        select(
            Order.id,
            Order.external_id,
            Order.channel,
            Order.payment_method,
            Order.placed_at,
            Order.ship_by,
            Shop.courier,
        )
        .join(Shop, Shop.id == Order.shop_id)
        .where(Order.status == "allocated", Order.warehouse_id == wid, unwaved)
    ).all()
    out: dict[uuid.UUID, Candidate] = {}
    for oid, external_id, channel, payment, placed_at, own, courier in rows:
        due = clock.ship_by_of(placed_at, channel, own, wid)
        points = score(
            now=now,
            ship_by=due,
            placed_at=placed_at,
            channel=channel,
            payment_method=payment,
            rules=clock.priority,
        )
        out[oid] = Candidate(oid, external_id, channel, courier or "", due, points.total, placed_at)
    if not out:
        return []
    units = conn.execute(
        select(Reservation.order_id, Reservation.sku_id, func.sum(Reservation.qty))
        .join(Order, Order.id == Reservation.order_id)
        .where(
            Order.status == "allocated",
            Order.warehouse_id == wid,
            Reservation.status == "active",
            Reservation.warehouse_id == wid,
            unwaved,
        )
        .group_by(Reservation.order_id, Reservation.sku_id)
    ).all()
    for oid, sku_id, qty in units:
        if oid in out:
            out[oid].units[sku_id] = int(qty)
    return [c for c in out.values() if c.units]


def _shelves(conn: Connection, wid: uuid.UUID) -> dict[uuid.UUID, list[list[Any]]]:
    """Per SKU, [bin id, bin code, units] of every shelf bin holding some, in walking order."""
    rows = conn.execute(
        select(BinBalance.sku_id, Bin.id, Bin.code, BinBalance.qty)
        .join(Bin, Bin.id == BinBalance.bin_id)
        .where(Bin.warehouse_id == wid, Bin.active.is_(True), Bin.code != STAGING, BinBalance.qty > 0)
    ).all()
    shelves: dict[uuid.UUID, list[list[Any]]] = defaultdict(list)
    for sku_id, bin_id, code, qty in rows:
        shelves[sku_id].append([bin_id, code, int(qty)])
    for bins in shelves.values():
        bins.sort(key=lambda b: walk_key(b[1]))
    return shelves


def plan_units(
    units: dict[uuid.UUID, int], shelves: dict[uuid.UUID, list[list[Any]]]
) -> list[tuple[uuid.UUID, uuid.UUID | None, str, int]]:
    """(sku id, bin id, bin code, qty) taking each SKU's units from the first bins along the walk that
    still have some (what earlier orders of the build took is used up); what no bin has is planned
    at no bin, for the picker to look for and report short."""
    plan: list[tuple[uuid.UUID, uuid.UUID | None, str, int]] = []
    for sku_id, qty in units.items():
        left = qty
        for shelf in shelves.get(sku_id, ()):
            if left == 0:
                break
            take = min(left, shelf[2])
            if take > 0:
                shelf[2] -= take
                left -= take
                plan.append((sku_id, shelf[0], shelf[1], take))
        if left:
            plan.append((sku_id, None, "", left))
    return plan


def _next_codes(conn: Connection, now: datetime, count: int) -> list[str]:
    prefix = "W" + now.astimezone(MANILA).strftime("%y%m%d") + "-"
    taken = conn.execute(select(func.count()).where(Wave.code.like(prefix + "%"))).scalar() or 0
    return [f"{prefix}{taken + n + 1:04d}" for n in range(count)]


def _one_build_at_a_time(conn: Connection) -> None:
    """Two supervisors pressing "build waves" at once must not plan one order twice, nor number
    two waves alike: on PostgreSQL the builds take a transaction-scoped advisory lock and run one
    after the other (the second then sees the first's orders as waved: each statement reads what
    has committed). SQLite has one writer at a time already. The wave_orders key (one row per
    order) would refuse a double plan anyway; the lock makes the second build wait, not fail."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(WAVE_BUILD_LOCK)))


def build_waves(conn: Connection, spec: WaveSpec, actor: str, now: datetime) -> list[uuid.UUID]:
    """Group the warehouse's unwaved allocated orders into waves; returns the new waves' ids."""
    wid = warehouse_id_of(conn, spec.warehouse)
    _one_build_at_a_time(conn)
    close_finished(conn, wid)
    clock = load_clock(conn, [wid])
    candidates = _candidates(conn, wid, now, clock)
    # The orders being waved that are near their ship-by are told about now (once per order).
    horizon = now + timedelta(minutes=clock.ship_by.at_risk_minutes)
    raise_for(
        conn,
        now,
        [AtRisk(c.id, c.external_id, "allocated", c.ship_by) for c in candidates if c.ship_by <= horizon],
    )
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        groups[_group_key(c, spec.group_by)].append(c)
    batches: list[tuple[str, list[Candidate]]] = []
    for key in sorted(groups):
        ordered = sorted(groups[key], key=lambda c: (-c.priority, c.ship_by, c.placed_at, c.id.int))
        small = [c for c in ordered if c.size <= spec.batch_max_units]
        for start in range(0, len(small), spec.max_orders):
            batches.append((key, small[start : start + spec.max_orders]))
        batches += [(key, [c]) for c in ordered if c.size > spec.batch_max_units]
    if not batches:
        return []
    batches.sort(key=lambda b: (-max(c.priority for c in b[1]), min(c.ship_by for c in b[1])))
    shelves = _shelves(conn, wid)
    skus = _sku_codes(conn, {s for c in candidates for s in c.units})
    wh_code = spec.warehouse
    waves: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    note = touched(conn)
    for code, (key, batch) in zip(_next_codes(conn, now, len(batches)), batches, strict=True):
        wave_id = new_id()
        cutoff = min(c.ship_by for c in batch)
        waves.append(
            {
                "id": wave_id,
                "warehouse_id": wid,
                "code": code,
                "grouping": spec.group_by,
                "group_key": key[:64],
                "status": "open",
                "picker": None,
                "cutoff": cutoff,
                "created_by": actor[:64],
                "created_at": now,
            }
        )
        planned: list[tuple[str, uuid.UUID, uuid.UUID | None, str, int, uuid.UUID]] = []
        orders: list[list[Any]] = []
        for n, c in enumerate(batch):
            tote = f"T{n + 1:02d}"
            members.append(
                {
                    "order_id": c.id,
                    "wave_id": wave_id,
                    "tote": tote,
                    "position": n,
                    "ship_by": c.ship_by,
                    "priority": c.priority,
                }
            )
            # The shop's courier is the wave's when it is grouped by courier (`_group_key`).
            orders.append(
                [order_ref(c.id), tote, c.ship_by.isoformat(), c.priority, c.external_id, c.courier]
            )
            planned += [(tote, s, b, bc, q, c.id) for s, b, bc, q in plan_units(c.units, shelves)]
        planned.sort(key=lambda p: (walk_key(p[3]), skus[p[1]], p[0]))
        picks: list[list[Any]] = []
        for seq, (tote, sku_id, bin_id, bin_code, qty, oid) in enumerate(planned):
            lines.append(
                {
                    "wave_id": wave_id,
                    "order_id": oid,
                    "sku_id": sku_id,
                    "bin_id": bin_id,
                    "qty": qty,
                    "seq": seq,
                }
            )
            picks.append([bin_code, skus[sku_id], qty, order_ref(oid), tote])
        note.changes[(wh_scope(wh_code), WAVE, str(wave_id))] = {
            "code": code,
            "status": "open",
            "picker": None,
            "ship_by": cutoff.isoformat(),
            "orders": orders,
            "picks": picks,
        }
    insert_rows(conn, Wave, waves)
    insert_rows(conn, WaveOrder, members)
    insert_rows(conn, PickLine, lines)
    return [w["id"] for w in waves]


def _sku_codes(conn: Connection, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = sorted(set(ids), key=uuid_order)
    if not wanted:
        return {}
    return dict(conn.execute(select(Sku.id, Sku.code).where(Sku.id.in_(wanted))).all())  # pyright: ignore[reportUnknownArgumentType]


# -- reading a wave back, and what changes it afterwards ------------------------------------------


def wave_value(conn: Connection, wave_id: uuid.UUID) -> tuple[str, dict[str, Any] | None]:
    """(warehouse code, the wave entity; None when the wave is closed)."""
    row = conn.execute(
        select(Wave.code, Wave.status, Wave.picker, Wave.cutoff, Warehouse.code)
        .join(Warehouse, Warehouse.id == Wave.warehouse_id)
        .where(Wave.id == wave_id)
    ).first()
    if row is None:
        raise NotFound(f"no wave has the id {wave_id}", [FieldError("wave_id", "unknown")])
    code, status, picker, cutoff, wh_code = row
    if status == "done":
        return wh_code, None
    members = conn.execute(
        select(WaveOrder.order_id, WaveOrder.tote, WaveOrder.ship_by, WaveOrder.priority, Order.external_id)
        .join(Order, Order.id == WaveOrder.order_id)
        .where(WaveOrder.wave_id == wave_id)
        .order_by(WaveOrder.position)
    ).all()
    totes = {m[0]: m[1] for m in members}
    couriers = couriers_of(conn, list(totes))
    lines = conn.execute(
        select(Bin.code, Sku.code, PickLine.qty, PickLine.order_id)
        .join(Sku, Sku.id == PickLine.sku_id)
        .outerjoin(Bin, Bin.id == PickLine.bin_id)
        .where(PickLine.wave_id == wave_id)
        .order_by(PickLine.seq, PickLine.id)
    ).all()
    return wh_code, {
        "code": code,
        "status": status,
        "picker": picker,
        "ship_by": cutoff.isoformat() if cutoff is not None else None,
        # Each order's courier last: the pack screen shows it chosen (server/shipping/packing.py
        # takes the same one when a pack names none).
        "orders": [
            [order_ref(o), t, s.isoformat() if s else None, p, e, couriers.get(o, "")]
            for o, t, s, p, e in members
        ],
        "picks": [[b or "", s, int(q), order_ref(o), totes.get(o, "")] for b, s, q, o in lines],
    }


def note_wave(conn: Connection, wave_id: uuid.UUID) -> None:
    """The phones hear the wave's new value (or that it is gone)."""
    wh_code, value = wave_value(conn, wave_id)
    touched(conn).changes[(wh_scope(wh_code), WAVE, str(wave_id))] = value


def close_finished(conn: Connection, wid: uuid.UUID) -> list[uuid.UUID]:
    """Close the open waves of which no order is still a pick task (all packed off, shipped or
    cancelled): their entities leave the phones."""
    still = exists().where(
        WaveOrder.wave_id == Wave.id,
        Order.id == WaveOrder.order_id,
        Order.status.in_(sorted(TASK_STATUSES - {"packed"})),
    )
    done = list(
        conn.execute(select(Wave.id).where(Wave.warehouse_id == wid, Wave.status == "open", ~still)).scalars()
    )
    for wave_id in done:
        close_wave(conn, wave_id)
    return done


def close_wave(conn: Connection, wave_id: uuid.UUID) -> None:
    status = conn.execute(select(Wave.status).where(Wave.id == wave_id)).scalar()
    if status is None:
        raise NotFound(f"no wave has the id {wave_id}", [FieldError("wave_id", "unknown")])
    if status == "done":
        raise Conflict("this wave is already closed", [FieldError("status", "already closed")])
    conn.execute(update(Wave).where(Wave.id == wave_id).values(status="done"))
    note_wave(conn, wave_id)


def assign_picker(conn: Connection, wave_id: uuid.UUID, picker: str | None) -> None:
    """Give the wave to a warehouse user of its warehouse (None: take it back)."""
    row = conn.execute(select(Wave.warehouse_id, Wave.status).where(Wave.id == wave_id)).first()
    if row is None:
        raise NotFound(f"no wave has the id {wave_id}", [FieldError("wave_id", "unknown")])
    if row[1] == "done":
        raise Conflict("this wave is already closed", [FieldError("status", "already closed")])
    if picker is not None:
        user = conn.execute(
            select(User.role, User.warehouse_id, User.active).where(User.username == picker)
        ).first()
        if user is None or not user[2]:
            raise InvalidInput(f"no active user {picker}", [FieldError("picker", "unknown user")])
        if user[0] != "warehouse" or user[1] != row[0]:
            raise InvalidInput(
                f"{picker} is not warehouse staff of this wave's warehouse",
                [FieldError("picker", "must be a warehouse user of the wave's warehouse")],
            )
    conn.execute(update(Wave).where(Wave.id == wave_id).values(picker=picker))
    note_wave(conn, wave_id)


def waves_of_orders(conn: Connection, order_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    if not order_ids:
        return {}
    rows = conn.execute(
        select(WaveOrder.order_id, WaveOrder.wave_id).where(WaveOrder.order_id.in_(sorted(set(order_ids))))
    ).all()
    return {r[0]: r[1] for r in rows}


def wave_changes(conn: Connection, wave_ids: Iterable[uuid.UUID]) -> Changes:
    changes: Changes = {}
    for wave_id in sorted(set(wave_ids), key=uuid_order):
        wh_code, value = wave_value(conn, wave_id)
        changes[(wh_scope(wh_code), WAVE, str(wave_id))] = value
    return changes
