"""Each KPI's numerator and denominator for one business day, from the ledgers and the order
history (definitions: server/kpis/definitions.py). The one place the KPIs are computed: the live
endpoint and the nightly rollup (server/kpis/rollup.py) both call `day_figures`.

A day's figures are keyed by (kpi, channel, warehouse code); "none" where a fact has no channel or
warehouse (a bin count has no channel; an exception may have no order)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from server.auth.models import User
from server.business_day import bounds, manila_day
from server.cod.cash import held_collections
from server.cod.models import CashBalance, CashLedgerEntry
from server.db.bulk import in_values
from server.exceptions.models import ExceptionRecord
from server.inventory.models import Bin, BinCount, StockMovement, Warehouse
from server.orders.models import Order, OrderStatusChange

NONE = "none"
DAY_S = 86_400.0
HOUR_S = 3_600.0

Key = tuple[str, str, str]  # (kpi, channel, warehouse code)
WarehouseOf = Callable[[uuid.UUID | None], str]
Figures = dict[Key, list[float]]  # -> [numerator, denominator]


def warehouse_codes(conn: Connection) -> dict[uuid.UUID, str]:
    return {wid: code for wid, code in conn.execute(select(Warehouse.id, Warehouse.code)).all()}


def _first_reached(status: str, lo: datetime, hi: datetime):
    """Orders that first reached `status` in [lo, hi): the order's row and when."""
    h = OrderStatusChange
    earlier = aliased(OrderStatusChange)
    return (
        select(
            h.order_id,
            h.at,
            Order.channel,
            Order.warehouse_id,
            Order.placed_at,
            Order.payment_method,
            Order.cod_amount,
        )
        .join(Order, Order.id == h.order_id)
        .where(
            h.to_status == status,
            h.at >= lo,
            h.at < hi,
            ~exists().where(
                and_(earlier.order_id == h.order_id, earlier.to_status == status, earlier.at < h.at)
            ),
        )
    )


def _add(out: Figures, kpi: str, channel: str | None, wh: str, num: float, den: float) -> None:
    f = out[(kpi, channel or NONE, wh)]
    f[0] += num
    f[1] += den


def day_figures(
    conn: Connection, day: date, now: datetime, codes: dict[uuid.UUID, str] | None = None
) -> Figures:
    """Every rolled-up KPI's (numerator, denominator) for `day`, by channel and warehouse."""
    codes = codes if codes is not None else warehouse_codes(conn)
    lo, hi = bounds(day)
    out: Figures = defaultdict(lambda: [0.0, 0.0])

    def wh(wid: uuid.UUID | None) -> str:
        return codes.get(wid, NONE) if wid is not None else NONE

    sla(conn, out, lo, hi, now, wh)
    _delivered(conn, out, lo, hi, wh)
    _rts(conn, out, lo, hi, wh)
    _exceptions(conn, out, lo, hi, wh)
    _counts(conn, out, lo, hi, wh)
    return dict(out)


def _aware(raw: Any) -> datetime | None:
    """A time from a scalar subquery, which comes back as text on SQLite."""
    if raw is None:
        return None
    at = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def sla(conn: Connection, out: Figures, lo: datetime, hi: datetime, now: datetime, wh: WarehouseOf) -> None:
    h = OrderStatusChange
    shipped_at = (
        select(func.min(h.at)).where(h.order_id == Order.id, h.to_status == "shipped").scalar_subquery()
    )
    for _oid, channel, wid, ship_by, status, raw in conn.execute(
        select(Order.id, Order.channel, Order.warehouse_id, Order.ship_by, Order.status, shipped_at).where(
            Order.ship_by >= lo, Order.ship_by < hi
        )
    ).all():
        shipped = _aware(raw)
        if ship_by is None:
            continue
        if shipped is None and (status == "cancelled" or ship_by > now):
            continue  # cancelled unshipped, or not yet due: neither made nor missed
        made = shipped is not None and shipped <= ship_by
        _add(out, "sla", channel, wh(wid), 1.0 if made else 0.0, 1.0)


def _delivered(conn: Connection, out: Figures, lo: datetime, hi: datetime, wh: WarehouseOf) -> None:
    rows = conn.execute(_first_reached("delivered", lo, hi)).all()
    due: dict[str, tuple[int, str, str]] = {}
    for oid, at, channel, wid, placed_at, method, cod in rows:
        _add(out, "lead_time_days", channel, wh(wid), round((at - placed_at).total_seconds() / DAY_S, 6), 1.0)
        if method == "cod" and cod > 0:
            due[str(oid)] = (int(cod), channel, wh(wid))
    collected: dict[str, int] = {}
    if due:
        e = CashLedgerEntry
        collected = {
            ref: int(total)
            for ref, total in conn.execute(
                select(e.order_ref, func.sum(e.amount))
                .where(e.kind == "collected", in_values(conn, e.order_ref, list(due)))
                .group_by(e.order_ref)
            ).all()
        }
    for ref, (cod, channel, code) in due.items():
        _add(out, "cod_collection", channel, code, float(min(collected.get(ref, 0), cod)), float(cod))


