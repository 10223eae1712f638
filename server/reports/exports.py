"""CSV exports for the office and the accountant: inventory valuation, stock movements, COD
receivables and remittances. Amounts in pesos with two decimals (what a spreadsheet expects);
the ledgers keep centavos."""

from __future__ import annotations

import contextlib
import csv
import io
import uuid
from datetime import datetime
from typing import Literal

import msgspec
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.auth.models import User
from server.business_day import MANILA
from server.catalog.models import Sku
from server.cod.cash import held_collections
from server.cod.models import CashBalance, CashLedgerEntry
from server.db.bulk import in_values
from server.inbound.views import landed_unit_costs
from server.inventory.models import Bin, StockBalance, StockMovement, Warehouse
from server.orders.models import Order, OrderLine

MAX_ROWS = 1_000_000  # one export's ceiling: a longer period is asked for in parts


def _pesos(centavos: int) -> str:
    return f"{centavos / 100:.2f}"


def _writer() -> tuple[io.StringIO, csv._writer]:  # type: ignore[name-defined]
    buf = io.StringIO()
    return buf, csv.writer(buf, lineterminator="\n")


Basis = Literal["landed_cost", "selling_price", "none"]


class ValuationLine(msgspec.Struct):
    warehouse: str
    sku: str
    name: str
    on_hand: int
    reserved: int
    quarantined: int
    unit_value: int  # centavos a unit is valued at
    # landed_cost: from the latest inbound shipment that brought the SKU in (server/inbound);
    # selling_price: never received from a shipment, so its latest selling price (a retail value);
    # none: neither known, valued at zero.
    basis: Basis
    value: int  # on_hand x unit_value, centavos


def _selling_prices(conn: Connection) -> dict[uuid.UUID, int]:
    """Each SKU's unit price on its latest order."""
    last_line = (
        select(OrderLine.sku_id, func.max(Order.placed_at).label("at"))
        .join(Order, Order.id == OrderLine.order_id)
        .group_by(OrderLine.sku_id)
        .subquery()
    )
    prices: dict[uuid.UUID, int] = {}
    for sku_id, price in conn.execute(
        select(OrderLine.sku_id, OrderLine.unit_price)
        .join(Order, Order.id == OrderLine.order_id)
        .join(last_line, (last_line.c.sku_id == OrderLine.sku_id) & (last_line.c.at == Order.placed_at))
    ).all():
        prices[sku_id] = int(price)
    return prices


def valuation_lines(conn: Connection, warehouse: str | None) -> list[ValuationLine]:
    """On hand per SKU and warehouse, valued at cost where Bodega knows it (the landed cost per
    unit of the SKU's latest inbound shipment), else at its latest selling price, each line saying
    which."""
    costs = landed_unit_costs(conn)
    prices = _selling_prices(conn)
    b = StockBalance
    stmt = (
        select(Warehouse.code, Sku.id, Sku.code, Sku.name, b.on_hand, b.reserved, b.quarantined)
        .join(Sku, Sku.id == b.sku_id)
        .join(Warehouse, Warehouse.id == b.warehouse_id)
        .order_by(Warehouse.code, Sku.code)
    )
    if warehouse:
        stmt = stmt.where(Warehouse.code == warehouse)
    out: list[ValuationLine] = []
    for wh, sku_id, code, name, on_hand, reserved, quarantined in conn.execute(stmt).all():
        basis: Basis = "landed_cost" if sku_id in costs else "selling_price" if sku_id in prices else "none"
        unit = costs.get(sku_id, prices.get(sku_id, 0))
        out.append(
            ValuationLine(
                wh,
                code,
                name,
                int(on_hand),
                int(reserved),
                int(quarantined),
                unit,
                basis,
                int(on_hand) * unit,
            )
        )
    return out


def inventory_valuation(conn: Connection, warehouse: str | None) -> str:
    """The valuation as CSV, with a total per basis and a grand total."""
    lines = valuation_lines(conn, warehouse)
    buf, w = _writer()
    w.writerow(
        ["warehouse", "sku", "name", "on_hand", "reserved", "quarantined", "unit_value", "basis", "value"]
    )
    for ln in lines:
        w.writerow(
            [
                ln.warehouse,
                ln.sku,
                ln.name,
                ln.on_hand,
                ln.reserved,
                ln.quarantined,
                _pesos(ln.unit_value),
                ln.basis,
                _pesos(ln.value),
            ]
        )
    for basis in ("landed_cost", "selling_price"):
        w.writerow(
            [
                "total",
                "",
                "",
                "",
                "",
                "",
                "",
                basis,
                _pesos(sum(ln.value for ln in lines if ln.basis == basis)),
            ]
        )
    w.writerow(["total", "", "", "", "", "", "", "", _pesos(sum(ln.value for ln in lines))])
    return buf.getvalue()


