"""The alert rules: each looks for one kind of trouble and raises exceptions for it, deduplicated
(one open exception per kind and subject, server/exceptions/raising.py), so running them every
minute tells people once.

Rules whose finding is a domain's own record use that domain's writer (ship-by at risk, RTS not
back, courier remittance overdue: each raises and dedupes its own); the others build exception
rows here. `evaluate` runs every rule in one write transaction and answers how many each raised
and how long it took (the bench reads the times: `bodega bench alerts`).

Ledger drift runs `verify`, which reads every ledger: it has its own, slower schedule (jobs.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.alerts.settings import AlertSettings, read_settings
from server.auth.models import Device, User
from server.catalog.models import Sku
from server.channels.models import SignatureFailure, StatusMapping
from server.cod.models import CashBalance, CashLedgerEntry, DeliveryRun, RiderCeiling
from server.cod.policy import read_policy
from server.exceptions.models import ExceptionRecord
from server.exceptions.raising import exception_row, raise_exceptions
from server.inventory.models import StockBalance, Warehouse
from server.money import format_pesos as pesos
from server.orders.lifecycle import TASK_STATUSES
from server.orders.models import Order, OrderLine
from server.sync_api.models import SyncDevice

Rule = Callable[[Connection, AlertSettings, datetime], int]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn

    return register


def _raise(conn: Connection, rows: list[dict[str, Any]]) -> int:
    return len(raise_exceptions(conn, rows))


def _settle(conn: Connection, kinds: tuple[str, ...], rows: list[dict[str, Any]], now: datetime) -> int:
    """Raise what the rule found now, and resolve its open exceptions whose subject it no longer
    finds (the rider remitted, the stock came, the phone synced): the inbox holds only what is
    still true. Returns how many were raised."""
    from server.exceptions.actions import close

    raised = _raise(conn, rows)
    still = {(r["kind"], r["subject_id"]) for r in rows}
    e = ExceptionRecord
    gone = [
        exception_id
        for exception_id, kind, subject in conn.execute(
            select(e.id, e.kind, e.subject_id).where(e.status == "open", e.kind.in_(kinds))
        ).all()
        if (kind, subject) not in still
    ]
    for exception_id in gone:
        close(conn, exception_id, "cleared", "cleared: no longer found by its alert rule", "system", now)
    return raised


@rule("ship_by_at_risk")
def ship_by_at_risk(conn: Connection, s: AlertSettings, now: datetime) -> int:
    from server.orders.ship_by import raise_at_risk

    return len(raise_at_risk(conn, now))


@rule("rts_overdue")
def rts_overdue(conn: Connection, s: AlertSettings, now: datetime) -> int:
    from server.cod.rts import raise_overdue

    return len(raise_overdue(conn, now))


@rule("courier_remittance_overdue")
def courier_remittance_overdue(conn: Connection, s: AlertSettings, now: datetime) -> int:
    from server.couriers.accounts import list_couriers
    from server.couriers.remittances import find_not_remitted

    return sum(find_not_remitted(conn, courier, None, now) for courier in list_couriers(conn))


# Units sold per SKU over the window, per database, recomputed once an hour: a 14-day rate does
# not move in a minute, and reading it joins every order line of the window (about 0.4 s for
# 100,000 orders); the free stock it is compared with is read on every pass.
_SOLD: dict[str, tuple[tuple[int, int], dict[Any, int]]] = {}
SOLD_FOR_S = 3600


def _sold(conn: Connection, days: int, now: datetime) -> dict[Any, int]:
    where = str(conn.engine.url)
    key = (days, int(now.timestamp() // SOLD_FOR_S))
    cached = _SOLD.get(where)
    if cached is not None and cached[0] == key:
        return cached[1]
    since = now - timedelta(days=days)
    sold = {
        sku: int(units)
        for sku, units in conn.execute(
            select(OrderLine.sku_id, func.sum(OrderLine.qty))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.placed_at >= since, Order.status != "cancelled")
            .group_by(OrderLine.sku_id)
        ).all()
    }
    _SOLD[where] = (key, sold)
    return sold


@rule("low_stock")
def low_stock(conn: Connection, s: AlertSettings, now: datetime) -> int:
    """Free stock (on hand less reserved, quarantined and the safety buffer, all warehouses) that
    covers fewer than `low_stock_days_of_cover` days at the SKU's selling rate."""
    if s.low_stock_days_of_cover == 0:
        return _settle(conn, ("low_stock",), [], now)
    sold = _sold(conn, s.sales_window_days, now)
    if not sold:
        return _settle(conn, ("low_stock",), [], now)
    b = StockBalance
    free = dict(
        conn.execute(
            select(b.sku_id, func.sum(b.on_hand - b.reserved - b.quarantined - b.safety_buffer)).group_by(
                b.sku_id
            )
        ).all()
    )
    short: list[tuple[Any, int, float]] = []
    for sku_id, units in sold.items():
        per_day = units / s.sales_window_days
        have = max(int(free.get(sku_id) or 0), 0)
        if per_day > 0 and have < per_day * s.low_stock_days_of_cover:
            short.append((sku_id, have, per_day))
    if not short:
        return _settle(conn, ("low_stock",), [], now)
    codes = dict(conn.execute(select(Sku.id, Sku.code).where(Sku.id.in_([k for k, _, _ in short]))).all())
    rows = []
    for sku_id, have, per_day in short:
        days = have / per_day
        code = codes.get(sku_id, str(sku_id))
        rows.append(
            exception_row(
                "low_stock",
                f"{code}: {have} free, about {days:.1f} days at {per_day:.1f} a day "
                f"(below {s.low_stock_days_of_cover} days): reorder or count",
                now=now,
                sku_id=sku_id,
                details={"sku": code, "free": have, "per_day_x10": round(per_day * 10)},
                subject=("sku", code),
                dedupe=True,
            )
        )
    return _settle(conn, ("low_stock",), rows, now)


