"""The order API's services: each runs its own transaction or read and answers with the wire shape.

Ingestion goes through the group committer (server/orders/committer.py); a status change and a
retried allocation are one write each through `Database.run_write`, whose functions live at module
level so the SQLite writer process can run them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, Uuid, column, insert, select, table
from sqlalchemy.engine import Connection

from server.address import normalise_phone
from server.auth.principal import Principal, check_warehouse, works_in_one_warehouse
from server.channels.models import Shop
from server.db import Database
from server.errors import FieldError, InvalidInput, NotFound
from server.inventory.models import Warehouse
from server.orders import repository
from server.orders.lifecycle import STATUSES
from server.orders.models import Order, RejectedPayload
from server.orders.reallocation import reallocate
from server.orders.schemas import HistoryEntryOut, OrderOut, StatusChangeIn
from server.orders.transitions import change_status
from server.pagination import Page, PageParams, count, require_known

# An order is found by its waybill on the parcel packed for it. Shipping stands above orders (it
# moves them to packed and shipped), so this read names the one table instead of importing it.
_PARCELS = table("parcels", column("order_id", Uuid), column("waybill", String))

# How a list of orders may be sorted: a leading "-" is newest/largest first. The order id breaks
# ties so pages never overlap.
SORTS = {
    "placed_at": Order.placed_at,
    "ship_by": Order.ship_by,
    "total_amount": Order.total_amount,
    "cod_amount": Order.cod_amount,
}


async def keep_rejected_payload(
    db: Database, source: str, body: bytes | str, problem: dict[str, Any]
) -> None:
    """A refused order or webhook body, kept whole for inspection (never dropped)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    # PostgreSQL text cannot hold NUL; a raw NUL only comes in a body that is not JSON anyway.
    text = text.replace("\x00", "\\u0000")
    await db.run_write(_keep_rejected, source, text[:1_000_000], problem)


def _keep_rejected(conn: Connection, source: str, text: str, problem: dict[str, Any]) -> None:
    conn.execute(insert(RejectedPayload).values(source=source, body=text, problem=problem))


# ---- reading ---------------------------------------------------------------------------------


async def list_orders(
    db: Database,
    page: PageParams,
    *,
    status: str | None,
    shop: str | None,
    channel: str | None,
    payment_method: str | None,
    external_id: str | None,
    placed_from: datetime | None,
    placed_to: datetime | None,
    waybill: str | None = None,
    phone: str | None = None,
    backordered: bool | None = None,
    sort: str | None = None,
) -> Page[OrderOut]:
    """Orders matching the filters, newest first unless `sort` says otherwise."""
    if status is not None and status not in STATUSES:
        raise InvalidInput("unknown status", [FieldError("status", f"must be one of {', '.join(STATUSES)}")])
    order_by = _order_by(sort)
    stmt = repository.order_query()
    if phone:
        # Typed as the customer says it (0917 123 4567); stored in E.164 (+639171234567).
        e164 = normalise_phone(phone)
        if e164 is None:
            raise InvalidInput("not a phone number", [FieldError("phone", "not a Philippine phone number")])
        stmt = stmt.where(Order.phone == e164)
    if waybill:
        stmt = stmt.where(Order.id.in_(select(_PARCELS.c.order_id).where(_PARCELS.c.waybill == waybill)))
    if status:
        stmt = stmt.where(Order.status == status)
    if backordered is not None:
        # A backorder is a held order with the mark; the mark means nothing once it left the hold.
        marked = (Order.status == "on_hold") & Order.backordered_at.is_not(None)
        stmt = stmt.where(marked if backordered else ~marked)
    if channel:
        stmt = stmt.where(Order.channel == channel)
    if payment_method:
        stmt = stmt.where(Order.payment_method == payment_method)
    if external_id:
        stmt = stmt.where(Order.external_id == external_id)
    if shop:
        stmt = stmt.where(Shop.code == shop)
    if placed_from:
        stmt = stmt.where(Order.placed_at >= placed_from)
    if placed_to:
        stmt = stmt.where(Order.placed_at < placed_to)
    async with db.read() as conn:
        await require_known(conn, Shop.code, shop, "shop")
        total = await count(conn, stmt)
        rows = (await conn.execute(stmt.order_by(*order_by).limit(page.limit).offset(page.offset))).all()
        lines = await repository.order_lines(conn, [r[0].id for r in rows])
    items = [repository.to_out(r[0], r[1], r[2], lines.get(r[0].id, [])) for r in rows]
    return page.of(items, total)


def _order_by(sort: str | None) -> tuple[Any, ...]:
    if not sort:
        return (Order.placed_at.desc(), Order.id)
    column = SORTS.get(sort.removeprefix("-"))
    if column is None:
        names = ", ".join(f"{n}, -{n}" for n in SORTS)
        raise InvalidInput("unknown sort", [FieldError("sort", f"must be one of {names}")])
    return (column.desc() if sort.startswith("-") else column.asc(), Order.id)


async def get_order(db: Database, order_id: uuid.UUID, caller: Principal) -> OrderOut:
    async with db.read() as conn:
        row = (await conn.execute(repository.order_query().where(Order.id == order_id))).first()
        if row is None:
            raise NotFound(f"no order {order_id}", [FieldError("order_id", "no order has this id")])
        # Warehouse staff see the customer's name, phone and address only of their own orders.
        check_warehouse(caller, row[2], "order_id")
        lines = await repository.order_lines(conn, [order_id])
    return repository.to_out(row[0], row[1], row[2], lines.get(order_id, []))


async def order_history(
    db: Database, order_id: uuid.UUID, caller: Principal, page: PageParams
) -> Page[HistoryEntryOut]:
    """Every status the order has been in, oldest first."""
    async with db.read() as conn:
        found = (await conn.execute(_order_warehouse(order_id))).first()
        if found is None:
            raise NotFound(f"no order {order_id}", [FieldError("order_id", "no order has this id")])
        check_warehouse(caller, found[0], "order_id")
        entries = await repository.history(conn, order_id)
    return page.of(entries[page.offset : page.offset + page.limit], len(entries))


def _order_warehouse(order_id: uuid.UUID) -> Select[str]:
    """The code of the warehouse an order is allocated to (NULL if none yet); no row if no order."""
    return (
        select(Warehouse.code)
        .select_from(Order)
        .outerjoin(Warehouse, Warehouse.id == Order.warehouse_id)
        .where(Order.id == order_id)
    )


# ---- writing ---------------------------------------------------------------------------------


async def set_status(db: Database, order_id: uuid.UUID, data: StatusChangeIn, caller: Principal) -> OrderOut:
    await db.run_write(_set_status, order_id, data, caller)
    return await get_order(db, order_id, caller)


def _set_status(conn: Connection, order_id: uuid.UUID, data: StatusChangeIn, caller: Principal) -> str:
    if works_in_one_warehouse(caller):
        # Checked in the writing transaction: the order cannot change warehouse in between.
        found = conn.execute(_order_warehouse(order_id)).first()
        if found is not None:
            check_warehouse(caller, found[0], "order_id")
    return change_status(conn, order_id, data.status, actor=caller.actor, reason=data.reason)


async def allocate(db: Database, order_id: uuid.UUID, caller: Principal) -> OrderOut:
    """Try again to reserve stock for a held order."""
    await db.run_write(reallocate, [order_id], caller.actor)
    return await get_order(db, order_id, caller)