def movements(conn: Connection, lo: datetime, hi: datetime, warehouse: str | None) -> str:
    m = StockMovement
    stmt = (
        select(
            m.created_at,
            Warehouse.code,
            Sku.code,
            Bin.code,
            m.kind,
            m.qty,
            m.reason,
            m.ref_type,
            m.ref_id,
            m.actor,
        )
        .join(Warehouse, Warehouse.id == m.warehouse_id)
        .join(Sku, Sku.id == m.sku_id)
        .outerjoin(Bin, Bin.id == m.bin_id)
        .where(m.created_at >= lo, m.created_at < hi)
        .order_by(m.created_at, m.id)
        .limit(MAX_ROWS)
    )
    if warehouse:
        stmt = stmt.where(Warehouse.code == warehouse)
    buf, w = _writer()
    w.writerow(["at", "warehouse", "sku", "bin", "kind", "qty", "reason", "ref_type", "ref_id", "actor"])
    for at, wh, sku, bin_code, kind, qty, reason, ref_type, ref_id, actor in conn.execute(stmt).all():
        w.writerow(
            [
                at.astimezone(MANILA).isoformat(),
                wh,
                sku,
                bin_code or "",
                kind,
                qty,
                reason,
                ref_type,
                ref_id,
                actor,
            ]
        )
    return buf.getvalue()


def cod_receivables(conn: Connection, now: datetime) -> str:
    """What customers paid that has not reached the office yet, as of now: cash riders still hold
    (per collection, first in first out) and COD orders delivered but not (fully) collected."""
    buf, w = _writer()
    w.writerow(["kind", "holder", "order_id", "external_id", "channel", "amount", "since", "age_days"])
    held = []
    for holder, amount in conn.execute(
        select(CashBalance.holder, CashBalance.amount)
        .join(User, User.username == CashBalance.holder)
        .where(CashBalance.amount > 0, User.role == "rider")
        .order_by(CashBalance.holder)
    ).all():
        held += [(holder, h) for h in held_collections(conn, holder, int(amount))]
    ids = []
    for _, h in held:
        with contextlib.suppress(ValueError):  # a collection not for an order
            ids.append(uuid.UUID(h.order_ref))
    orders = {}
    if ids:
        orders = {
            str(i): (ext, ch)
            for i, ext, ch in conn.execute(
                select(Order.id, Order.external_id, Order.channel).where(in_values(conn, Order.id, ids))
            ).all()
        }
    for holder, h in held:
        ext, ch = orders.get(h.order_ref, ("", ""))
        age = (now - h.at).total_seconds() / 86_400
        w.writerow(
            [
                "held_by_rider",
                holder,
                h.order_ref,
                ext,
                ch,
                _pesos(h.amount),
                h.at.astimezone(MANILA).isoformat(),
                f"{age:.2f}",
            ]
        )
    e = CashLedgerEntry
    delivered = conn.execute(
        select(Order.id, Order.external_id, Order.channel, Order.cod_amount)
        .where(Order.status == "delivered", Order.payment_method == "cod", Order.cod_amount > 0)
        .order_by(Order.placed_at)
    ).all()
    for start in range(0, len(delivered), 5000):
        chunk = delivered[start : start + 5000]
        got = dict(
            conn.execute(
                select(e.order_ref, func.sum(e.amount))
                .where(e.kind == "collected", in_values(conn, e.order_ref, [str(r[0]) for r in chunk]))
                .group_by(e.order_ref)
            ).all()
        )
        for oid, ext, ch, cod in chunk:
            owed = int(cod) - int(got.get(str(oid)) or 0)
            if owed > 0:
                w.writerow(["not_collected", "", str(oid), ext, ch, _pesos(owed), "", ""])
    return buf.getvalue()


def remittances(conn: Connection, lo: datetime, hi: datetime) -> str:
    """Cash handed on (riders to the cashier, the cashier to the safe or bank): the ledger's
    remitted and received entries in the period."""
    e = CashLedgerEntry
    buf, w = _writer()
    w.writerow(["at", "holder", "kind", "amount", "ref", "order_ref"])
    for at, holder, kind, amount, ref, order_ref in conn.execute(
        select(e.created_at, e.holder, e.kind, e.amount, e.ref, e.order_ref)
        .where(e.kind.in_(("remitted", "received")), e.created_at >= lo, e.created_at < hi)
        .order_by(e.created_at, e.id)
    ).all():
        w.writerow([at.astimezone(MANILA).isoformat(), holder, kind, _pesos(int(amount)), ref, order_ref])
    return buf.getvalue()
