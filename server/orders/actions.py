"""Exception actions settled by the orders' writers (server/exceptions/actions.py holds the
registry): a held order re-allocated, brought stock from another warehouse, cancelled, or
backordered."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.catalog.models import Sku
from server.errors import Conflict, FieldError, InvalidInput
from server.exceptions.actions import Acting, action, order_of
from server.inventory.schemas import StockLineIn, TransferIn
from server.inventory.stock import transfer
from server.orders.allocator import availability, load_warehouses, needs_of
from server.orders.models import Order
from server.orders.reallocation import reallocate
from server.orders.repository import load_allocation_inputs
from server.orders.transitions import backorder as mark_backordered
from server.orders.transitions import change_status


def _on_hold(conn: Connection, order_id: uuid.UUID) -> None:
    status = conn.execute(select(Order.status).where(Order.id == order_id)).scalar()
    if status != "on_hold":
        raise Conflict(f"the order is {status}, not on hold", [FieldError("action", f"order is {status}")])


@action("reallocate")
def reallocate_order(conn: Connection, a: Acting) -> str:
    order_id = order_of(a)
    _on_hold(conn, order_id)
    results = reallocate(conn, [order_id], a.actor)
    if not results:
        raise Conflict(
            "still not enough free stock in any warehouse: count, receive, or backorder it",
            [FieldError("action", "no stock")],
        )
    return f"re-allocated to {results[0].warehouse}"


@action("cancel")
def cancel_order(conn: Connection, a: Acting) -> str:
    before = change_status(
        conn, order_of(a), "cancelled", actor=a.actor, reason=a.note or "cancelled from the exception"
    )
    return f"order cancelled (was {before})"


@action("backorder")
def backorder(conn: Connection, a: Acting) -> str:
    # The order stays on hold (every reaction to stock reads that) and is marked backordered by
    # the order status writer: the seller sees it, and arriving stock goes to backorders first.
    mark_backordered(conn, order_of(a), actor=a.actor, at=a.now)
    return "backordered: it is allocated first when stock arrives"


@action("transfer")
def transfer_stock(conn: Connection, a: Acting) -> str:
    """Bring what the held order lacks from another warehouse that has it free (params.from, or
    the first by code that can cover all of it) into the order's warehouse (params.to, else its
    shop's default, else the first serving its region), through the inventory transfer writer;
    then re-allocate."""
    order_id = order_of(a)
    _on_hold(conn, order_id)
    [item] = load_allocation_inputs(conn, [order_id])
    needs = needs_of(item.lines)
    warehouses = load_warehouses(conn)
    codes = {w.id: w.code for w in warehouses}
    ids = {code: wid for wid, code in codes.items()}
    to = a.params.get("to")
    if not to:
        # As the allocator would choose: the shop's own warehouse, else the first serving the region.
        serving = sorted((w.priority, w.code) for w in warehouses if item.region in w.serves_regions)
        default = codes.get(item.default_warehouse_id) if item.default_warehouse_id else None
        to = default or (serving[0][1] if serving else None)
    if to not in ids:
        raise InvalidInput("into which warehouse?", [FieldError("params.to", "an active warehouse's code")])
    free = availability(conn, {(sku, wid) for sku in needs for wid in codes})
    short = {sku: qty - free.get(sku, ids[to]) for sku, qty in needs.items() if qty > free.get(sku, ids[to])}
    if not short:
        raise Conflict(f"{to} already has the stock: re-allocate", [FieldError("action", "nothing to move")])
    sources = [a.params["from"]] if a.params.get("from") else sorted(c for c in ids if c != to)
    source = next(
        (c for c in sources if c in ids and all(free.get(s, ids[c]) >= q for s, q in short.items())), None
    )
    if source is None:
        field = "params.from" if a.params.get("from") else "action"
        raise Conflict("no other warehouse has what the order lacks free", [FieldError(field, "no stock")])
    sku_codes = dict(conn.execute(select(Sku.id, Sku.code).where(Sku.id.in_(list(short)))).all())
    lines = [
        StockLineIn(sku=sku_codes[s], qty=q) for s, q in sorted(short.items(), key=lambda x: sku_codes[x[0]])
    ]
    ref = f"exception {str(a.exception_id)[:8]}"
    transfer(
        conn, TransferIn(from_warehouse=source, to_warehouse=str(to), lines=lines, reference=ref), a.actor
    )
    moved = ", ".join(f"{line.qty} {line.sku}" for line in lines)
    results = reallocate(conn, [order_id], a.actor)
    where = f"re-allocated to {results[0].warehouse}" if results else "still held"
    return f"moved {moved} from {source} to {to}; {where}"