@rule("rider_cash")
def rider_cash(conn: Connection, s: AlertSettings, now: datetime) -> int:
    """Riders above their cash ceiling, and riders holding cash longer than `rider_unremitted_hours`
    since they last handed any in (or since their oldest collection, if they never did)."""
    riders = select(User.username).where(User.role == "rider")
    held = conn.execute(
        select(CashBalance.holder, CashBalance.amount).where(
            CashBalance.amount > 0, CashBalance.holder.in_(riders)
        )
    ).all()
    if not held:
        return _settle(conn, ("rider_cash_over_ceiling", "rider_cash_unremitted"), [], now)
    holders = [h for h, _ in held]
    ceiling = read_policy(conn).cash_ceiling
    own = dict(
        conn.execute(
            select(RiderCeiling.rider, RiderCeiling.cash_ceiling).where(RiderCeiling.rider.in_(holders))
        ).all()
    )
    e = CashLedgerEntry
    last_remit = dict(
        conn.execute(
            select(e.holder, func.max(e.created_at))
            .where(e.holder.in_(holders), e.kind == "remitted")
            .group_by(e.holder)
        ).all()
    )
    first_collect = dict(
        conn.execute(
            select(e.holder, func.min(e.created_at))
            .where(e.holder.in_(holders), e.kind == "collected")
            .group_by(e.holder)
        ).all()
    )
    cutoff = now - timedelta(hours=s.rider_unremitted_hours)
    rows = []
    for holder, amount in held:
        limit = int(own.get(holder, ceiling))
        if limit and amount > limit:
            rows.append(
                exception_row(
                    "rider_cash_over_ceiling",
                    f"{holder} carries {pesos(int(amount))}, above the ceiling of {pesos(limit)}: "
                    "have them remit before the next run",
                    now=now,
                    details={"holder": holder, "amount": int(amount), "ceiling": limit},
                    subject=("rider", holder),
                    dedupe=True,
                )
            )
        since = last_remit.get(holder) or first_collect.get(holder)
        if since is not None and since <= cutoff:
            hours = int((now - since).total_seconds() // 3600)
            rows.append(
                exception_row(
                    "rider_cash_unremitted",
                    f"{holder} has held {pesos(int(amount))} for {hours} hours without remitting",
                    now=now,
                    details={"holder": holder, "amount": int(amount), "since": since.isoformat()},
                    subject=("rider", holder),
                    dedupe=True,
                )
            )
    return _settle(conn, ("rider_cash_over_ceiling", "rider_cash_unremitted"), rows, now)


@rule("device_silent")
def device_silent(conn: Connection, s: AlertSettings, now: datetime) -> int:
    """A phone that has synced before, has work waiting (its warehouse has picks to do, its rider an
    open run) and has been silent for `device_silent_hours`."""
    cutoff = now - timedelta(hours=s.device_silent_hours)
    silent = conn.execute(
        select(
            Device.id,
            Device.name,
            User.username,
            User.role,
            User.warehouse_id,
            User.id,
            SyncDevice.updated_at,
        )
        .join(User, User.id == Device.user_id)
        .join(SyncDevice, SyncDevice.device_id == Device.id)
        .where(
            Device.revoked_at.is_(None),
            User.active.is_(True),
            User.role.in_(("warehouse", "rider")),
            SyncDevice.updated_at <= cutoff,
        )
    ).all()
    if not silent:
        return _settle(conn, ("device_silent",), [], now)
    # Does each silent warehouse phone's warehouse have work? One indexed look per warehouse.
    busy_warehouses = {
        wid
        for wid in {r.warehouse_id for r in silent if r.role == "warehouse" and r.warehouse_id is not None}
        if conn.execute(
            select(Order.id).where(Order.status.in_(TASK_STATUSES), Order.warehouse_id == wid).limit(1)
        ).first()
    }
    on_runs = set(
        conn.execute(select(DeliveryRun.rider_id).where(DeliveryRun.status == "open").distinct()).scalars()
    )
    codes = dict(conn.execute(select(Warehouse.id, Warehouse.code)).all())
    rows = []
    for device_id, name, username, role, warehouse_id, user_id, seen in silent:
        if role == "warehouse" and warehouse_id in busy_warehouses:
            waiting = f"orders to pick and pack in {codes.get(warehouse_id) if warehouse_id else '?'}"
        elif role == "rider" and user_id in on_runs:
            waiting = "an open delivery run"
        else:
            continue
        hours = int((now - seen).total_seconds() // 3600)
        rows.append(
            exception_row(
                "device_silent",
                f"{username}'s phone ({name or 'unnamed'}) has not synced for {hours} hours and has "
                f"{waiting}: call them; what it recorded is still on the phone",
                now=now,
                details={"device": str(device_id), "user": username, "last_sync": seen.isoformat()},
                subject=("device", str(device_id)),
                dedupe=True,
            )
        )
    return _settle(conn, ("device_silent",), rows, now)


@rule("webhook_signature_failures")
def webhook_signature_failures(conn: Connection, s: AlertSettings, now: datetime) -> int:
    since = now - timedelta(minutes=s.webhook_window_minutes)
    found = conn.execute(
        select(SignatureFailure.shop_code, func.count())
        .where(SignatureFailure.received_at >= since)
        .group_by(SignatureFailure.shop_code)
        .having(func.count() >= s.webhook_failures)
    ).all()
    rows = [
        exception_row(
            "webhook_signature_failures",
            f"{n} webhooks for shop {shop} failed their signature check in the last "
            f"{s.webhook_window_minutes} minutes: the shop's secret may have changed, or someone is "
            "sending forged orders",
            now=now,
            details={"shop": shop, "failures": int(n)},
            subject=("shop", shop),
            dedupe=True,
        )
        for shop, n in found
    ]
    return _settle(conn, ("webhook_signature_failures",), rows, now)


@rule("unmapped_status")
def unmapped_status(conn: Connection, s: AlertSettings, now: datetime) -> int:
    """A channel status nobody has mapped yet: orders with it wait in the review queue."""
    found = conn.execute(
        select(
            StatusMapping.platform, StatusMapping.raw_status, StatusMapping.seen, StatusMapping.example_order
        ).where(StatusMapping.canonical.is_(None))
    ).all()
    rows = [
        exception_row(
            "unmapped_status",
            f"{platform} status {raw!r} is not mapped ({seen} seen, e.g. order {example or '?'}): map it "
            "to a Bodega status so its orders go through",
            now=now,
            details={"platform": platform, "raw_status": raw, "seen": int(seen)},
            subject=("shop", f"{platform}:{raw}"),
            dedupe=True,
        )
        for platform, raw, seen, example in found
    ]
    return _settle(conn, ("unmapped_status",), rows, now)


def ledger_drift(conn: Connection, now: datetime) -> int:
    """Run `verify`; any drift or broken invariant is one critical exception until resolved."""
    from server.verify import verify

    report = verify(conn)
    if report.ok:
        return 0
    problems = [*map(str, report.drift), *report.orphan_reservations, *report.sync, *report.broken]
    row = exception_row(
        "ledger_drift",
        f"bodega verify found {len(problems)} problem(s): {'; '.join(problems[:3])}"[:500],
        now=now,
        details={"problems": problems[:50], "checked": report.balances_checked},
        subject=("shop", "ledgers"),
        dedupe=True,
    )
    return _raise(conn, [row])


@dataclass
class Pass:
    """One evaluation: what each rule raised and how long it took (seconds)."""

    raised: dict[str, int] = field(default_factory=dict[str, int])
    seconds: dict[str, float] = field(default_factory=dict[str, float])


def evaluate(conn: Connection, now: datetime, only: list[str] | None = None) -> Pass:
    """Every rule (or `only` these), once, in this transaction."""
    settings = read_settings(conn)
    done = Pass()
    for name, fn in RULES.items():
        if only is not None and name not in only:
            continue
        started = time.perf_counter()
        done.raised[name] = fn(conn, settings, now)
        done.seconds[name] = time.perf_counter() - started
    return done
