"""Cash-on-delivery KPIs, read from the ledgers (definitions in README.md "Cash on delivery: runs,
custody, RTS"). Periods are business days in Asia/Manila, `start` and `end` inclusive.

- collection rate: of COD orders delivered in the period, centavos collected for them (cash
  entries `collected`, any rider) over centavos due (their COD amounts); also by count.
- RTS rate by channel, courier or province: orders that left the warehouse (reached shipped) in
  the period and then went back (reached return_to_sender), over those that left.
- days from delivery to remittance: for each collection handed in, first in first out, the time
  from the order's delivery to the hand-in that paid its last centavo.
- rider cash held and its age: per holder with cash in hand, the amount, the oldest peso's age,
  and the peso-weighted average age (FIFO: the newest collections are the ones still held).
- COD receivables: cash collected for us and not yet in our hands, by who holds it, with its
  ageing (0-7, 8-14, 15-30, over 30 days). A courier's: its parcels delivered (its own status
  report) with COD due and in none of its remittance reports yet, aged from the delivery. A
  rider's: the collections still in hand (the cash ledger, FIFO), aged from the collection.
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Literal

import msgspec
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.auth.models import User
from server.cod.cash import held_collections
from server.cod.models import CashBalance, CashLedgerEntry, DeliveryRun, RunStop
from server.db.bulk import in_values
from server.orders.models import Order, OrderStatusChange

MANILA = timezone(timedelta(hours=8), "Asia/Manila")
DAY = 86_400.0
HANDED_OVER = "handed over to "
Dimension = Literal["channel", "courier", "province"]


class CollectionRate(msgspec.Struct):
    start: date
    end: date
    delivered_orders: int
    fully_collected_orders: int
    due: int  # centavos
    collected: int  # centavos
    rate: float | None  # collected / due; None when nothing was due


class RtsGroup(msgspec.Struct):
    key: str
    shipped: int
    rts: int
    rate: float | None


class RtsRate(msgspec.Struct):
    start: date
    end: date
    by: str
    groups: list[RtsGroup]
    shipped: int
    rts: int
    rate: float | None


class RemittanceDays(msgspec.Struct):
    start: date
    end: date
    collections: int  # collections for orders delivered in the period, fully handed in
    mean_days: float | None
    median_days: float | None
    max_days: float | None


class HeldCash(msgspec.Struct):
    holder: str
    amount: int  # centavos in hand
    oldest_at: datetime | None
    oldest_days: float | None
    weighted_days: float | None  # peso-weighted average age


class RiderCash(msgspec.Struct):
    at: datetime
    riders: list[HeldCash]
    total: int


class Ageing(msgspec.Struct):
    """Centavos by age in days."""

    days_0_7: int = 0
    days_8_14: int = 0
    days_15_30: int = 0
    over_30: int = 0

    def add(self, amount: int, days: float) -> None:
        if days <= 7:
            self.days_0_7 += amount
        elif days <= 14:
            self.days_8_14 += amount
        elif days <= 30:
            self.days_15_30 += amount
        else:
            self.over_30 += amount


class Receivable(msgspec.Struct):
    holder: str  # the courier's code, or the rider's username
    amount: int  # centavos delivered (or collected) and not remitted
    parcels: int
    oldest_days: float | None
    ageing: Ageing


class Receivables(msgspec.Struct):
    at: datetime
    couriers: list[Receivable]
    riders: list[Receivable]
    total: int


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[first instant of `start`, first instant after `end`) in Manila, as UTC."""
    lo = datetime.combine(start, time(), MANILA).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(), MANILA).astimezone(UTC)
    return lo, hi


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _first_reached(
    conn: Connection, status: str, lo: datetime | None, hi: datetime | None
) -> dict[uuid.UUID, datetime]:
    """When each order first reached `status` (within [lo, hi) if given)."""
    h = OrderStatusChange
    stmt = select(h.order_id, func.min(h.at)).where(h.to_status == status).group_by(h.order_id)
    if lo is not None and hi is not None:
        stmt = stmt.having(func.min(h.at) >= lo).having(func.min(h.at) < hi)
    return {oid: at for oid, at in conn.execute(stmt).all()}


