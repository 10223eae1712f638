"""Stock receipts, adjustments, transfers and balances, as an admin or an integration posts them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, insert, or_, select, update
from sqlalchemy.engine import Connection

from server.audit.record import audit, changes
from server.catalog.models import Sku
from server.db.base import utcnow
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.inventory.ledger import Movement, lock_balances, post_movements
from server.inventory.models import Bin, StockBalance, Warehouse
from server.inventory.schemas import BalanceOut, PostedOut, StockLineIn, TransferIn

MAX_LINES = 1000
MAX_QTY = 10_000_000


def warehouse_id(
    conn: Connection, code: str, field: str = "warehouse", *, in_path: bool = False
) -> uuid.UUID:
    """The warehouse a code names. Unknown: 404 when the code is the URL's (it names the resource),
    422 when a body field names it."""
    found = (conn.execute(select(Warehouse.id).where(Warehouse.code == code))).scalar()
    if found is None and in_path:
        raise NotFound(f"no warehouse {code!r}", [FieldError(field, "no warehouse has this code")])
    if found is None:
        raise InvalidInput(
            f"unknown warehouse {code!r}", [FieldError(field, f"no warehouse with code {code!r}")]
        )
    return found


def movements_for(
    conn: Connection,
    warehouse_code: str,
    lines: Sequence[StockLineIn],
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


def post_stock(conn: Connection, movements: list[Movement]) -> list[Movement]:
    """Post movements (balances locked in key order first). Stock that arrives lets held orders
    through when the transaction ends (server/writes.py), whichever path posted it."""
    lock_balances(conn, {(m.sku_id, m.warehouse_id) for m in movements})
    post_movements(conn, movements)
    return movements


def post_lines(
    conn: Connection,
    warehouse: str,
    lines: Sequence[StockLineIn],
    *,
    kind: str,
    signed: bool,
    reason: str,
    ref_type: str,
    ref_id: str,
    actor: str,
) -> list[Movement]:
    """A receipt or an adjustment: check the lines and post them."""
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
    if signed:
        _refuse_below_zero(conn, moves, lines)
    return post_stock(conn, moves)


def _refuse_below_zero(conn: Connection, moves: list[Movement], lines: Sequence[StockLineIn]) -> None:
    """An adjustment may take away only what is on hand: a count or a fact from a phone records
    what is there, but a correction typed at the console that leaves less than nothing is a typo.
    (Taking away units that orders hold is allowed: those orders go back on hold, server/writes.py.)"""
    balances = lock_balances(conn, {(m.sku_id, m.warehouse_id) for m in moves})
    left: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    errors: list[FieldError] = []
    for i, (m, line) in enumerate(zip(moves, lines, strict=True)):
        key = (m.sku_id, m.warehouse_id)
        row = balances.get(key)
        left[key] = left.get(key, row.on_hand if row else 0) + m.qty
        if left[key] < 0:
            errors.append(
                FieldError(
                    f"lines[{i}].qty",
                    f"{line.sku}: only {left[key] - m.qty} on hand, cannot take away {-m.qty}",
                )
            )
    if errors:
        raise Conflict("an adjustment cannot leave less than nothing on hand", errors)


def posted(conn: Connection, moves: list[Movement], allocated: list[uuid.UUID]) -> PostedOut:
    return PostedOut(movements=len(moves), balances=balances_for(conn, moves), allocated_orders=allocated)


def balance_query() -> Select[str, str, str, int, int, int, int]:
    return (
        select(
            Sku.code,
            Sku.name,
            Warehouse.code,
            StockBalance.on_hand,
            StockBalance.reserved,
            StockBalance.safety_buffer,
            StockBalance.quarantined,
        )
        .join(Sku, Sku.id == StockBalance.sku_id)
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
    )


def balance_out(row: Any) -> BalanceOut:
    code, name, wh, on_hand, reserved, buffer, quarantined = row
    return BalanceOut(
        sku=code,
        name=name,
        warehouse=wh,
        on_hand=on_hand,
        reserved=reserved,
        safety_buffer=buffer,
        available=on_hand - quarantined - reserved - buffer,
        quarantined=quarantined,
    )


def balances_for(conn: Connection, movements: list[Movement]) -> list[BalanceOut]:
    keys = sorted({(m.sku_id, m.warehouse_id) for m in movements})
    cond = or_(*(and_(StockBalance.sku_id == s, StockBalance.warehouse_id == w) for s, w in keys))
    rows = (conn.execute(balance_query().where(cond).order_by(Sku.code, Warehouse.code))).all()
    return [balance_out(r) for r in rows]


def set_buffer(conn: Connection, warehouse_code: str, sku_code: str, buffer: int, actor: str) -> BalanceOut:
    """Units of a SKU held back from sale in a warehouse, audited with the buffer before and after."""
    if buffer < 0:
        raise InvalidInput("negative buffer", [FieldError("safety_buffer", "must be 0 or more")])
    wh = warehouse_id(conn, warehouse_code, in_path=True)
    found = conn.execute(select(Sku.id, Sku.is_bundle).where(Sku.code == sku_code)).first()
    if found is None:
        raise NotFound(f"no SKU {sku_code!r}", [FieldError("sku", "no SKU has this code")])
    sku, is_bundle = found
    if is_bundle:
        # A bundle has no stock of its own: its availability comes from its components. What the
        # SKU is, not how the request is written: a 409, as for any state the request conflicts with.
        raise Conflict(
            f"{sku_code!r} is a bundle", [FieldError("sku", "a bundle has no stock; buffer its components")]
        )
    # lock_balances reads the SKU's rows in every warehouse: look for this warehouse's own.
    held = lock_balances(conn, {(sku, wh)})
    before = held[(sku, wh)].safety_buffer if (sku, wh) in held else 0
    if (sku, wh) in held:
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
    diff = changes({"safety_buffer": before}, {"safety_buffer": buffer})
    audit(conn, "stock.buffer.changed", actor, "stock_balance", f"{warehouse_code}/{sku_code}", **diff)
    row = (
        conn.execute(balance_query().where(StockBalance.sku_id == sku, StockBalance.warehouse_id == wh))
    ).one()
    return balance_out(row)


def transfer(conn: Connection, data: TransferIn, actor: str) -> list[Movement]:
    """Move stock between warehouses in one transaction: out of one, into the other.

    Only units free to sell may leave: reserved units belong to orders and the buffer is held back.
    Returns the movements.
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
    return post_stock(conn, moves)