def _rts(conn: Connection, out: Figures, lo: datetime, hi: datetime, wh: WarehouseOf) -> None:
    rows = conn.execute(_first_reached("shipped", lo, hi)).all()
    if not rows:
        return
    h = OrderStatusChange
    back = set(
        conn.execute(
            select(h.order_id)
            .where(h.to_status == "return_to_sender", in_values(conn, h.order_id, [r[0] for r in rows]))
            .distinct()
        ).scalars()
    )
    for oid, _at, channel, wid, *_ in rows:
        _add(out, "rts_rate", channel, wh(wid), 1.0 if oid in back else 0.0, 1.0)


def _exceptions(conn: Connection, out: Figures, lo: datetime, hi: datetime, wh: WarehouseOf) -> None:
    x = ExceptionRecord
    had = exists().where(x.order_id == Order.id)
    for channel, wid, flagged in conn.execute(
        select(Order.channel, Order.warehouse_id, had).where(Order.placed_at >= lo, Order.placed_at < hi)
    ).all():
        _add(out, "exception_rate", channel, wh(wid), 1.0 if flagged else 0.0, 1.0)
    for created, resolved, x_wid, channel, o_wid in conn.execute(
        select(x.created_at, x.resolved_at, x.warehouse_id, Order.channel, Order.warehouse_id)
        .outerjoin(Order, Order.id == x.order_id)
        .where(x.resolved_at >= lo, x.resolved_at < hi)
    ).all():
        hours = max((resolved - created).total_seconds(), 0.0) / HOUR_S if resolved else 0.0
        _add(out, "exception_resolve_hours", channel, wh(o_wid or x_wid), round(hours, 6), 1.0)


def _counts(conn: Connection, out: Figures, lo: datetime, hi: datetime, wh: WarehouseOf) -> None:
    c = BinCount
    m = StockMovement
    # Op ids are matched in Python: their text form in ref_id is the op id's str().
    rows = conn.execute(
        select(c.op_id, c.sku_id, Bin.warehouse_id)
        .join(Bin, Bin.id == c.bin_id)
        .where(c.updated_at >= lo, c.updated_at < hi)
    ).all()
    if not rows:
        return
    refs = {str(op) for op, _, _ in rows}
    moved = set(
        conn.execute(
            select(m.ref_id, m.sku_id).where(
                m.ref_type == "op", m.kind == "count", m.qty != 0, in_values(conn, m.ref_id, list(refs))
            )
        ).all()
    )
    for op, sku, wid in rows:
        _add(out, "inventory_accuracy", None, wh(wid), 0.0 if (str(op), sku) in moved else 1.0, 1.0)


def rider_cash_figures(
    conn: Connection, now: datetime, codes: dict[uuid.UUID, str] | None = None
) -> dict[tuple[str, str, str], list[float]]:
    """Rider cash held now, keyed by (collection day, channel, warehouse): [centavo-days, centavos].
    Its weighted age is the first over the second."""
    codes = codes if codes is not None else warehouse_codes(conn)
    held = []
    for holder, amount in conn.execute(
        select(CashBalance.holder, CashBalance.amount)
        .join(User, User.username == CashBalance.holder)
        .where(CashBalance.amount > 0, User.role == "rider")
        .order_by(CashBalance.holder)
    ).all():
        held += held_collections(conn, holder, int(amount))
    refs = {h.order_ref for h in held if h.order_ref}
    orders: dict[str, tuple[str, uuid.UUID | None]] = {}
    ids = []
    for ref in refs:
        try:
            ids.append(uuid.UUID(ref))
        except ValueError:
            continue
    if ids:
        orders = {
            str(oid): (channel, wid)
            for oid, channel, wid in conn.execute(
                select(Order.id, Order.channel, Order.warehouse_id).where(in_values(conn, Order.id, ids))
            ).all()
        }
    out: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for h in held:
        channel, wid = orders.get(h.order_ref, (NONE, None))
        code = codes.get(wid, NONE) if wid is not None else NONE
        f = out[(manila_day(h.at).isoformat(), channel, code)]
        f[0] += h.amount * max((now - h.at).total_seconds(), 0.0) / DAY_S
        f[1] += h.amount
    return dict(out)
