"""Stock receipts, adjustments and balances, as an admin or an integration posts them over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, and_, insert, or_, select, update
from sqlalchemy.engine import Connection

from server.catalog.models import BundleComponent, Sku
from server.db.base import utcnow
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.inventory.ledger import Movement, lock_balances, post_movements
from server.inventory.models import Bin, StockBalance, Warehouse
from server.inventory.schemas import BalanceOut, PostedOut, StockLineIn, TransferIn
from server.orders.ingest import reallocate
from server.orders.models import Order, OrderLine

MAX_LINES = 1000
MAX_QTY = 10_000_000


def warehouse_id(conn: Connection, code: str, field: str = "warehouse") -> uuid.UUID:
    found = (conn.execute(select(Warehouse.id).where(Warehouse.code == code))).scalar()
    if found is None:
        raise InvalidInput(
            f"unknown warehouse {code!r}", [FieldError(field, f"no warehouse with code {code!r}")]
        )
    return found


def movements_for(
    conn: Connection,
    warehouse_code: str,
    lines: list[StockLineIn],
    *,
    kind: str,
    signed: bool,
    reason: str,
    ref_type: str,
    ref_id: str,
    actor: str,
) -> list[Movement]:
    """Check every line (all problems reported at once) and turn them into ledger movements."""
    wh = warehouse_id(conn, warehouse_code)
    errors: list[FieldError] = []
    if not lines:
        errors.append(FieldError("lines", "send at least one line"))
    if len(lines) > MAX_LINES:
        errors.append(FieldError("lines", f"at most {MAX_LINES} lines"))
    codes = {ln.sku for ln in lines}
    skus = {
        code: (sid, bundle)
        for sid, code, bundle in (
            conn.execute(select(Sku.id, Sku.code, Sku.is_bundle).where(Sku.code.in_(codes)))
        ).all()
    }
    bin_codes = {ln.bin for ln in lines if ln.bin}
    bins = {
        code: bid
        for bid, code in (
            conn.execute(select(Bin.id, Bin.code).where(Bin.warehouse_id == wh, Bin.code.in_(bin_codes)))
        ).all()
    }
    out: list[Movement] = []
    for i, ln in enumerate(lines):
        if ln.qty == 0 or abs(ln.qty) > MAX_QTY or (not signed and ln.qty < 0):
            rule = "a non-zero whole number" if signed else "a positive whole number"
            errors.append(FieldError(f"lines[{i}].qty", f"must be {rule} up to {MAX_QTY}, got {ln.qty}"))
        sku = skus.get(ln.sku)
        if sku is None:
            errors.append(FieldError(f"lines[{i}].sku", f"unknown SKU {ln.sku!r}"))
            continue
        if sku[1]:
            errors.append(
                FieldError(f"lines[{i}].sku", f"{ln.sku!r} is a bundle; stock its components instead")
            )
            continue
        bin_id = None
        if ln.bin:
            bin_id = bins.get(ln.bin)
            if bin_id is None:
                errors.append(
                    FieldError(f"lines[{i}].bin", f"no bin {ln.bin!r} in warehouse {warehouse_code!r}")
                )
        out.append(
            Movement(
                sku[0],
                wh,
                kind,
                ln.qty,
                reason=reason,
                ref_type=ref_type,
                ref_id=ref_id,
                actor=actor,
                bin_id=bin_id,
            )
        )
    if errors:
        raise InvalidInput(f"{len(errors)} invalid field(s)", errors)
    return out


def held_orders_needing(conn: Connection, sku_ids: set[uuid.UUID]) -> list[uuid.UUID]:
    """Held orders with a line for one of these SKUs, directly or through a bundle."""
    bundles = select(BundleComponent.bundle_sku_id).where(BundleComponent.component_sku_id.in_(sku_ids))
    stmt = (
        select(Order.id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.status == "on_hold", or_(OrderLine.sku_id.in_(sku_ids), OrderLine.sku_id.in_(bundles)))
        .distinct()
    )
    return [row[0] for row in (conn.execute(stmt)).all()]


def post_stock(conn: Connection, movements: list[Movement], actor: str) -> list[uuid.UUID]:
    """Post movements; incoming stock then gets a chance to release held orders, oldest first."""
    lock_balances(conn, {(m.sku_id, m.warehouse_id) for m in movements})
    post_movements(conn, movements)
    arrived = {m.sku_id for m in movements if m.qty > 0}
    if not arrived:
        return []
    held = held_orders_needing(conn, arrived)
    return [r.id for r in reallocate(conn, held, actor)] if held else []


def post_lines(
    conn: Connection,
    warehouse: str,
    lines: list[StockLineIn],
    *,
    kind: str,
    signed: bool,
    reason: str,
    ref_type: str,
    ref_id: str,
    actor: str,
) -> PostedOut:
    """A receipt or an adjustment: check the lines, post them, let held orders through."""
    moves = movements_for(
        conn,
        warehouse,
        lines,
        kind=kind,
        signed=signed,
        reason=reason,
        ref_type=ref_type,
        ref_id=ref_id,
        actor=actor,
    )
    return posted(conn, moves, post_stock(conn, moves, actor))


def posted(conn: Connection, moves: list[Movement], allocated: list[uuid.UUID]) -> PostedOut:
    return PostedOut(movements=len(moves), balances=balances_for(conn, moves), allocated_orders=allocated)


def balance_query() -> Select[str, str, str, int, int, int]:
    return (
        select(
            Sku.code,
            Sku.name,
            Warehouse.code,
            StockBalance.on_hand,
            StockBalance.reserved,
            StockBalance.safety_buffer,
        )
        .join(Sku, Sku.id == StockBalance.sku_id)
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
    )


def balance_out(row: Any) -> BalanceOut:
    code, name, wh, on_hand, reserved, buffer = row
    return BalanceOut(
        sku=code,
        name=name,
        warehouse=wh,
        on_hand=on_hand,
        reserved=reserved,
        safety_buffer=buffer,
        available=on_hand - reserved - buffer,
    )


def balances_for(conn: Connection, movements: list[Movement]) -> list[BalanceOut]:
    keys = sorted({(m.sku_id, m.warehouse_id) for m in movements})
    cond = or_(*(and_(StockBalance.sku_id == s, StockBalance.warehouse_id == w) for s, w in keys))
    rows = (conn.execute(balance_query().where(cond).order_by(Sku.code, Warehouse.code))).all()
    return [balance_out(r) for r in rows]


def set_buffer(conn: Connection, warehouse_code: str, sku_code: str, buffer: int) -> BalanceOut:
    if buffer < 0:
        raise InvalidInput("negative buffer", [FieldError("safety_buffer", "must be 0 or more")])
    wh = warehouse_id(conn, warehouse_code)
    found = conn.execute(select(Sku.id, Sku.is_bundle).where(Sku.code == sku_code)).first()
    if found is None:
        raise NotFound(f"no SKU {sku_code!r}", [FieldError("sku", "no SKU has this code")])
    sku, is_bundle = found
    if is_bundle:
        # A bundle has no stock of its own: its availability comes from its components.
        raise InvalidInput(
            f"{sku_code!r} is a bundle", [FieldError("sku", "a bundle has no stock; buffer its components")]
        )
    existing = lock_balances(conn, {(sku, wh)})
    if existing:
        conn.execute(
            update(StockBalance)
            .where(StockBalance.sku_id == sku, StockBalance.warehouse_id == wh)
            .values(safety_buffer=buffer, updated_at=utcnow())
        )
    else:
        # Never stocked here yet: the balance row starts at zero with the buffer set.
        conn.execute(
            insert(StockBalance).values(
                sku_id=sku, warehouse_id=wh, on_hand=0, reserved=0, safety_buffer=buffer, updated_at=utcnow()
            )
        )
    row = (
        conn.execute(balance_query().where(StockBalance.sku_id == sku, StockBalance.warehouse_id == wh))
    ).one()
    return balance_out(row)


def transfer(conn: Connection, data: TransferIn, actor: str) -> tuple[list[Movement], list[uuid.UUID]]:
    """Move stock between warehouses in one transaction: out of one, into the other.

    Only units free to sell may leave: reserved units belong to orders and the buffer is held back.
    Returns the movements and the held orders the arriving stock let through.
    """
    if data.from_warehouse == data.to_warehouse:
        raise InvalidInput("same warehouse", [FieldError("to_warehouse", "must differ from from_warehouse")])
    ref = data.reference[:64]
    incoming = movements_for(
        conn,
        data.to_warehouse,
        data.lines,
        kind="transfer_in",
        signed=False,
        reason="transfer",
        ref_type="transfer",
        ref_id=ref,
        actor=actor,
    )
    source = warehouse_id(conn, data.from_warehouse, "from_warehouse")
    outgoing = [
        Movement(
            m.sku_id,
            source,
            "transfer_out",
            -m.qty,
            reason="transfer",
            ref_type="transfer",
            ref_id=ref,
            actor=actor,
        )
        for m in incoming
    ]
    balances = lock_balances(conn, {(m.sku_id, source) for m in outgoing})
    asked: dict[uuid.UUID, int] = {}
    for m in incoming:
        asked[m.sku_id] = asked.get(m.sku_id, 0) + m.qty
    codes = {m.sku_id: line.sku for m, line in zip(incoming, data.lines, strict=True)}
    errors: list[FieldError] = []
    for sku_id, qty in asked.items():
        row = balances.get((sku_id, source))
        free = row.available if row else 0
        if free < qty:
            errors.append(
                FieldError(
                    "lines",
                    f"{codes[sku_id]}: asked to move {qty}, {max(free, 0)} free in {data.from_warehouse}",
                )
            )
    if errors:
        raise Conflict(f"not enough free stock in {data.from_warehouse}", errors)
    moves = outgoing + incoming
    return moves, post_stock(conn, moves, actor)