def collection_rate(conn: Connection, start: date, end: date) -> CollectionRate:
    lo, hi = bounds(start, end)
    delivered = _first_reached(conn, "delivered", lo, hi)
    due: dict[str, int] = {}
    if delivered:
        for oid, cod in conn.execute(
            select(Order.id, Order.cod_amount).where(
                Order.payment_method == "cod", in_values(conn, Order.id, list(delivered))
            )
        ).all():
            due[str(oid)] = int(cod)
    collected: dict[str, int] = defaultdict(int)
    if due:
        e = CashLedgerEntry
        for ref, amount in conn.execute(
            select(e.order_ref, func.sum(e.amount))
            .where(e.kind == "collected", in_values(conn, e.order_ref, list(due)))
            .group_by(e.order_ref)
        ).all():
            collected[ref] = int(amount)
    total_due = sum(due.values())
    # An order's collections count up to what was due: an overpayment does not hide another's gap.
    total_collected = sum(min(collected.get(ref, 0), d) for ref, d in due.items())
    full = sum(1 for ref, d in due.items() if collected.get(ref, 0) >= d)
    return CollectionRate(
        start, end, len(due), full, total_due, total_collected, _ratio(total_collected, total_due)
    )


def _couriers(conn: Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Who carried each parcel: our own riders when it was on a run, else the handover's `to` as
    the order history names it, else unknown."""
    out: dict[uuid.UUID, str] = {}
    h = OrderStatusChange
    for oid, reason in conn.execute(
        select(h.order_id, h.reason)
        .where(in_values(conn, h.order_id, ids), h.to_status == "shipped")
        .order_by(h.id)
    ).all():
        if reason.startswith(HANDED_OVER):
            out.setdefault(oid, reason[len(HANDED_OVER) :].strip() or "unknown")
    on_runs = set(
        conn.execute(
            select(RunStop.order_id)
            .join(DeliveryRun, DeliveryRun.id == RunStop.run_id)
            .where(in_values(conn, RunStop.order_id, ids))
        ).scalars()
    )
    for oid in ids:
        if oid in on_runs:
            out[oid] = "own_riders"
        out.setdefault(oid, "unknown")
    return out


def rts_rate(conn: Connection, start: date, end: date, by: Dimension) -> RtsRate:
    lo, hi = bounds(start, end)
    shipped = list(_first_reached(conn, "shipped", lo, hi))
    back = set(_first_reached(conn, "return_to_sender", None, None))
    keys: dict[uuid.UUID, str] = {}
    if shipped:
        if by == "courier":
            keys = _couriers(conn, shipped)
        else:
            column = Order.channel if by == "channel" else Order.province
            keys = {
                oid: str(k or "unknown")
                for oid, k in conn.execute(
                    select(Order.id, column).where(in_values(conn, Order.id, shipped))
                ).all()
            }
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for oid in shipped:
        g = groups[keys.get(oid, "unknown")]
        g[0] += 1
        g[1] += oid in back
    rows = [RtsGroup(k, s, r, _ratio(r, s)) for k, (s, r) in sorted(groups.items())]
    total_s = sum(g.shipped for g in rows)
    total_r = sum(g.rts for g in rows)
    return RtsRate(start, end, by, rows, total_s, total_r, _ratio(total_r, total_s))


def fifo_paid_at(conn: Connection) -> dict[int, datetime]:
    """For every inflow entry fully handed on (FIFO over its holder's ledger), when its last
    centavo left the holder: entry id -> time."""
    e = CashLedgerEntry
    paid: dict[int, datetime] = {}
    queues: dict[str, deque[list[Any]]] = defaultdict(deque)
    for eid, holder, amount, at in conn.execute(
        select(e.id, e.holder, e.amount, e.created_at).order_by(e.holder, e.id)
    ).all():
        q = queues[holder]
        if amount > 0:
            q.append([eid, int(amount)])
            continue
        out = -int(amount)
        while out > 0 and q:
            head = q[0]
            take = min(head[1], out)
            head[1] -= take
            out -= take
            if head[1] == 0:
                paid[head[0]] = at
                q.popleft()
    return paid


def remittance_days(conn: Connection, start: date, end: date) -> RemittanceDays:
    lo, hi = bounds(start, end)
    delivered = {str(k): v for k, v in _first_reached(conn, "delivered", lo, hi).items()}
    paid = fifo_paid_at(conn)
    e = CashLedgerEntry
    days: list[float] = []
    if delivered:
        for eid, ref in conn.execute(
            select(e.id, e.order_ref).where(
                e.kind == "collected", in_values(conn, e.order_ref, list(delivered))
            )
        ).all():
            if eid in paid:
                days.append(max((paid[eid] - delivered[ref]).total_seconds(), 0.0) / DAY)
    if not days:
        return RemittanceDays(start, end, 0, None, None, None)
    return RemittanceDays(
        start,
        end,
        len(days),
        round(statistics.fmean(days), 3),
        round(statistics.median(days), 3),
        round(max(days), 3),
    )


def rider_cash(conn: Connection, now: datetime, riders_only: bool = True) -> RiderCash:
    stmt = (
        select(CashBalance.holder, CashBalance.amount)
        .where(CashBalance.amount > 0)
        .order_by(CashBalance.holder)
    )
    if riders_only:
        stmt = stmt.join(User, User.username == CashBalance.holder).where(User.role == "rider")
    out: list[HeldCash] = []
    for holder, amount in conn.execute(stmt).all():
        held = held_collections(conn, holder, int(amount))
        if not held:
            out.append(HeldCash(holder, int(amount), None, None, None))
            continue
        oldest = held[0].at
        weighted = (
            sum(h.amount * (now - h.at).total_seconds() for h in held) / sum(h.amount for h in held) / DAY
        )
        out.append(
            HeldCash(
                holder,
                int(amount),
                oldest,
                round((now - oldest).total_seconds() / DAY, 3),
                round(weighted, 3),
            )
        )
    return RiderCash(now, out, sum(h.amount for h in out))


def _receivable(holder: str, items: list[tuple[int, datetime]], now: datetime) -> Receivable:
    ageing = Ageing()
    ages = [(now - at).total_seconds() / DAY for _, at in items]
    for (amount, _), days in zip(items, ages, strict=True):
        ageing.add(amount, days)
    oldest = round(max(ages), 3) if ages else None
    return Receivable(holder, sum(a for a, _ in items), len(items), oldest, ageing)


# What each courier owes: courier code -> (centavos, when delivered) per parcel, oldest first.
CourierOwed = Callable[[Connection], dict[str, list[tuple[int, datetime]]]]
_courier_owed: list[CourierOwed] = []


def reads_courier_owed(read: CourierOwed) -> CourierOwed:
    """Install the reading of what couriers owe. It is read from the couriers' own reports, and
    the couriers' package stands above this one (it records attempts through server/cod/), so it
    hands its reading here when imported (server/couriers/receivables.py, with its routes)."""
    _courier_owed[:] = [read]
    return read


def receivables(conn: Connection, now: datetime) -> Receivables:
    """COD delivered and not remitted: by courier (from its reports) and by rider (cash in hand)."""
    if not _courier_owed:
        raise RuntimeError("no reading of what couriers owe: server.couriers.receivables was not imported")
    by_courier = _courier_owed[0](conn)
    couriers = [_receivable(code, items, now) for code, items in sorted(by_courier.items())]
    riders: list[Receivable] = []
    stmt = (
        select(CashBalance.holder, CashBalance.amount)
        .join(User, User.username == CashBalance.holder)
        .where(CashBalance.amount > 0, User.role == "rider")
        .order_by(CashBalance.holder)
    )
    for holder, amount in conn.execute(stmt).all():
        held = held_collections(conn, holder, int(amount))
        riders.append(_receivable(holder, [(h.amount, h.at) for h in held], now))
    total = sum(r.amount for r in couriers) + sum(r.amount for r in riders)
    return Receivables(now, couriers, riders, total)
